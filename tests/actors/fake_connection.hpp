// A transport::connection test double: records every frame the router core
// sends and decodes it back, so tests assert on CLASP messages, not bytes.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "messages/codec.hpp"
#include "transport/connection.hpp"

namespace clasp::testing {

struct sent_frame {
  transport::frame_ptr bytes;
  transport::send_class cls = transport::send_class::control;
  std::string coalesce_key;
  codec::decoded_frame decoded;
};

class fake_connection : public transport::connection {
 public:
  void start(std::shared_ptr<transport::connection_handler>) override {}

  void send(transport::frame_ptr frame, transport::send_class cls,
            std::string_view coalesce_key) override {
    sent_frame f;
    f.bytes = frame;
    f.cls = cls;
    f.coalesce_key = std::string(coalesce_key);
    codec::decode_error err;
    // Every frame the router sends must decode: a failure here is a router bug.
    EXPECT_TRUE(codec::decode_frame(*frame, f.decoded, err)) << "undecodable frame: " << err.reason;
    if (hold_) held_bytes_ += frame->size();
    sent_.push_back(std::move(f));
  }

  void close(std::uint16_t ws_code, std::string reason) override {
    closed_ = true;
    close_code_ = ws_code;
    close_reason_ = std::move(reason);
  }
  void abort() override { closed_ = true; }
  void set_limits(const transport::outbound_limits&) override {}
  transport::connection_stats stats() const override {
    transport::connection_stats s;
    s.bytes_queued = held_bytes_;
    return s;
  }
  // With holding on, sent bytes count as queued (a socket that never drains)
  // until drain(); off (the default), the queue always looks empty.
  void hold(bool on) { hold_ = on; }
  void drain() { held_bytes_ = 0; }
  std::string remote_endpoint() const override { return "fake"; }

  const std::vector<sent_frame>& frames() const { return sent_; }
  void clear() { sent_.clear(); }

  std::vector<message> messages() const {
    std::vector<message> out;
    for (const auto& f : sent_) out.push_back(f.decoded.msg);
    return out;
  }

  // Every sent message of type T, in order.
  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& f : sent_)
      if (f.decoded.msg.is<T>()) out.push_back(f.decoded.msg.as<T>());
    return out;
  }

  bool closed() const { return closed_; }
  std::uint16_t close_code() const { return close_code_; }

 private:
  std::vector<sent_frame> sent_;
  bool hold_ = false;
  std::size_t held_bytes_ = 0;
  bool closed_ = false;
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
};

}  // namespace clasp::testing
