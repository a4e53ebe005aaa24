// A throwaway certificate authority for TLS tests, made with the openssl
// command in a temporary directory that is removed with the object.
#pragma once

#include <string>
#include <vector>

namespace clasp::test {

class test_ca {
 public:
  // Makes the CA's key and self-signed certificate; ok() tells whether it worked.
  explicit test_ca(const std::string& name = "clasp test CA");
  ~test_ca();
  test_ca(const test_ca&) = delete;
  test_ca& operator=(const test_ca&) = delete;

  bool ok() const { return ok_; }
  const std::string& certificate() const { return cert_; }  // PEM file, what a client trusts

  struct server_files {
    std::string certificate;  // PEM chain file; empty if making it failed
    std::string key;          // PEM file
  };
  // A server certificate signed by this CA for `alt_names`, subjectAltName
  // entries such as "DNS:localhost" or "IP:127.0.0.1".
  server_files issue(const std::string& file_stem, const std::vector<std::string>& alt_names);

  // What the openssl commands printed when something failed.
  const std::string& error() const { return error_; }

 private:
  bool run(const std::string& command);

  std::string dir_, cert_, key_, error_;
  bool ok_ = false;
};

}  // namespace clasp::test
