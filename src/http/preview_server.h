// The app preview origin (`runlet serve --preview-listen ADDR --preview-domain DOMAIN`):
// `http://<preview id>.<DOMAIN>:<port>/` proxies HTTP and WebSocket to a port on a
// workspace's own loopback, through the workspace's agent (the connection is made inside
// the workspace's network namespace, so nothing but that workspace's port is reachable).
//
// Each preview is a host of its own, so a page of one preview is another origin than
// every other preview and than the UI and API (whose session cookie, bound to the API's
// host, never comes here). The first request carries the one-time grant from the API
// (?runlet_preview_grant=TOKEN), exchanged for an HttpOnly cookie of that host and a
// redirect to the same address without it; later requests need the cookie, which is
// taken out of what the app sees. Every proxied request is activity of the workspace.
#pragma once

#include <memory>
#include <string>

#include "core/error.h"
#include "workspaces/preview_grants.h"
#include "workspaces/workspace_manager.h"

namespace runlet::http {

struct PreviewOptions {
  std::string listen;             // host:port (port 0: any free one)
  std::string domain = "localhost";  // previews are <id>.<domain>
  size_t max_connections = 1024;
};

class PreviewServer {
 public:
  PreviewServer(PreviewOptions options, workspaces::WorkspaceManager& manager, workspaces::PreviewGrants& grants);
  ~PreviewServer();  // stops serving; open connections are closed
  // Binds and starts serving on threads of its own. Errors name the address.
  Status Start();
  unsigned short port() const;
  // "<id>.<domain>:<port>" for a preview id.
  std::string HostFor(const std::string& preview_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::http
