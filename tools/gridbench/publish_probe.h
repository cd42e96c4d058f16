#pragma once

#include "kafka_publisher.h"

namespace gridbridge::bench {

// The round trip of a publish as the outbox relays see it: PublishBatch of
// `records` records until every delivery report is in, `batches` times, on
// the probe topic. Keyed apart, a batch spreads over every partition (one
// request per partition to each broker, as a relay's round does); under one
// key it goes to one partition (one request): the baseline of the same run.
struct PublishRoundTrip {
  double spread_p50_ms = 0, spread_max_ms = 0;  // records over every partition
  double one_p50_ms = 0;                        // the same records under one key
  long long errors = 0;                         // records not delivered (times then mean little)
};
PublishRoundTrip MeasurePublishRoundTrip(platform::KafkaPublisher& publisher, int batches,
                                         int records);

}  // namespace gridbridge::bench
