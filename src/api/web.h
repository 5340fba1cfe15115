// The web UI's files (web/dist, built by Vite), served at / by `runlet serve`. The whole
// folder is read once at start: only files that existed then are served, so no request
// path ever reaches the file system. Paths that name no file get index.html (the UI
// routes them itself); /api/ paths never do.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "api/router.h"

namespace runlet::api {

class WebUi {
 public:
  // Reads `dir`; a missing or empty folder leaves a page that says how to build the UI.
  static WebUi Load(const std::string& dir);

  size_t file_count() const { return files_.size(); }
  bool built() const { return files_.count("/index.html") > 0; }
  const std::string& problem() const { return problem_; }

  // The answer for a GET or HEAD of `path`, or nullopt (not the UI's: /api/, /healthz...).
  std::optional<Response> Serve(const Request& request) const;

  // Origins the UI's pages may show in a frame (the CSP's frame-src, e.g.
  // "http://*.localhost:8081": the workspaces' app previews); none by default.
  void SetFrameSources(std::string sources) { frame_sources_ = std::move(sources); }

  // Registers Serve as the router's fallback.
  void Register(Router& router) const;

 private:
  struct File {
    std::string content;
    std::string content_type;
    bool immutable = false;  // content-hashed assets: cached for a year
  };
  std::map<std::string, File> files_;  // "/index.html", "/assets/index-abc123.js", ...
  std::string problem_;
  std::string frame_sources_;
};

}  // namespace runlet::api
