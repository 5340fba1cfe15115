// The server's Prometheus metrics (prometheus-cpp), served as text at /metrics.
#pragma once

#include <memory>
#include <string>

namespace runlet::api {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  void RunFinished(const std::string& platform, const std::string& runtime, const std::string& status,
                   double seconds);
  void HttpRequest(const std::string& route, int code, double seconds);
  void SetActiveRuns(double executing, double queued);
  void AddSseClients(double delta);
  void AddWebSocketClients(double delta);
  // Password hashes (argon2id) computing now, and the most ever computed at once.
  void SetPasswordHashes(double running, double peak);
  // Open HTTP connections now, and connections closed at once because a cap was reached
  // (`cap`: "total" or "address").
  void SetHttpConnections(double open);
  void HttpConnectionRefused(const std::string& cap);
  // The Prometheus text exposition format.
  std::string Serialize() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runlet::api
