#include "metrics.h"

namespace gridbridge::platform {

std::shared_ptr<prometheus::Registry> MetricsShared() {
  static auto registry = std::make_shared<prometheus::Registry>();
  return registry;
}

prometheus::Registry& Metrics() { return *MetricsShared(); }

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return kBuckets;
}

MetricsServer::MetricsServer(const std::string& listen) : exposer_(listen, 2) {
  exposer_.RegisterCollectable(MetricsShared());
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen) {
  try {
    return std::unique_ptr<MetricsServer>(new MetricsServer(listen));
  } catch (const std::exception& e) {
    return absl::UnavailableError("cannot serve /metrics on " + listen + ": " + e.what());
  }
}

int MetricsServer::port() const {
  auto ports = exposer_.GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace gridbridge::platform
