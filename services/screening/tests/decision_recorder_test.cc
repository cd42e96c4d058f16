// DecisionRecorder against a real redis-server, in process: decisions on
// arrivals decided again long after (the request log has forgotten them).
#include "decision_recorder.h"

#include <map>

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "measure_lifecycle.h"
#include "stack.h"
#include "store_test_fixtures.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

using test::kGrid;
using test::RiskArea;
using test::T;

class DecisionRecorderTest : public ::testing::Test {
 protected:
  intake::v1::Arrival Arrival(const std::string& id, absl::Time at) {
    intake::v1::Arrival a;
    a.set_arrival_id(id);
    a.set_resident_id("r-1");
    a.set_grid_id(kGrid);
    *a.mutable_arrival_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(at));
    return a;
  }
  // `newly_registered`: intake says it registered the person in this check.
  absl::StatusOr<v1::PersonDecision> Decide(const intake::v1::Arrival& arrival, absl::Time now,
                                            bool newly_registered = false,
                                            DecisionRecorder::ReadAfter* read_after = nullptr) {
    auto decided = decisions_.RecordAll(
        common::v1::Actor(), {&arrival}, [](size_t, const v1::PersonStatus&) { return RiskArea(); },
        now, {newly_registered}, read_after);
    return decided[0];
  }
  // A read of the person's record version, for ReadAfter.
  static platform::RedisArgs PersonVersionRead(const std::string& resident_id) {
    return {"HGET", ScreeningStore::PersonKey(kGrid, resident_id), "v"};
  }
  long long MeasuresStarted() {
    auto counts = store_.GetGridScreening(kGrid);
    EXPECT_TRUE(counts.ok()) << counts.status();
    return counts.ok() ? counts->measures_started() : -1;
  }
  void ReleaseMeasure(const std::string& id, absl::Time now) {
    auto got = store_.GetMeasures({{kGrid, id}});
    ASSERT_TRUE(got.ok() && (*got)[0].has_value());
    auto released = Release(*(*got)[0], now, {"worker-1", "核酸阴性，提前解除"});
    ASSERT_TRUE(released.ok()) << released.status();
    std::vector<platform::GridTransaction> txns;
    txns.emplace_back(ScreeningStore::Keys(kGrid), "", "", now);
    AddMeasureChange(txns.back(), &*(*got)[0], *released, common::v1::Actor(), now);
    auto out = store_.CommitAll(txns);
    ASSERT_TRUE(out.ok() && (*out)[0].ok());
    ASSERT_EQ((*out)[0]->kind, platform::GridTransaction::Outcome::Kind::kCommitted);
  }

  testing::RedisServer server_;
  platform::RedisClient redis_{*platform::RedisOptionsFromAddr(server_.addr())};
  ScreeningStore store_{redis_};
  DecisionRecorder decisions_{store_, nullptr};
};

// Back twice from a risk area, each measure released early; then the first
// arrival is decided again (a replayed topic, its request long forgotten).
// Its measure ran its course before the person's record came to name the
// second: it is not started again (its id is taken; the decision used to
// fail with ABORTED, and a consumer retried it forever).
// An arrival witnesses its decision only if the grid keeps it (30 days
// back from the hour, trimmed at each decision) for the request log's two
// days: 28 days old at most, to the hour.
TEST(ArrivalOutlastsRequestLogTest, TwentyEightDaysToTheHour) {
  intake::v1::Arrival a;
  const absl::Time now = T(5, 10, 12) + absl::Minutes(30);
  auto at = [&](absl::Time t) {
    *a.mutable_arrival_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
    return ArrivalOutlastsRequestLog(a, now);
  };
  const absl::Time hour = T(5, 10, 12);  // now, to the hour
  EXPECT_TRUE(at(now));
  EXPECT_TRUE(at(hour - absl::Hours(24 * 28)));
  EXPECT_FALSE(at(hour - absl::Hours(24 * 28) - absl::Milliseconds(1)));
  EXPECT_FALSE(at(now - absl::Hours(24 * 31)));
}

TEST_F(DecisionRecorderTest, AnArrivalDecidedAgainDoesNotRestartItsMeasureAfterALaterOne) {
  const intake::v1::Arrival first = Arrival("a-1", T(4, 11, 15));
  auto decided = Decide(first, T(4, 11, 15));
  ASSERT_TRUE(decided.ok()) << decided.status();
  const std::string first_measure = decided->measure().measure_id();
  ReleaseMeasure(first_measure, T(4, 12));
  const intake::v1::Arrival second = Arrival("a-2", T(4, 13, 9));
  decided = Decide(second, T(4, 13, 9));
  ASSERT_TRUE(decided.ok()) << decided.status();
  const std::string second_measure = decided->measure().measure_id();
  ASSERT_NE(second_measure, first_measure);
  ReleaseMeasure(second_measure, T(4, 14));

  auto again = Decide(first, T(4, 20));  // other request-log buckets by then
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->decision(), v1::DECISION_MEASURE);
  EXPECT_TRUE(again->measure().measure_id().empty()) << "no measure in force to name";
  auto person = store_.GetPerson(kGrid, "r-1");
  ASSERT_TRUE(person.ok());
  EXPECT_EQ(person->value.measure().measure_id(), second_measure);
  auto counts = store_.GetGridScreening(kGrid);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->measures_started(), 2);
  EXPECT_EQ(counts->centralized_observation(), 0);
}

