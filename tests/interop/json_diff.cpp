// Path-reporting deep diff for the interop golden tests.
#include "tests/interop/json_diff.hpp"

namespace clasp::interop {

using nlohmann::json;

std::string safe_dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

void diff_into(const json& e, const json& a, const std::string& path,
               std::vector<std::string>& out) {
  auto mismatch = [&] {
    out.push_back(path + ": expected " + safe_dump(e) + ", got " + safe_dump(a));
  };
  if (e.is_number() && a.is_number()) {
    if (e.get<double>() != a.get<double>()) mismatch();
    return;
  }
  if (e.type() != a.type()) return mismatch();
  if (e.is_array()) {
    if (e.size() != a.size()) {
      out.push_back(path + ": expected " + std::to_string(e.size()) + " items, got " +
                    std::to_string(a.size()) + " (" + safe_dump(a) + ")");
    }
    for (std::size_t i = 0; i < e.size() && i < a.size(); ++i)
      diff_into(e[i], a[i], path + "[" + std::to_string(i) + "]", out);
    return;
  }
  if (e.is_object()) {
    for (const auto& [k, v] : e.items()) {
      if (!a.contains(k))
        out.push_back(path + "." + k + ": missing (expected " + safe_dump(v) + ")");
      else
        diff_into(v, a.at(k), path + "." + k, out);
    }
    for (const auto& [k, v] : a.items())
      if (!e.contains(k)) out.push_back(path + "." + k + ": unexpected " + safe_dump(v));
    return;
  }
  if (e != a) mismatch();
}

}  // namespace

std::vector<std::string> json_diff(const json& expected, const json& actual,
                                   const std::string& path) {
  std::vector<std::string> out;
  diff_into(expected, actual, path, out);
  return out;
}

}  // namespace clasp::interop
