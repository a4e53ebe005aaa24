// JSON lines: {"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"..."}; the
// message is escaped by nlohmann::json, so any text stays one valid line.
#include "app/logging.hpp"

#include <chrono>
#include <ctime>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace clasp::app {

namespace {

std::string utc_timestamp(spdlog::log_clock::time_point t) {
  auto since_epoch = t.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}

class json_line_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json line;
    line["ts"] = utc_timestamp(msg.time);
    auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string(level.data(), level.size());
    line["msg"] = std::string(msg.payload.data(), msg.payload.size());
    // Replace, not throw, on invalid UTF-8 in a message (e.g. a hostile peer's name).
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_line_formatter>();
  }
};

}  // namespace

void setup_logging(const std::string& level, const std::string& format) {
  spdlog::drop("clasp");  // an embedding host may start several routers in one process
  auto logger =
      format == "json" ? spdlog::stderr_logger_mt("clasp") : spdlog::stderr_color_mt("clasp");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  if (format == "json")
    spdlog::set_formatter(std::make_unique<json_line_formatter>());
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

}  // namespace clasp::app
