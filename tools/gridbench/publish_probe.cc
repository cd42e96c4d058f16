#include "publish_probe.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace gridbridge::bench {
namespace {

constexpr char kProbeTopic[] = "gridbridge.platform.probe.v1";

// Each batch's round trip in ms, sorted; records not delivered are added
// to `errors`.
std::vector<double> RoundTrips(platform::KafkaPublisher& publisher, int batches, int records,
                               bool one_key, long long& errors) {
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
    for (const absl::Status& s : publisher.PublishBatch(batch, absl::Seconds(10))) {
      errors += !s.ok();
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

}  // namespace

PublishRoundTrip MeasurePublishRoundTrip(platform::KafkaPublisher& publisher, int batches,
                                         int records) {
  PublishRoundTrip out;
  // First the connections to every broker and the topic's metadata.
  RoundTrips(publisher, 2, records, false, out.errors);
  const std::vector<double> spread = RoundTrips(publisher, batches, records, false, out.errors);
  const std::vector<double> one = RoundTrips(publisher, batches, records, true, out.errors);
  out.spread_p50_ms = spread[spread.size() / 2];
  out.spread_max_ms = spread.back();
  out.one_p50_ms = one[one.size() / 2];
  return out;
}

}  // namespace gridbridge::bench
