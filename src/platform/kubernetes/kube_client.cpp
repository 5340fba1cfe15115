#include "platform/kubernetes/kube_client.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "platform/docker/engine_client.h"
#include "platform/swarm/step_protocol.h"

namespace runlet::platform::kubernetes {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

constexpr uint64_t kMaxResponseBytes = 64ull << 20;

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("cannot read " + path, errno);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Error TimedOut(const std::string& what, milliseconds timeout, const std::string& server) {
  return Error{what + ": no answer within " + std::to_string(timeout.count()) + " ms (the API server at " + server +
                   " hangs or is overloaded)",
               ETIMEDOUT, ErrorKind::kUnavailable};
}

// One connection: TCP, then TLS unless the server is http://.
class Connection {
 public:
  explicit Connection(const KubeConfig& config) : config_(config), ctx_(ssl::context::tls_client), socket_(io_) {}

  // Runs what was started until it completes or `timeout` passes; then the connection is
  // closed (the operations end with operation_aborted) and false returned.
  bool RunWithin(milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (io_.stopped()) return true;
    Close();
    io_.restart();
    io_.run();
    return false;
  }
  // Runs for at most `wait`, leaving what is pending pending.
  void RunFor(milliseconds wait) {
    io_.restart();
    io_.run_for(wait);
  }
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  Status Connect(const std::string& host, const std::string& port, bool tls, milliseconds timeout) {
    boost::system::error_code ec;
    if (tls) {
      if (config_.insecure_skip_verify) {
        ctx_.set_verify_mode(ssl::verify_none);
      } else {
        ctx_.set_verify_mode(ssl::verify_peer);
        if (config_.ca_pem.empty()) {
          ctx_.set_default_verify_paths(ec);
        } else {
          ctx_.add_certificate_authority(asio::buffer(config_.ca_pem), ec);
        }
        if (ec) return Fail("kubernetes: the server's CA: " + ec.message());
      }
      if (!config_.client_cert_pem.empty()) {
        ctx_.use_certificate_chain(asio::buffer(config_.client_cert_pem), ec);
        if (!ec) ctx_.use_private_key(asio::buffer(config_.client_key_pem), ssl::context::pem, ec);
        if (ec) return Fail("kubernetes: the client certificate: " + ec.message());
      }
      tls_.emplace(socket_, ctx_);
      if (!config_.insecure_skip_verify) tls_->set_verify_callback(ssl::host_name_verification(host));
      SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    }
    tcp::resolver resolver(io_);
    boost::system::error_code result;
    bool done = false;
    resolver.async_resolve(host, port, [&](boost::system::error_code e, tcp::resolver::results_type endpoints) {
      if (e) {
        result = e;
        done = true;
        return;
      }
      asio::async_connect(socket_, endpoints, [&](boost::system::error_code c, const tcp::endpoint&) {
        if (c || !tls_) {
          result = c;
          done = true;
          return;
        }
        tls_->async_handshake(ssl::stream_base::client, [&](boost::system::error_code h) {
          result = h;
          done = true;
        });
      });
    });
    if (!RunWithin(timeout) || !done) {
      resolver.cancel();
      return tl::unexpected(TimedOut("connect", timeout, config_.server));
    }
    if (result) {
      return Fail("kubernetes: cannot connect to the API server at " + config_.server + ": " + result.message(),
                  result.value());
    }
    return {};
  }

  template <class F>
  void With(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

 private:
  const KubeConfig& config_;
  asio::io_context io_;
  ssl::context ctx_;
  tcp::socket socket_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
};

http::request<http::string_body> MakeRequest(const KubeConfig& config, const std::string& host, std::string_view method,
                                             const std::string& target, const std::string& body,
                                             std::string_view content_type) {
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) verb = http::verb::get;
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "runlet");
  req.set(http::field::accept, "application/json");
  if (!config.token.empty()) req.set(http::field::authorization, "Bearer " + config.token);
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  return req;
}

