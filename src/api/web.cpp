#include "api/web.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace runlet::api {
namespace fs = std::filesystem;
namespace {

constexpr uintmax_t kMaxTotalBytes = 64ull << 20;

std::string ContentType(const std::string& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"}, {".wasm", "application/wasm"}};
  const auto dot = path.rfind('.');
  if (dot != std::string::npos) {
    auto it = types.find(path.substr(dot));
    if (it != types.end()) return it->second;
  }
  return "application/octet-stream";
}

// Headers every UI answer carries: the page may load only its own scripts and talk only
// to this server, frame only `frame_sources` (the app previews' origin, when there is
// one); nobody may frame it.
void SecurityHeaders(Response& r, const std::string& frame_sources) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                         "img-src 'self' data:; connect-src 'self'; frame-src " +
                             (frame_sources.empty() ? std::string("'none'") : frame_sources) +
                             "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
}

constexpr char kNotBuilt[] =
    "<!doctype html><meta charset=utf-8><title>Runlet</title>"
    "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">"
    "<h1>Runlet is running</h1><p>The web UI has not been built, so there is no page to show. "
    "Build it with <code>make web</code> (or <code>make run</code>), or point "
    "<code>runlet serve --web DIR</code> at a built copy.</p>"
    "<p>The HTTP API answers at <code>/api/v1</code>; see <code>/healthz</code>.</p>";

}  // namespace

WebUi WebUi::Load(const std::string& dir) {
  WebUi ui;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) {
    ui.problem_ = "no web UI folder at " + (dir.empty() ? std::string("(none)") : dir);
    return ui;
  }
  uintmax_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const uintmax_t size = it->file_size(ec);
    if (ec || total + size > kMaxTotalBytes) {
      ui.problem_ = "the web UI folder " + dir + " is larger than 64 MiB; serving none of it";
      ui.files_.clear();
      return ui;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const std::string rel = "/" + fs::relative(it->path(), dir, ec).generic_string();
    if (ec) continue;
    total += size;
    File f{content.str(), ContentType(rel), rel.rfind("/assets/", 0) == 0};
    ui.files_.emplace(rel, std::move(f));
  }
  if (ec) ui.problem_ = "cannot read " + dir + ": " + ec.message();
  if (!ui.built() && ui.problem_.empty()) ui.problem_ = "no index.html in " + dir + " (build the UI: make web)";
  return ui;
}

std::optional<Response> WebUi::Serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  const std::string& path = request.path;
  if (path.rfind("/api/", 0) == 0 || path == "/api" || path == "/healthz" || path == "/metrics") return std::nullopt;
  Response r;
  SecurityHeaders(r, frame_sources_);
  auto it = files_.find(path);
  if (it == files_.end() || path == "/index.html") {
    // A file name that is not there is a 404; any other path is a page of the UI.
    const std::string last = path.substr(path.rfind('/') + 1);
    if (it == files_.end() && last.find('.') != std::string::npos) {
      r.status = 404;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "not found\n";
      return r;
    }
    it = files_.find("/index.html");
    if (it == files_.end()) {
      r.content_type = "text/html; charset=utf-8";
      r.body = kNotBuilt;
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
  }
  r.content_type = it->second.content_type;
  r.body = it->second.content;
  r.headers.emplace_back("Cache-Control", it->second.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  return r;
}

void WebUi::Register(Router& router) const {
  auto self = std::make_shared<WebUi>(*this);
  router.SetFallback([self](Request& req) { return self->Serve(req); });
}

}  // namespace runlet::api
