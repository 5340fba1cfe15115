#include "api/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>

namespace runlet::api {

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& runs =
      prometheus::BuildCounter().Name("runlet_runs_total").Help("Runs that reached a final status").Register(*registry);
  prometheus::Family<prometheus::Histogram>& run_seconds = prometheus::BuildHistogram()
                                                               .Name("runlet_run_duration_seconds")
                                                               .Help("Time from start to final status")
                                                               .Register(*registry);
  prometheus::Family<prometheus::Counter>& http = prometheus::BuildCounter()
                                                      .Name("runlet_http_requests_total")
                                                      .Help("HTTP requests by route and status code")
                                                      .Register(*registry);
  prometheus::Family<prometheus::Histogram>& http_seconds = prometheus::BuildHistogram()
                                                                .Name("runlet_http_request_duration_seconds")
                                                                .Help("HTTP request handling time")
                                                                .Register(*registry);
  prometheus::Family<prometheus::Gauge>& gauges =
      prometheus::BuildGauge().Name("runlet_runs").Help("Runs executing and queued now").Register(*registry);
  prometheus::Gauge& executing = gauges.Add({{"state", "executing"}});
  prometheus::Gauge& queued = gauges.Add({{"state", "queued"}});
  prometheus::Family<prometheus::Gauge>& clients =
      prometheus::BuildGauge().Name("runlet_stream_clients").Help("Connected SSE and WebSocket clients").Register(*registry);
  prometheus::Gauge& sse = clients.Add({{"kind", "sse"}});
  prometheus::Gauge& websocket = clients.Add({{"kind", "websocket"}});
  prometheus::Family<prometheus::Gauge>& hashes = prometheus::BuildGauge()
                                                      .Name("runlet_password_hashes")
                                                      .Help("Password hashes computing now (running) and at most at once (peak)")
                                                      .Register(*registry);
  prometheus::Gauge& hashes_running = hashes.Add({{"state", "running"}});
  prometheus::Gauge& hashes_peak = hashes.Add({{"state", "peak"}});
  prometheus::Gauge& connections = prometheus::BuildGauge()
                                      .Name("runlet_http_connections")
                                      .Help("Open HTTP connections")
                                      .Register(*registry)
                                      .Add({});
  prometheus::Family<prometheus::Counter>& refused = prometheus::BuildCounter()
                                                         .Name("runlet_http_connections_refused_total")
                                                         .Help("Connections closed at once: a cap on open connections was reached")
                                                         .Register(*registry);
  std::mutex mu;  // Family::Add is thread-safe; the buckets vector is not shared
};

namespace {
const prometheus::Histogram::BucketBoundaries kRunBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const prometheus::Histogram::BucketBoundaries kHttpBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
}  // namespace

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::RunFinished(const std::string& platform, const std::string& runtime, const std::string& status,
                          double seconds) {
  impl_->runs.Add({{"platform", platform}, {"runtime", runtime}, {"status", status}}).Increment();
  impl_->run_seconds.Add({{"platform", platform}, {"runtime", runtime}}, kRunBuckets).Observe(seconds);
}

void Metrics::HttpRequest(const std::string& route, int code, double seconds) {
  impl_->http.Add({{"route", route}, {"code", std::to_string(code)}}).Increment();
  impl_->http_seconds.Add({{"route", route}}, kHttpBuckets).Observe(seconds);
}

void Metrics::SetActiveRuns(double executing, double queued) {
  impl_->executing.Set(executing);
  impl_->queued.Set(queued);
}

void Metrics::AddSseClients(double delta) { impl_->sse.Increment(delta); }
void Metrics::AddWebSocketClients(double delta) { impl_->websocket.Increment(delta); }
void Metrics::SetPasswordHashes(double running, double peak) {
  impl_->hashes_running.Set(running);
  impl_->hashes_peak.Set(peak);
}

void Metrics::SetHttpConnections(double open) { impl_->connections.Set(open); }
void Metrics::HttpConnectionRefused(const std::string& cap) { impl_->refused.Add({{"cap", cap}}).Increment(); }

std::string Metrics::Serialize() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(impl_->registry->Collect());
}

}  // namespace runlet::api
