#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gridbridge::platform {

// The process-wide metrics registry, like Prometheus client libraries'
// default registry. Families are created once and are thread-safe.
prometheus::Registry& Metrics();
std::shared_ptr<prometheus::Registry> MetricsShared();

// Buckets (seconds) for request and client latencies: 100 us .. 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

// Serves GET /metrics in Prometheus text format on `listen` ("host:port",
// port 0 picks a free one). Stops when destroyed.
class MetricsServer {
 public:
  // UNAVAILABLE naming the address if it cannot listen (e.g. in use).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen);
  int port() const;

 private:
  explicit MetricsServer(const std::string& listen);
  prometheus::Exposer exposer_;
};

}  // namespace gridbridge::platform
