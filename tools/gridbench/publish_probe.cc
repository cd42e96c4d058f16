#include "publish_probe.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace gridbridge::bench {
namespace {

constexpr char kProbeTopic[] = "gridbridge.platform.probe.v1";

// Each batch's round trip in ms, sorted.
std::vector<double> RoundTrips(platform::KafkaPublisher& publisher, int batches, int records,
                               bool one_key) {
  std::vector<double> ms;
  for (int b = 0; b < batches; ++b) {
    std::vector<platform::KafkaRecord> batch;
    for (int r = 0; r < records; ++r) {
      batch.push_back({kProbeTopic,
                       one_key ? "probe" : "probe-" + std::to_string(r),
                       std::string(300, 'p'),
                       {}});
    }
    const auto start = std::chrono::steady_clock::now();
    publisher.PublishBatch(batch, absl::Seconds(10));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

}  // namespace

PublishRoundTrip MeasurePublishRoundTrip(platform::KafkaPublisher& publisher, int batches,
                                         int records) {
  RoundTrips(publisher, 2, records, false);  // connections to every broker, metadata
  const std::vector<double> spread = RoundTrips(publisher, batches, records, false);
  const std::vector<double> one = RoundTrips(publisher, batches, records, true);
  PublishRoundTrip out;
  out.spread_p50_ms = spread[spread.size() / 2];
  out.spread_max_ms = spread.back();
  out.one_p50_ms = one[one.size() / 2];
  return out;
}

}  // namespace gridbridge::bench
