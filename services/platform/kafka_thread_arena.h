#pragma once

struct rd_kafka_conf_s;

namespace gridbridge::platform {

// Makes the threads librdkafka starts for a client made from `conf` (its
// main, broker and background threads) allocate from the arena background
// threads share (UseBackgroundArena). A consumer's broker thread allocates
// what its consumer thread frees (fetched messages): in one arena the two
// reuse each other's memory (docs/performance.md, session 21). Registered
// as interceptors, which librdkafka copies with the configuration.
void ShareBackgroundArenaWithKafkaThreads(rd_kafka_conf_s* conf);

}  // namespace gridbridge::platform
