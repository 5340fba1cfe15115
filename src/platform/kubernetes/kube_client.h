// A client of the Kubernetes API server: HTTP/1.1 over TLS (or plain HTTP, for a local
// `kubectl proxy`) with Boost.Beast, one connection per request, so one client may be used
// by several threads at once. No kubectl, no generated client: the platform sends the few
// JSON objects it needs (kubernetes_platform.cpp).
//
// Credentials: in-cluster (the pod's service account token and CA at the standard paths,
// the server from KUBERNETES_SERVICE_HOST/PORT) or a kubeconfig file (its current
// context, or a named one: a bearer token or a client certificate and key, inline or as
// files; the server's CA likewise). Kubeconfig files are YAML: LoadKubeconfig reads the
// block-style subset kubectl writes (mappings, "- " sequences, plain and quoted scalars)
// and JSON.
//
// Every call is bounded by its timeouts (KubeTimeouts): a hung API server fails the call
// with ETIMEDOUT. An answer with an HTTP error status is a response; KubeError makes it
// an error carrying the server's Status message, its kind from the code (404 not found,
// 409 conflict, 401/403 permission).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace runlet::platform::kubernetes {

struct KubeConfig {
  std::string server;        // "https://10.0.0.1:443" or "http://127.0.0.1:8001"
  std::string context;       // the kubeconfig context used ("in-cluster" for a service account)
  std::string namespace_;    // the context's namespace (or the service account's), "" if none
  std::string token;         // bearer token, "" if none
  std::string ca_pem;        // the server's CA; "" = the system's
  std::string client_cert_pem, client_key_pem;  // client certificate auth
  bool insecure_skip_verify = false;
};

// The pod's service account: /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,
// namespace} (under `root`, for tests) and $KUBERNETES_SERVICE_HOST/PORT.
Result<KubeConfig> LoadInCluster(const std::string& root = "/var/run/secrets/kubernetes.io/serviceaccount");
// A kubeconfig file; `context` "" = its current-context.
Result<KubeConfig> LoadKubeconfig(const std::string& path, const std::string& context = {});

struct KubeTimeouts {
  std::chrono::milliseconds connect{5000};   // TCP and TLS handshake
  std::chrono::milliseconds request{30000};  // sending a request and reading all its answer
};

struct KubeResponse {
  int status = 0;
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
};

// A response whose body may never end (a pod's log with follow=true, a watch): read as it
// comes, chunked or not.
class KubeStream {
 public:
  virtual ~KubeStream() = default;
  // Waits up to `wait` for body bytes and appends them to `out`. False once the body
  // ended or the connection broke (`out` may still have got the last bytes).
  virtual bool Read(std::string& out, std::chrono::milliseconds wait) = 0;
};

class KubeClient {
 public:
  explicit KubeClient(KubeConfig config, KubeTimeouts timeouts = {});
  const KubeConfig& config() const { return config_; }

  // `target`: the path and query ("/api/v1/namespaces/x/pods?labelSelector=...").
  Result<KubeResponse> Request(std::string_view method, const std::string& target, const std::string& body = {},
                               std::string_view content_type = "application/json") const;
  // The answer's header within the request timeout; an answer other than 200 is an error
  // (KubeError) with the server's message.
  Result<std::unique_ptr<KubeStream>> Stream(const std::string& target) const;

 private:
  KubeConfig config_;
  KubeTimeouts timeouts_;
  std::string host_, port_;
  bool tls_ = true;
};

// "kubernetes: <what>: <message of the server's Status> (HTTP <code>)".
Error KubeError(std::string_view what, const KubeResponse& response);

// Percent-encodes `text` for a query string.
std::string QueryEncode(std::string_view text);

}  // namespace runlet::platform::kubernetes
