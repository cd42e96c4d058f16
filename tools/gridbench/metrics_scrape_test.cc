#include "metrics_scrape.h"

#include "gtest/gtest.h"

namespace gridbridge::bench {
namespace {

constexpr char kScrape[] = R"(# HELP gridbridge_kafka_consumer_lag_records Records not taken yet
# TYPE gridbridge_kafka_consumer_lag_records gauge
gridbridge_kafka_consumer_lag_records{group="screening",topic="gridbridge.intake.arrival.v1"} 12
gridbridge_kafka_consumer_lag_records{group="screening",topic="gridbridge.intake.health-status.v1"} 3
gridbridge_kafka_consumer_lag_records{group="other",topic="gridbridge.intake.arrival.v1"} 100
gridbridge_kafka_consumer_lag_records_total{group="screening"} 1000
gridbridge_kafka_consumer_assigned_partitions{group="screening"} 24
)";

TEST(SumOfSamples, AddsTheSamplesOfOneMetricWithTheLabel) {
  EXPECT_EQ(SumOfSamples(kScrape, "gridbridge_kafka_consumer_lag_records", "group=\"screening\""),
            15);
  EXPECT_EQ(SumOfSamples(kScrape, "gridbridge_kafka_consumer_lag_records", "group=\"other\""), 100);
  EXPECT_EQ(
      SumOfSamples(kScrape, "gridbridge_kafka_consumer_assigned_partitions", "group=\"screening\""),
      24);
}

TEST(SumOfSamples, IsZeroWithoutSuchSamples) {
  EXPECT_EQ(SumOfSamples(kScrape, "gridbridge_kafka_consumer_lag_records", "group=\"none\""), 0);
  EXPECT_EQ(SumOfSamples("", "gridbridge_kafka_consumer_lag_records", "group=\"screening\""), 0);
}

}  // namespace
}  // namespace gridbridge::bench