// An arrival decided before (a retried check; intake's event of an arrival
// decided at the checkpoint) is answered from the request log, the next
// day too: nothing screened or committed again. Another person's new
// arrival in the same batch is decided as usual.
TEST_F(DecisionRecorderTest, AnArrivalDecidedBeforeIsAnsweredFromTheRequestLogUnscreened) {
  const intake::v1::Arrival first = Arrival("a-1", T(4, 11, 15));
  auto decided = Decide(first, T(4, 11, 15));
  ASSERT_TRUE(decided.ok()) << decided.status();
  intake::v1::Arrival other = Arrival("a-2", T(4, 12, 9));
  other.set_resident_id("r-2");
  std::vector<size_t> screened_arrivals;
  auto again = decisions_.RecordAll(
      common::v1::Actor(), {&first, &other},
      [&](size_t i, const v1::PersonStatus&) {
        screened_arrivals.push_back(i);
        return RiskArea();
      },
      T(4, 12, 9));  // the next day: the first decision is in the previous bucket
  ASSERT_EQ(again.size(), 2u);
  ASSERT_TRUE(again[0].ok()) << again[0].status();
  EXPECT_EQ(again[0]->SerializeAsString(), decided->SerializeAsString());
  ASSERT_TRUE(again[1].ok()) << again[1].status();
  EXPECT_EQ(again[1]->decision(), v1::DECISION_MEASURE);
  EXPECT_NE(again[1]->measure().measure_id(), decided->measure().measure_id());
  EXPECT_EQ(screened_arrivals, std::vector<size_t>{1});
  auto grid = store_.FindGrid("r-2");  // remembered on the way
  ASSERT_TRUE(grid.ok());
  EXPECT_EQ(grid->value_or("none"), kGrid);
  auto counts = store_.GetGridScreening(kGrid);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->measures_started(), 2);
}

// Every person of a batch is remembered in the directory (sharded by the
// id's last character), in two grids, also when several share a shard.
TEST_F(DecisionRecorderTest, EveryPersonOfABatchIsRememberedInTheirGrid) {
  std::vector<intake::v1::Arrival> arrivals;
  for (int i = 0; i < 12; ++i) {
    arrivals.push_back(Arrival("a-" + std::to_string(i), T(4, 11, 15)));
    arrivals.back().set_resident_id("r-" + std::to_string(i) + (i % 2 == 0 ? "x" : "y"));
    if (i % 3 == 0) arrivals.back().set_grid_id("other-grid");
  }
  std::vector<const intake::v1::Arrival*> batch;
  for (const auto& a : arrivals) batch.push_back(&a);
  auto decided = decisions_.RecordAll(
      common::v1::Actor(), batch, [](size_t, const v1::PersonStatus&) { return RiskArea(); },
      T(4, 11, 15));
  for (const auto& d : decided) ASSERT_TRUE(d.ok()) << d.status();
  for (const auto& a : arrivals) {
    auto grid = store_.FindGrid(a.resident_id());
    ASSERT_TRUE(grid.ok()) << grid.status();
    EXPECT_EQ(grid->value_or("none"), a.grid_id()) << a.resident_id();
  }
  ASSERT_TRUE(store_.RememberGrids({{"r-late-x", kGrid}, {"r-later-x", "other-grid"}}).ok());
  EXPECT_EQ(store_.FindGrid("r-late-x")->value_or("none"), kGrid);
  EXPECT_EQ(store_.FindGrid("r-later-x")->value_or("none"), "other-grid");
}

// A person intake has just registered (at a checkpoint) is decided without
// reading screening's records (nothing can be there yet): one round trip,
// the commit, which also remembers their grid. A retried check gets the
// first decision.
TEST_F(DecisionRecorderTest, ANewlyRegisteredPersonIsDecidedWithoutReadsAndRememberedInTheirGrid) {
  intake::v1::Arrival known = Arrival("a-0", T(4, 11, 15));
  known.set_resident_id("r-0");
  double before = test::RedisRoundTrips();
  ASSERT_TRUE(Decide(known, T(4, 11, 15)).ok());  // also loads the script
  EXPECT_GE(test::RedisRoundTrips() - before, 2) << "the reads, then the commit";

  const intake::v1::Arrival arrival = Arrival("a-1", T(4, 11, 15));
  before = test::RedisRoundTrips();
  DecisionRecorder::ReadAfter read_after{PersonVersionRead("r-1"), std::nullopt};
  auto decided = Decide(arrival, T(4, 11, 15), /*newly_registered=*/true, &read_after);
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(test::RedisRoundTrips() - before, 1) << "the read after the commit included";
  ASSERT_TRUE(read_after.reply.has_value());
  EXPECT_EQ(read_after.reply->str, "1") << "read after the commit";
  EXPECT_EQ(decided->decision(), v1::DECISION_MEASURE);
  EXPECT_EQ(store_.FindGrid("r-1")->value_or("none"), kGrid);
  auto person = store_.GetPerson(kGrid, "r-1");
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_EQ(person->value.measure().measure_id(), decided->measure().measure_id());

  auto again = Decide(arrival, T(4, 11, 16), /*newly_registered=*/true);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), decided->SerializeAsString());
  EXPECT_EQ(MeasuresStarted(), 2);
}

