// Address and pattern validation, allocation-free `*` / `**` matching, and the
// coverage and overlap relations between patterns used for namespace ownership.
#include "messages/address.hpp"

#include <cstring>
#include <string>
#include <vector>

namespace clasp {
namespace {

// Walks the segments of an address or pattern that starts with '/'.
// "/a/b/" yields "a", "b", ""; "/" yields "".
class segment_cursor {
 public:
  explicit segment_cursor(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  std::string_view next() {
    const std::size_t start = pos_ + 1;
    std::size_t end = s_.find('/', start);
    if (end == std::string_view::npos) end = s_.size();
    pos_ = end;
    return s_.substr(start, end - start);
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

bool has_star(std::string_view s) { return s.find('*') != std::string_view::npos; }

bool validate(std::string_view s, bool allow_wildcards) {
  if (s.empty() || s.front() != '/') return false;
  segment_cursor c(s);
  while (!c.done()) {
    const auto seg = c.next();
    if (seg.empty() && !c.done()) return false;  // only the last segment may be empty
    if (has_star(seg) && (!allow_wildcards || (seg != "*" && seg != "**"))) return false;
  }
  return true;
}

enum class token_kind : std::uint8_t { literal, one, any };
struct token {
  token_kind kind;
  std::string_view text;
};

token classify(std::string_view seg) {
  if (seg == "*") return {token_kind::one, seg};
  if (seg == "**") return {token_kind::any, seg};
  return {token_kind::literal, seg};
}

// Tokens with every run of wildcards rewritten as its `*`s followed by at most
// one `**` (same language), so the coverage walk below compares like with like.
std::vector<token> normalized_tokens(std::string_view pattern) {
  std::vector<token> out;
  segment_cursor c(pattern);
  std::size_t ones = 0;
  bool any = false;
  auto flush = [&] {
    for (; ones > 0; --ones) out.push_back({token_kind::one, "*"});
    if (any) out.push_back({token_kind::any, "**"});
    any = false;
  };
  while (!c.done()) {
    const token t = classify(c.next());
    if (t.kind == token_kind::one) {
      ++ones;
    } else if (t.kind == token_kind::any) {
      any = true;
    } else {
      flush();
      out.push_back(t);
    }
  }
  flush();
  return out;
}

// Beyond this many DP cells the answer is the conservative one; real
// namespaces have a handful of segments.
constexpr std::size_t max_cells = std::size_t{1} << 22;

}  // namespace

bool is_valid_address(std::string_view address) {
  // One pass, no searching: this runs for every SET and PUBLISH.
  const std::size_t n = address.size();
  if (n == 0 || address[0] != '/') return false;
  for (std::size_t i = 1; i < n; ++i) {
    const char c = address[i];
    if (c == '*') return false;
    if (c == '/' && address[i - 1] == '/') return false;  // empty segment before the end
  }
  return true;
}

bool is_valid_pattern(std::string_view pattern) { return validate(pattern, true); }

bool is_pattern_with_wildcards(std::string_view pattern) { return has_star(pattern); }

bool pattern_matches(std::string_view pattern, std::string_view address) {
  // Namespaces are nearly always "<prefix>/**": a prefix test, no segment walk.
  if (pattern.size() >= 3 && pattern.compare(pattern.size() - 3, 3, "/**") == 0) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 3);
    if (!has_star(prefix)) {
      if (address.empty() || address.front() != '/') return false;
      return address.compare(0, prefix.size(), prefix) == 0 &&
             (address.size() == prefix.size() || address[prefix.size()] == '/');
    }
  }
  if (!has_star(pattern)) return pattern == address;
  if (address.empty() || address.front() != '/' || pattern.front() != '/') return false;
  // Glob matching over segments; on a mismatch the last `**` takes one more segment.
  segment_cursor p(pattern), a(address);
  bool have_any = false;
  segment_cursor any_p(pattern), any_a(address);
  for (;;) {
    if (!p.done()) {
      segment_cursor p_next = p;
      const auto ps = p_next.next();
      if (ps == "**") {
        have_any = true;
        any_p = p_next;
        any_a = a;
        p = p_next;
        continue;
      }
      if (!a.done()) {
        segment_cursor a_next = a;
        const auto as = a_next.next();
        if (ps == "*" || ps == as) {
          p = p_next;
          a = a_next;
          continue;
        }
      }
    } else if (a.done()) {
      return true;
    }
    if (!have_any || any_a.done()) return false;
    any_a.next();
    a = any_a;
    p = any_p;
  }
}

bool covered_by(std::string_view request, std::string_view declared) {
  if (!has_star(request)) return pattern_matches(declared, request);
  if (!has_star(declared)) return false;  // one address cannot cover many
  auto r = normalized_tokens(request);
  const auto d = normalized_tokens(declared);
  // No address has zero segments, so a lone `**` request means "one or more".
  if (r.size() == 1 && r[0].kind == token_kind::any) r.insert(r.begin(), {token_kind::one, "*"});
  const std::size_t n = r.size(), m = d.size();
  if ((n + 1) * (m + 1) > max_cells) return false;
  // cover[i][j]: every address r[i..] matches is matched by d[j..].
  std::vector<char> cover((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> char& { return cover[i * (m + 1) + j]; };
  for (std::size_t i = n + 1; i-- > 0;) {
    for (std::size_t j = m + 1; j-- > 0;) {
      bool ok;
      if (j == m) {
        ok = i == n;
      } else if (d[j].kind == token_kind::any) {
        ok = at(i, j + 1) || (i < n && at(i + 1, j));
      } else if (i == n) {
        ok = false;
      } else if (r[i].kind == token_kind::any) {
        // Either `**` is empty, or `*` takes its first segment and `**` goes on.
        ok = d[j].kind == token_kind::one && at(i + 1, j) && at(i, j + 1);
      } else if (r[i].kind == token_kind::one) {
        ok = d[j].kind == token_kind::one && at(i + 1, j + 1);
      } else {
        ok = (d[j].kind == token_kind::one || d[j].text == r[i].text) && at(i + 1, j + 1);
      }
      at(i, j) = ok;
    }
  }
  return at(0, 0);
}

bool patterns_overlap(std::string_view a, std::string_view b) {
  if (!has_star(a)) return pattern_matches(b, a);
  if (!has_star(b)) return pattern_matches(a, b);
  const auto x = normalized_tokens(a);
  const auto y = normalized_tokens(b);
  const std::size_t n = x.size(), m = y.size();
  if ((n + 1) * (m + 1) > max_cells) return true;  // assume a conflict
  // both[i][j]: some address matches x[i..] and y[j..].
  std::vector<char> both((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> char& { return both[i * (m + 1) + j]; };
  for (std::size_t i = n + 1; i-- > 0;) {
    for (std::size_t j = m + 1; j-- > 0;) {
      bool ok = false;
      if (i == n && j == m) {
        ok = true;
      } else if ((i < n && x[i].kind == token_kind::any) ||
                 (j < m && y[j].kind == token_kind::any)) {
        if (i < n && x[i].kind == token_kind::any) ok = at(i + 1, j) || (j < m && at(i, j + 1));
        if (!ok && j < m && y[j].kind == token_kind::any)
          ok = at(i, j + 1) || (i < n && at(i + 1, j));
      } else if (i < n && j < m) {
        const bool segment_ok =
            x[i].kind == token_kind::one || y[j].kind == token_kind::one || x[i].text == y[j].text;
        ok = segment_ok && at(i + 1, j + 1);
      }
      at(i, j) = ok;
    }
  }
  return at(0, 0);
}

}  // namespace clasp