class BeastStream final : public KubeStream {
 public:
  BeastStream(std::unique_ptr<Connection> conn, boost::beast::flat_buffer buffer,
              std::unique_ptr<http::response_parser<http::buffer_body>> parser)
      : conn_(std::move(conn)), buffer_(std::move(buffer)), parser_(std::move(parser)) {}

  bool Read(std::string& out, milliseconds wait) override {
    if (ended_) return false;
    if (!pending_) {
      if (parser_->is_done()) {
        ended_ = true;
        return false;
      }
      parser_->get().body().data = buf_;
      parser_->get().body().size = sizeof buf_;
      pending_ = true;
      conn_->With([&](auto& s) {
        http::async_read_some(s, buffer_, *parser_, [this](boost::system::error_code ec, size_t) {
          pending_ = false;
          got_ = sizeof buf_ - parser_->get().body().size;
          if (ec == http::error::need_buffer) ec = {};
          if (ec) ended_ = true;
          completed_ = true;
        });
      });
    }
    conn_->RunFor(wait);
    if (completed_) {
      completed_ = false;
      out.append(buf_, got_);
      if (parser_->is_done()) ended_ = true;
    }
    return !ended_;
  }

  ~BeastStream() override { conn_->Close(); }

 private:
  std::unique_ptr<Connection> conn_;
  boost::beast::flat_buffer buffer_;
  std::unique_ptr<http::response_parser<http::buffer_body>> parser_;
  char buf_[16384];
  size_t got_ = 0;
  bool pending_ = false, completed_ = false, ended_ = false;
};

// The block-style YAML subset kubeconfig files are written in, as JSON.
class MiniYaml {
 public:
  explicit MiniYaml(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t indent = 0;
      while (indent < line.size() && line[indent] == ' ') ++indent;
      std::string rest = line.substr(indent);
      if (rest.empty() || rest[0] == '#' || rest == "---") continue;
      lines_.push_back({indent, rest});
    }
  }
  Result<json::value> Parse() {
    if (lines_.empty()) return json::value(json::object{});
    auto v = Node();
    if (!error_.empty()) return Fail("kubeconfig: " + error_);
    if (at_ < lines_.size()) return Fail("kubeconfig: unexpected indentation at \"" + lines_[at_].text + "\"");
    return v;
  }

 private:
  struct Line {
    size_t indent;
    std::string text;
  };
  static bool IsItem(const std::string& t) { return t == "-" || t.rfind("- ", 0) == 0; }
  // "key: value" or "key:" -> the key's end, else npos.
  static size_t KeyEnd(const std::string& t) {
    if (!t.empty() && (t[0] == '"' || t[0] == '\'')) {
      const size_t close = t.find(t[0], 1);
      if (close == std::string::npos) return std::string::npos;
      return t.compare(close + 1, 1, ":") == 0 ? close + 1 : std::string::npos;
    }
    const size_t c = t.find(": ");
    if (c != std::string::npos) return c;
    return !t.empty() && t.back() == ':' ? t.size() - 1 : std::string::npos;
  }
  static json::value Scalar(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (s == "{}") return json::object{};
    if (s == "[]") return json::array{};
    if (s == "null" || s == "~") return nullptr;
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
      std::string out;
      for (size_t i = 1; i + 1 < s.size(); ++i) {
        if (s[i] == '\\' && i + 2 < s.size()) {
          ++i;
          out.push_back(s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i]);
        } else {
          out.push_back(s[i]);
        }
      }
      return json::value(out);
    }
    if (s.size() >= 2 && s.front() == '\'' && s.back() == '\'') {
      std::string out;
      for (size_t i = 1; i + 1 < s.size(); ++i) {
        out.push_back(s[i]);
        if (s[i] == '\'' && s[i + 1] == '\'') ++i;
      }
      return json::value(out);
    }
    const size_t hash = s.find(" #");
    if (hash != std::string::npos) s.resize(hash);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return json::value(s);
  }
  json::value Node() {
    if (at_ >= lines_.size()) return nullptr;
    if (IsItem(lines_[at_].text)) return Sequence(lines_[at_].indent);
    if (KeyEnd(lines_[at_].text) == std::string::npos) return Scalar(lines_[at_++].text);
    return Mapping(lines_[at_].indent);
  }
  json::value Sequence(size_t indent) {
    json::array out;
    while (error_.empty() && at_ < lines_.size() && lines_[at_].indent == indent && IsItem(lines_[at_].text)) {
      std::string rest = lines_[at_].text.size() > 2 ? lines_[at_].text.substr(2) : std::string();
      size_t pad = 0;
      while (pad < rest.size() && rest[pad] == ' ') ++pad;
      rest.erase(0, pad);
      if (rest.empty()) {
        ++at_;
        out.push_back(at_ < lines_.size() && lines_[at_].indent > indent ? Node() : json::value(nullptr));
      } else {
        lines_[at_] = {indent + 2 + pad, rest};  // the item's first line, as its own block
        out.push_back(Node());
      }
    }
    return out;
  }
  json::value Mapping(size_t indent) {
    json::object out;
    while (error_.empty() && at_ < lines_.size() && lines_[at_].indent == indent && !IsItem(lines_[at_].text)) {
      const std::string& t = lines_[at_].text;
      const size_t end = KeyEnd(t);
      if (end == std::string::npos) {
        error_ = "expected \"key: value\" at \"" + t + "\"";
        break;
      }
      json::value key = Scalar(t.substr(0, end));
      std::string value = end + 1 < t.size() ? t.substr(end + 1) : std::string();
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      ++at_;
      const std::string k = key.is_string() ? std::string(key.as_string()) : std::string();
      if (!value.empty()) {
        out[k] = Scalar(value);
      } else if (at_ < lines_.size() && (lines_[at_].indent > indent ||
                                         (lines_[at_].indent == indent && IsItem(lines_[at_].text)))) {
        out[k] = Node();
      } else {
        out[k] = nullptr;
      }
    }
    return out;
  }

  std::vector<Line> lines_;
  size_t at_ = 0;
  std::string error_;
};

