// test_ca: shells out to `openssl` so tests need no certificate code of their own.
#include "tests/support/test_ca.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace clasp::test {
namespace {

namespace fs = std::filesystem;

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

// EC keys: made in milliseconds, unlike RSA.
const char* const new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

}  // namespace

test_ca::test_ca(const std::string& name) {
  std::string pattern = (fs::temp_directory_path() / "clasp-ca-XXXXXX").string();
  if (char* d = ::mkdtemp(pattern.data())) dir_ = d;
  if (dir_.empty()) {
    error_ = "cannot make a temporary directory";
    return;
  }
  cert_ = dir_ + "/ca.pem";
  key_ = dir_ + "/ca.key";
  ok_ = run(
      std::string("openssl req -x509 ") + new_key + " -days 2 -subj " +
      shell_quoted("/CN=" + name) +
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign" +
      " -keyout " + shell_quoted(key_) + " -out " + shell_quoted(cert_));
}

test_ca::~test_ca() {
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

test_ca::server_files test_ca::issue(const std::string& file_stem,
                                     const std::vector<std::string>& alt_names) {
  if (!ok_) return {};
  const std::string base = dir_ + "/" + file_stem;
  std::string san = "subjectAltName=";
  for (std::size_t i = 0; i < alt_names.size(); ++i) san += (i ? "," : "") + alt_names[i];
  {
    std::ofstream ext(base + ".ext");
    ext << san << "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
  }
  const bool made =
      run(std::string("openssl req ") + new_key + " -subj " + shell_quoted("/CN=" + file_stem) +
          " -keyout " + shell_quoted(base + ".key") + " -out " + shell_quoted(base + ".csr")) &&
      run("openssl x509 -req -days 2 -in " + shell_quoted(base + ".csr") + " -CA " +
          shell_quoted(cert_) + " -CAkey " + shell_quoted(key_) + " -CAcreateserial -extfile " +
          shell_quoted(base + ".ext") + " -out " + shell_quoted(base + ".pem"));
  if (!made) return {};
  return {base + ".pem", base + ".key"};
}

bool test_ca::run(const std::string& command) {
  const std::string log = dir_ + "/openssl.log";
  if (std::system((command + " >" + shell_quoted(log) + " 2>&1").c_str()) == 0) return true;
  std::ifstream in(log);
  std::ostringstream text;
  text << in.rdbuf();
  error_ += command + ": " + text.str();
  return false;
}

}  // namespace clasp::test
