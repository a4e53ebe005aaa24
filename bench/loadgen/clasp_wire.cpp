// Encoders and the param walker of clasp_wire.hpp (big-endian, per PROTOCOL.md).
#include "clasp_wire.hpp"

#include <openssl/evp.h>

#include <cstring>

namespace bench {

void put_u16(bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void put_u64(bytes& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_string(bytes& out, const std::string& s) {
  put_u16(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

std::string base64(const std::uint8_t* p, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  // EVP_EncodeBlock writes the padded encoding plus a NUL, which the string already has room for.
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

bytes encode_hello(const std::string& name) {
  bytes b{wire::hello, 1, 0x80 | 0x40};  // version 1, param + event
  put_string(b, name);
  put_u16(b, 0);  // no token
  return b;
}

bytes encode_set_f64(const std::string& address, double value) {
  bytes b{wire::set, wire::type_f64};  // no revision, lock or ttl
  put_string(b, address);
  std::uint64_t bits;
  std::memcpy(&bits, &value, 8);
  put_u64(b, bits);
  return b;
}

bytes encode_set_bytes(const std::string& address, const std::uint8_t* data, std::size_t n) {
  bytes b{wire::set, wire::type_bytes};
  put_string(b, address);
  put_u16(b, n);
  b.insert(b.end(), data, data + n);
  return b;
}

bytes encode_get(const std::string& address) {
  bytes b{wire::get};
  put_string(b, address);
  return b;
}

bytes encode_subscribe(std::uint32_t id, const std::string& pattern) {
  bytes b{wire::subscribe_msg};
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(id >> (8 * i)));
  put_string(b, pattern);
  b.push_back(0xFF);  // every signal type
  b.push_back(0);     // no options
  return b;
}

namespace {

// Bounds-checked big-endian reader over one payload.
struct reader {
  const std::uint8_t* p;
  std::size_t n;
  std::size_t pos;
  bool ok = true;
  bool need(std::size_t k) { return ok = ok && pos + k <= n; }
  std::uint8_t u8() { return need(1) ? p[pos++] : 0; }
  std::size_t u16() {
    if (!need(2)) return 0;
    std::size_t v = (std::size_t{p[pos]} << 8) | p[pos + 1];
    pos += 2;
    return v;
  }
  void skip(std::size_t k) {
    if (need(k)) pos += k;
  }
};

// Skips one value of `type`, reporting where its data starts and its length.
void read_value(reader& r, std::uint8_t type, const std::uint8_t** at, std::size_t* len) {
  static const std::size_t fixed[] = {0, 1, 1, 2, 4, 8, 4, 8};
  *at = r.p + r.pos;
  if (type < 8) {
    *len = fixed[type];
    r.skip(*len);
  } else if (type == 0x08 || type == wire::type_bytes) {
    std::size_t l = r.u16();
    *at = r.p + r.pos;
    *len = l;
    r.skip(l);
  } else if (type == 0x0A) {
    for (std::size_t i = 0, c = r.u16(); i < c && r.ok; ++i) read_value(r, r.u8(), at, len);
    *len = 0;
  } else if (type == 0x0B) {
    for (std::size_t i = 0, c = r.u16(); i < c && r.ok; ++i) {
      r.skip(r.u16());
      read_value(r, r.u8(), at, len);
    }
    *len = 0;
  } else {
    r.ok = false;
  }
}

}  // namespace

bool for_each_param(const std::uint8_t* p, std::size_t n, const std::function<void(const param_view&)>& fn) {
  if (n == 0) return false;
  reader r{p, n, 1};
  param_view v{};
  switch (p[0]) {
    case wire::set: {
      std::uint8_t flags = r.u8();
      v.address_len = r.u16();
      v.address = reinterpret_cast<const char*>(p + r.pos);
      r.skip(v.address_len);
      v.type = flags & 0x0F;
      read_value(r, v.type, &v.value, &v.value_len);
      if (r.ok) fn(v);
      return r.ok;
    }
    case wire::snapshot: {
      for (std::size_t i = 0, c = r.u16(); i < c && r.ok; ++i) {
        v.address_len = r.u16();
        v.address = reinterpret_cast<const char*>(p + r.pos);
        r.skip(v.address_len);
        v.type = r.u8();
        read_value(r, v.type, &v.value, &v.value_len);
        r.skip(8);  // revision
        std::uint8_t opt = r.u8();
        if (opt & 0x01) r.skip(r.u16());
        if (opt & 0x02) r.skip(8);
        if (r.ok) fn(v);
      }
      return r.ok;
    }
    case wire::bundle: {
      std::uint8_t flags = r.u8();
      std::size_t count = r.u16();
      if (flags & 0x80) r.skip(8);
      for (std::size_t i = 0; i < count && r.ok; ++i) {
        std::size_t l = r.u16();
        if (!r.need(l)) break;
        for_each_param(p + r.pos, l, fn);
        r.pos += l;
      }
      return r.ok;
    }
    default:
      return true;
  }
}

bool as_double(const param_view& v, double* out) {
  const std::uint8_t* d = v.value;
  switch (v.type) {
    case 0x07: {
      std::uint64_t bits = get_u64(d);
      std::memcpy(out, &bits, 8);
      return true;
    }
    case 0x06: {
      std::uint32_t bits = (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) | d[3];
      float f;
      std::memcpy(&f, &bits, 4);
      *out = f;
      return true;
    }
    case 0x05:
      *out = static_cast<double>(static_cast<std::int64_t>(get_u64(d)));
      return true;
    case 0x04:
      *out = static_cast<std::int32_t>((std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) |
                                       (std::uint32_t{d[2]} << 8) | d[3]);
      return true;
    default:
      return false;
  }
}

}  // namespace bench