const json::object* Named(const json::value& doc, std::string_view list, const std::string& name,
                          std::string_view inner) {
  if (!doc.is_object()) return nullptr;
  const auto* items = doc.as_object().if_contains(list);
  if (!items || !items->is_array()) return nullptr;
  for (const auto& item : items->as_array()) {
    if (!item.is_object()) continue;
    const auto* n = item.as_object().if_contains("name");
    if (!n || !n->is_string() || n->as_string() != name) continue;
    const auto* in = item.as_object().if_contains(inner);
    static const json::object empty;
    return in && in->is_object() ? &in->as_object() : &empty;
  }
  return nullptr;
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A PEM from "<key>-data" (base64) or "<key>" (a file, relative to the kubeconfig's directory).
Result<std::string> Pem(const json::object& o, const std::string& key, const std::string& dir) {
  if (std::string data = Str(o, key + "-data"); !data.empty()) {
    std::string out;
    if (!swarm::Base64Decode(data, out)) return Fail("kubeconfig: " + key + "-data is not base64");
    return out;
  }
  std::string path = Str(o, key);
  if (path.empty()) return std::string();
  if (path[0] != '/') path = dir + "/" + path;
  return ReadText(path);
}

}  // namespace

Result<KubeConfig> LoadInCluster(const std::string& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host) return Fail("kubernetes: not in a cluster ($KUBERNETES_SERVICE_HOST is not set)");
  KubeConfig c;
  const std::string h = host;
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + (port && *port ? port : "443");
  c.context = "in-cluster";
  auto token = ReadText(root + "/token");
  if (!token) return tl::unexpected(token.error().Wrap("kubernetes: the service account's token"));
  c.token = *token;
  while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == ' ')) c.token.pop_back();
  auto ca = ReadText(root + "/ca.crt");
  if (!ca) return tl::unexpected(ca.error().Wrap("kubernetes: the service account's CA"));
  c.ca_pem = *ca;
  if (auto ns = ReadText(root + "/namespace"); ns) {
    c.namespace_ = *ns;
    while (!c.namespace_.empty() && (c.namespace_.back() == '\n' || c.namespace_.back() == ' ')) c.namespace_.pop_back();
  }
  return c;
}

Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  auto text = ReadText(path);
  if (!text) return tl::unexpected(text.error().Wrap("kubeconfig"));
  json::value doc;
  const size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{') {
    boost::system::error_code ec;
    doc = json::parse(*text, ec);
    if (ec) return Fail("kubeconfig " + path + ": not JSON: " + ec.message());
  } else {
    auto parsed = MiniYaml(*text).Parse();
    if (!parsed) return tl::unexpected(parsed.error().Wrap(path));
    doc = std::move(*parsed);
  }
  if (!doc.is_object()) return Fail("kubeconfig " + path + ": not a mapping");
  KubeConfig c;
  c.context = context.empty() ? Str(doc.as_object(), "current-context") : context;
  if (c.context.empty()) return Fail("kubeconfig " + path + ": no current-context (name one)");
  const json::object* ctx = Named(doc, "contexts", c.context, "context");
  if (!ctx) return Fail("kubeconfig " + path + ": no context \"" + c.context + "\"");
  c.namespace_ = Str(*ctx, "namespace");
  const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  const json::object* cluster = Named(doc, "clusters", Str(*ctx, "cluster"), "cluster");
  if (!cluster) return Fail("kubeconfig " + path + ": no cluster \"" + Str(*ctx, "cluster") + "\"");
  c.server = Str(*cluster, "server");
  if (c.server.empty()) return Fail("kubeconfig " + path + ": the cluster has no server");
  c.insecure_skip_verify = Str(*cluster, "insecure-skip-tls-verify") == "true" ||
                           (cluster->if_contains("insecure-skip-tls-verify") &&
                            cluster->at("insecure-skip-tls-verify").is_bool() &&
                            cluster->at("insecure-skip-tls-verify").as_bool());
  auto ca = Pem(*cluster, "certificate-authority", dir);
  if (!ca) return tl::unexpected(ca.error());
  c.ca_pem = *ca;
  const std::string user_name = Str(*ctx, "user");
  const json::object* user = Named(doc, "users", user_name, "user");
  if (!user) return Fail("kubeconfig " + path + ": no user \"" + user_name + "\"");
  if (user->if_contains("exec") || user->if_contains("auth-provider")) {
    return Fail("kubeconfig " + path + ": user \"" + user_name +
                "\" authenticates through a plugin (exec/auth-provider); Runlet takes a token or a client certificate");
  }
  c.token = Str(*user, "token");
  if (c.token.empty() && !Str(*user, "tokenFile").empty()) {
    auto t = ReadText(Str(*user, "tokenFile"));
    if (!t) return tl::unexpected(t.error());
    c.token = *t;
    while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == ' ')) c.token.pop_back();
  }
  auto cert = Pem(*user, "client-certificate", dir);
  if (!cert) return tl::unexpected(cert.error());
  auto key = Pem(*user, "client-key", dir);
  if (!key) return tl::unexpected(key.error());
  c.client_cert_pem = *cert;
  c.client_key_pem = *key;
  if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
    return Fail("kubeconfig " + path + ": user \"" + user_name + "\" has a client certificate without its key");
  }
  if (c.token.empty() && c.client_cert_pem.empty()) {
    return Fail("kubeconfig " + path + ": user \"" + user_name + "\" has neither a token nor a client certificate");
  }
  return c;
}

