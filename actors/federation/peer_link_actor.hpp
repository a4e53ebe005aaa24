// One outbound federation link (leaf -> hub): connects, runs the handshake
// (HELLO -> WELCOME -> DeclareNamespaces -> ACK), syncs, then relays. It ends
// when its connection ends; the reconnect supervisor decides what comes next.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "actors/federation/federation_interfaces.hpp"
#include "actors/node_config.hpp"
#include "actors/router/router_interfaces.hpp"
#include "transport/connector.hpp"

namespace clasp::actors {

struct peer_link_deps {
  state_store_actor store;
  federation_manager_actor manager;
  reconnect_supervisor_actor supervisor;  // receives peer_status updates
  std::shared_ptr<const node_config> config;
  transport::io_runtime* io = nullptr;
  // Opens the link's connection. Empty: transport::connect on `io`. Tests
  // put a fake here to drive the link without sockets.
  std::function<void(const std::string& url, const transport::connect_options&,
                     transport::connect_handler)>
      connector;
};

peer_link_actor spawn_peer_link(caf::actor_system& sys, const peer_link_deps& deps,
                                std::string endpoint);

}  // namespace clasp::actors
