// The embedding API as a user gets it: `cmake --install` into a prefix inside
// the build tree, examples/ configured and built against that prefix with
// find_package(clasp_federation), then embedded_leaf run against a real hub.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "tests/support/router_process.hpp"

using clasp::test::router_process;

namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Runs `command` with its output in `log`; the exit code (or -1), and the log's tail on failure.
int run(const std::string& command, const std::string& log) {
  int status = std::system((command + " >" + quoted(log) + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail_of(const std::string& log) {
  std::string out;
  if (FILE* f = std::fopen(log.c_str(), "r")) {
    std::fseek(f, 0, SEEK_END);
    long size = std::ftell(f);
    std::fseek(f, size > 4000 ? size - 4000 : 0, SEEK_SET);
    char buf[4096];
    out.assign(buf, std::fread(buf, 1, sizeof buf, f));
    std::fclose(f);
  }
  return out;
}

}  // namespace

TEST(embedded_example, builds_from_the_installed_package_and_reaches_a_hub) {
  const std::string cmake = CLASP_CMAKE;
  const std::string build_dir = CLASP_BUILD_DIR;
  const std::string examples = CLASP_EXAMPLES_DIR;
  const std::string work = build_dir + "/embed-example";
  const std::string prefix = work + "/prefix";
  const std::string example_build = work + "/build";

  std::string log = work + "-install.log";
  ASSERT_EQ(run(cmake + " --install " + quoted(build_dir) + " --prefix " + quoted(prefix), log), 0)
      << tail_of(log);

  log = work + "-configure.log";
  std::string configure = cmake + " -S " + quoted(examples) + " -B " + quoted(example_build) +
                          " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + quoted(prefix);
  if (const std::string gen = CLASP_CMAKE_GENERATOR; !gen.empty())
    configure += " -G " + quoted(gen);
  if (const std::string launcher = CLASP_CXX_LAUNCHER; !launcher.empty())
    configure += " -DCMAKE_CXX_COMPILER_LAUNCHER=" + quoted(launcher);
  if (const std::string flags = CLASP_SANITIZER_FLAGS; !flags.empty())
    configure += " -DCMAKE_CXX_FLAGS=" + quoted(flags) + " -DCMAKE_EXE_LINKER_FLAGS=" + quoted(flags);
  ASSERT_EQ(run(configure, log), 0) << tail_of(log);

  log = work + "-build.log";
  ASSERT_EQ(run(cmake + " --build " + quoted(example_build) + " -j2", log), 0) << tail_of(log);

  router_process hub(router_process::server_args(
      {"--no-persistence", "--features", "federation", "--federation-id", "hub"}));
  log = work + "-run.log";
  const std::string example = example_build + "/embedded_leaf";
  EXPECT_EQ(run("timeout 60 " + quoted(example) + " " + quoted(hub.url()), log), 0) << tail_of(log);
  EXPECT_NE(tail_of(log).find("hub hub holds /embedded/demo/level = 0.75"), std::string::npos)
      << tail_of(log);
  EXPECT_TRUE(hub.running());

  // Without a hub URL the example says how to call it instead of hanging.
  log = work + "-usage.log";
  EXPECT_EQ(run("timeout 10 " + quoted(example), log), 1);
  EXPECT_NE(tail_of(log).find("usage: embedded_leaf HUB_URL"), std::string::npos);
}