KubeClient::KubeClient(KubeConfig config, KubeTimeouts timeouts) : config_(std::move(config)), timeouts_(timeouts) {
  std::string rest = config_.server;
  if (rest.rfind("http://", 0) == 0) {
    tls_ = false;
    rest.erase(0, 7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest.erase(0, 8);
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (!rest.empty() && rest[0] == '[') {  // [v6]:port
    const size_t close = rest.find(']');
    host_ = rest.substr(1, close - 1);
    port_ = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "";
  } else if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host_ = rest.substr(0, colon);
    port_ = rest.substr(colon + 1);
  } else {
    host_ = rest;
  }
  if (port_.empty()) port_ = tls_ ? "443" : "80";
}

Result<KubeResponse> KubeClient::Request(std::string_view method, const std::string& target, const std::string& body,
                                         std::string_view content_type) const {
  Connection conn(config_);
  if (auto s = conn.Connect(host_, port_, tls_, timeouts_.connect); !s) return tl::unexpected(s.error());
  auto req = MakeRequest(config_, host_, method, target, body, content_type);
  const std::string what = "kubernetes: " + std::string(method) + " " + target;
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  boost::system::error_code write_ec, read_ec;
  conn.With([&](auto& s) {
    http::async_write(s, req, [&](boost::system::error_code e, size_t) {
      write_ec = e;
      if (!e) http::async_read(s, buffer, parser, [&](boost::system::error_code r, size_t) { read_ec = r; });
    });
  });
  if (!conn.RunWithin(timeouts_.request)) return tl::unexpected(TimedOut(what, timeouts_.request, config_.server));
  if (write_ec) return Fail(what + ": write: " + write_ec.message(), write_ec.value());
  if (read_ec) return Fail(what + ": read: " + read_ec.message(), read_ec.value());
  KubeResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  return out;
}

Result<std::unique_ptr<KubeStream>> KubeClient::Stream(const std::string& target) const {
  auto conn = std::make_unique<Connection>(config_);
  if (auto s = conn->Connect(host_, port_, tls_, timeouts_.connect); !s) return tl::unexpected(s.error());
  auto req = MakeRequest(config_, host_, "GET", target, {}, {});
  const std::string what = "kubernetes: GET " + target;
  boost::beast::flat_buffer buffer;
  auto parser = std::make_unique<http::response_parser<http::buffer_body>>();
  parser->body_limit(std::numeric_limits<uint64_t>::max());
  boost::system::error_code write_ec, read_ec;
  conn->With([&](auto& s) {
    http::async_write(s, req, [&](boost::system::error_code e, size_t) {
      write_ec = e;
      if (!e) http::async_read_header(s, buffer, *parser, [&](boost::system::error_code r, size_t) { read_ec = r; });
    });
  });
  if (!conn->RunWithin(timeouts_.request)) return tl::unexpected(TimedOut(what, timeouts_.request, config_.server));
  if (write_ec) return Fail(what + ": write: " + write_ec.message(), write_ec.value());
  if (read_ec) return Fail(what + ": read: " + read_ec.message(), read_ec.value());
  const int status = static_cast<int>(parser->get().result_int());
  auto stream = std::make_unique<BeastStream>(std::move(conn), std::move(buffer), std::move(parser));
  if (status != 200) {
    // An error answer has an ordinary body: read it for the server's message.
    std::string body;
    const auto until = std::chrono::steady_clock::now() + timeouts_.request;
    while (body.size() < 65536 && std::chrono::steady_clock::now() < until && stream->Read(body, milliseconds(100))) {
    }
    return tl::unexpected(KubeError(what, {status, body}));
  }
  return std::unique_ptr<KubeStream>(std::move(stream));
}

Error KubeError(std::string_view what, const KubeResponse& response) {
  return docker::ApiError(what, response.status, response.body);
}

std::string QueryEncode(std::string_view text) { return docker::UrlEncode(text); }

}  // namespace runlet::platform::kubernetes