// A person flagged as newly registered who has a record after all (e.g.
// decided from an event meanwhile) fails the commit's version guard and is
// decided on their record: the measure in force is kept, not started again.
TEST_F(DecisionRecorderTest, AWronglyFlaggedPersonIsDecidedOnTheirRecordAfterAll) {
  auto first = Decide(Arrival("a-1", T(4, 11, 15)), T(4, 11, 15));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->measure().measure_id().empty());
  DecisionRecorder::ReadAfter read_after{PersonVersionRead("r-1"), std::nullopt};
  auto second =
      Decide(Arrival("a-2", T(4, 12, 9)), T(4, 12, 9), /*newly_registered=*/true, &read_after);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(read_after.reply.has_value()) << "the decision committed again after the read";
  EXPECT_EQ(MeasuresStarted(), 1);
  auto person = store_.GetPerson(kGrid, "r-1");
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_EQ(person->value.measure().measure_id(), first->measure().measure_id());
}

// A decided arrival is kept as its grid's `arrivals` member, with no key of
// its own. Members written before (an id, the record in arrival:<id>) are
// still read, and an arrival that is a member twice is re-screened once.
TEST_F(DecisionRecorderTest, ArrivalsAreKeptAsMembersAndOlderIdMembersAreStillRead) {
  const intake::v1::Arrival decided = Arrival("a-1", T(4, 11, 15));
  ASSERT_TRUE(Decide(decided, T(4, 11, 15)).ok());
  const platform::GridKeys keys = ScreeningStore::Keys(kGrid);
  auto own_key = redis_.Command({"EXISTS", keys.Key("arrival", "a-1")});
  ASSERT_TRUE(own_key.ok());
  EXPECT_EQ(own_key->integer, 0);

  intake::v1::Arrival older = Arrival("a-0", T(4, 10, 8));
  older.set_resident_id("r-0");
  intake::v1::Arrival decided_elsewhere = decided;  // another version's bytes
  decided_elsewhere.set_origin_division_code("430500");
  const std::string ms = std::to_string(absl::ToUnixMillis(T(4, 10, 8)));
  auto written = redis_.Pipeline({
      {"HSET", keys.Key("arrival", "a-0"), "v", "1", "p", older.SerializeAsString()},
      {"ZADD", keys.Key("arrivals"), ms, "a-0"},
      {"ZADD", keys.Key("arrivals"), ms, ScreeningStore::ArrivalMember(decided_elsewhere)},
  });
  ASSERT_TRUE(written.ok()) << written.status();

  auto arrivals = store_.ArrivalsSince({kGrid}, T(4, 1));
  ASSERT_TRUE(arrivals.ok()) << arrivals.status();
  std::map<std::string, std::string> residents;  // arrival id -> resident id
  for (const auto& a : *arrivals) residents[a.arrival.arrival_id()] = a.arrival.resident_id();
  EXPECT_EQ(arrivals->size(), 2u);
  EXPECT_EQ(residents, (std::map<std::string, std::string>{{"a-0", "r-0"}, {"a-1", "r-1"}}));
  for (const auto& a : *arrivals) {
    if (a.arrival.arrival_id() == "a-1") {
      EXPECT_GT(a.person.version, 0);
    }
  }
}

// A kept arrival (what a risk-area change re-screens) carries neither the
// plate nor the destination, with or without them in the decided arrival.
TEST_F(DecisionRecorderTest, AKeptArrivalHasNoPlateOrDestination) {
  intake::v1::Arrival by_car = Arrival("a-car", T(4, 11, 15));
  by_car.set_vehicle_plate("辽A12345");
  by_car.mutable_destination()->set_estate("零耐嘉园");
  intake::v1::Arrival by_train = Arrival("a-train", T(4, 11, 16));
  by_train.set_resident_id("r-2");
  ASSERT_TRUE(Decide(by_car, T(4, 11, 15)).ok());
  ASSERT_TRUE(Decide(by_train, T(4, 11, 16)).ok());

  auto arrivals = store_.ArrivalsSince({kGrid}, T(4, 1));
  ASSERT_TRUE(arrivals.ok()) << arrivals.status();
  ASSERT_EQ(arrivals->size(), 2u);
  for (const auto& a : *arrivals) {
    EXPECT_EQ(a.arrival.vehicle_plate(), "") << a.arrival.arrival_id();
    EXPECT_FALSE(a.arrival.has_destination()) << a.arrival.arrival_id();
    intake::v1::Arrival want = a.arrival.arrival_id() == "a-car" ? by_car : by_train;
    want.clear_vehicle_plate();
    want.clear_destination();
    EXPECT_EQ(a.arrival.SerializeAsString(), want.SerializeAsString());
  }
}

}  // namespace
}  // namespace gridbridge::screening
