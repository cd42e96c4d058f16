// Screening's consumer of intake's events against a real redis-server, in
// process: what an arrival event says of its person decides whether the
// person is read before the decision.
#include "intake_events.h"

#include <set>

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "stack.h"
#include "store_test_fixtures.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;
using test::kGrid;
using test::T;

class IntakeEventsTest : public ::testing::Test, protected test::InProcessScreening {
 protected:
  // Person `resident`'s arrival `id` from Shaoyang the day before, as intake
  // publishes it.
  static platform::ConsumedRecord Event(const std::string& id, const std::string& resident,
                                        bool resident_created, bool screened_at_checkpoint) {
    intake::v1::ArrivalRecorded event;
    intake::v1::Arrival* a = event.mutable_arrival();
    a->set_arrival_id(id);
    a->set_resident_id(resident);
    a->set_grid_id(kGrid);
    a->set_origin_division_code("430500");
    *a->mutable_arrival_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(T(4, 10, 15)));
    a->set_travel_mode(intake::v1::TRAVEL_MODE_TRAIN);
    a->set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
    event.set_resident_created(resident_created);
    event.set_screened_at_checkpoint(screened_at_checkpoint);
    platform::ConsumedRecord record;
    record.topic = kIntakeArrivalTopic;
    record.key = resident;
    record.value = event.SerializeAsString();
    return record;
  }
  // Handles `record` alone; the Redis round trips it took.
  double Handle(const platform::ConsumedRecord& record) {
    const double before = test::RedisRoundTrips();
    auto out = handler_.HandleBatch({record});
    EXPECT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].ok()) << out[0];
    return test::RedisRoundTrips() - before;
  }
  // The arrival screening last decided for `resident`.
  std::string LastDecidedArrival(const std::string& resident) {
    auto person = store_.GetPerson(kGrid, resident);
    EXPECT_TRUE(person.ok()) << person.status();
    return person.ok() ? person->value.last_decision().arrival_id() : "";
  }

  IntakeEventHandler handler_{
      {store_, decisions_, policy_, risk_areas_, platform::Divisions::Builtin(), clock_, {}}};
};

// A person intake registered with the arrival is decided without a read:
// one round trip fewer than a known person's. An arrival screened at a
// checkpoint is read first all the same (its decision is the check's).
// Every one of them is decided.
TEST_F(IntakeEventsTest, APersonRegisteredWithTheArrivalIsDecidedWithoutARead) {
  Handle(Event("a-0", "r-0", false, false));  // loads the script, reads the list
  const double known = Handle(Event("a-1", "r-1", false, false));
  const double created = Handle(Event("a-2", "r-2", true, false));
  const double at_checkpoint = Handle(Event("a-3", "r-3", true, true));
  EXPECT_EQ(created, known - 1);
  EXPECT_EQ(at_checkpoint, known);
  EXPECT_EQ(LastDecidedArrival("r-1"), "a-1");
  EXPECT_EQ(LastDecidedArrival("r-2"), "a-2");
  EXPECT_EQ(LastDecidedArrival("r-3"), "a-3");
  auto grid = store_.FindGrid("r-2");  // remembered with the commit
  ASSERT_TRUE(grid.ok()) << grid.status();
  EXPECT_EQ(grid->value_or("none"), kGrid);
}

// The arrival is kept for re-screening as the event carries it (its bytes,
// not serialized again) or, with a plate and destination, without them.
TEST_F(IntakeEventsTest, TheArrivalIsKeptForRescreeningWithoutPlateOrDestination) {
  platform::ConsumedRecord plain = Event("a-1", "r-1", true, false);
  platform::ConsumedRecord by_car = Event("a-2", "r-2", true, false);
  intake::v1::ArrivalRecorded car;
  ASSERT_TRUE(car.ParseFromString(by_car.value));
  car.mutable_arrival()->set_vehicle_plate("湘E12345");
  car.mutable_arrival()->mutable_destination()->set_estate("零耐嘉园");
  by_car.value = car.SerializeAsString();
  auto out = handler_.HandleBatch({plain, by_car});
  ASSERT_TRUE(out[0].ok() && out[1].ok()) << out[0] << out[1];

  auto kept = store_.ArrivalsSince({kGrid}, T(4, 1, 0));
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->size(), 2u);
  intake::v1::ArrivalRecorded want_plain, want_car = car;
  ASSERT_TRUE(want_plain.ParseFromString(plain.value));
  want_car.mutable_arrival()->clear_vehicle_plate();
  want_car.mutable_arrival()->clear_destination();
  for (const auto& k : *kept) {
    const auto& want = k.arrival.arrival_id() == "a-1" ? want_plain : want_car;
    EXPECT_EQ(k.arrival.SerializeAsString(), want.arrival().SerializeAsString())
        << k.arrival.DebugString();
  }
}

// A wrong flag (the person is known to screening after all) costs a round
// trip, never the decision: it is made on the person's record, and the
// same event again answers with it.
TEST_F(IntakeEventsTest, AWronglyFlaggedArrivalIsStillDecidedOnThePersonsRecord) {
  Handle(Event("a-1", "r-1", true, false));
  const std::string first = LastDecidedArrival("r-1");
  ASSERT_EQ(first, "a-1");
  Handle(Event("a-2", "r-1", true, false));  // r-1 is not new any more
  EXPECT_EQ(LastDecidedArrival("r-1"), "a-2");
  Handle(Event("a-2", "r-1", true, false));  // delivered twice
  auto counts = store_.GetGridScreening(kGrid);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->decisions(), 2);
}

// What the request log answers for an arrival decided before: asked the
// way a retried check asks (the person read first).
v1::PersonDecision Remembered(DecisionRecorder& decisions, const platform::ConsumedRecord& record,
                              absl::Time now) {
  intake::v1::ArrivalRecorded event;
  EXPECT_TRUE(event.ParseFromString(record.value));
  common::v1::Actor actor;
  actor.set_subject("test");
  auto again = decisions.RecordAll(
      actor, {&event.arrival()},
      [](size_t, const v1::PersonStatus&) -> Verdict {
        ADD_FAILURE() << "decided again instead of answered from the log";
        return {};
      },
      now);
  EXPECT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].ok()) << again[0].status();
  return again[0].ok() ? *again[0] : v1::PersonDecision();
}

// Whether grid kGrid's request log holds an entry for arrival `id` at `now`.
bool Logged(platform::RedisClient& redis, const std::string& id, absl::Time now) {
  const auto [current, previous] =
      platform::GridTransaction::RequestBuckets(ScreeningStore::Keys(kGrid), now);
  for (const auto& bucket : {current, previous}) {
    auto reply = redis.Command({"HEXISTS", bucket, "arrival:" + id});
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (reply.ok() && reply->integer != 0) return true;
  }
  return false;
}

long long Decisions(ScreeningStore& store) {
  auto counts = store.GetGridScreening(kGrid);
  EXPECT_TRUE(counts.ok()) << counts.status();
  return counts.ok() ? counts->decisions() : -1;
}

// A new person's arrival that no checkpoint recorded leaves nothing in the
// request log (no client will ask for it): the arrival kept for
// re-screening is what tells the same event delivered again that it was
// decided. A checkpoint's arrival keeps the whole answer, words and all,
// which a retried check returns.
TEST_F(IntakeEventsTest, ANewPersonsEventIsWitnessedByItsArrivalACheckpointsIsLoggedWhole) {
  const auto created = Event("a-1", "r-1", true, false);
  const auto at_checkpoint = Event("a-2", "r-2", true, true);
  Handle(created);
  Handle(at_checkpoint);
  const v1::PersonDecision full = Remembered(decisions_, at_checkpoint, clock_.Now());
  EXPECT_EQ(full.arrival_id(), "a-2");
  EXPECT_FALSE(full.explanation().empty());
  EXPECT_GT(full.reasons_size(), 0);
  EXPECT_TRUE(Logged(redis_, "a-2", clock_.Now()));
  EXPECT_FALSE(Logged(redis_, "a-1", clock_.Now()));
  // The record keeps the whole decision all the same (GetPersonStatus).
  auto person = store_.GetPerson(kGrid, "r-1");
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_FALSE(person->value.last_decision().explanation().empty());
  ASSERT_EQ(Decisions(store_), 2);
  // Delivered again, alone, then a day later twice in one batch: found
  // decided, not decided again.
  Handle(created);
  clock_.Advance(absl::Hours(24));
  auto again = handler_.HandleBatch({created, created});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_TRUE(again[0].ok() && again[1].ok()) << again[0] << again[1];
  EXPECT_EQ(Decisions(store_), 2);
  EXPECT_EQ(LastDecidedArrival("r-1"), "a-1");
}

// The same new person's event twice in its first batch: decided once.
TEST_F(IntakeEventsTest, ANewPersonsEventTwiceInOneBatchIsDecidedOnce) {
  const auto created = Event("a-1", "r-1", true, false);
  auto out = handler_.HandleBatch({created, created});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].ok() && out[1].ok()) << out[0] << out[1];
  EXPECT_EQ(Decisions(store_), 1);
  EXPECT_FALSE(Logged(redis_, "a-1", clock_.Now()));
}

// A batch of new people's events delivered again (a consumer that stopped
// before committing its offsets) is found decided with one ask of the kept
// arrivals for the whole batch, not one round trip per event.
TEST_F(IntakeEventsTest, ABatchDeliveredAgainIsFoundDecidedInAFewRoundTrips) {
  std::vector<platform::ConsumedRecord> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back(Event("a-" + std::to_string(i), "r-" + std::to_string(i), true, false));
  }
  for (const auto& st : handler_.HandleBatch(batch)) ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(Decisions(store_), 20);
  const double before = test::RedisRoundTrips();
  for (const auto& st : handler_.HandleBatch(batch)) EXPECT_TRUE(st.ok()) << st;
  const double trips = test::RedisRoundTrips() - before;
  EXPECT_EQ(Decisions(store_), 20);
  // The risk-area list's version, the commit (found taken, then sent again
  // the general way) and the ask; one per event would be 23.
  EXPECT_LE(trips, 4) << trips << " round trips";
}

// Calls of `command` Redis has run (INFO commandstats), -1 if unknown.
long long CommandCalls(platform::RedisClient& redis, const std::string& command) {
  auto info = redis.Command({"INFO", "commandstats"});
  if (!info.ok()) return -1;
  const std::string field = "cmdstat_" + command + ":calls=";
  const size_t at = info->str.find(field);
  if (at == std::string::npos) return 0;
  return std::stoll(info->str.substr(at + field.size()));
}

// A batch of new people remembers their grids (the directory GetPersonStatus
// looks people up in) with one command per directory hash, not one per
// person; each is found in their grid.
TEST_F(IntakeEventsTest, ABatchRemembersItsPeoplesGridsInOneCommandPerDirectoryHash) {
  std::vector<platform::ConsumedRecord> batch;
  std::set<char> hashes;  // the directory hash is picked by the id's last character
  for (int i = 0; i < 100; ++i) {
    const std::string resident = "r-" + std::to_string(i);
    hashes.insert(resident.back());
    batch.push_back(Event("a-" + std::to_string(i), resident, true, false));
  }
  const long long before = CommandCalls(redis_, "hset");
  for (const auto& st : handler_.HandleBatch(batch)) ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(Decisions(store_), 100);
  // One HSET a person for their record (in the commit script), and the
  // directory's; one a person for both would be 200.
  EXPECT_EQ(CommandCalls(redis_, "hset") - before, 100 + static_cast<long long>(hashes.size()));
  for (int i = 0; i < 100; ++i) {
    auto grid = store_.FindGrid("r-" + std::to_string(i));
    ASSERT_TRUE(grid.ok()) << grid.status();
    EXPECT_EQ(grid->value_or(""), kGrid) << "r-" << i;
  }
}

// An arrival older than the kept arrivals would hold for the request log's
// two days keeps its outcome in the log instead (ids, decision, rule and
// versions; not its words), which the same event again is answered from.
TEST_F(IntakeEventsTest, ANewPersonsOldArrivalIsLoggedByItsOutcome) {
  clock_.Advance(absl::Hours(24 * 29));  // the arrival (10 April) is 30 days old
  const auto created = Event("a-1", "r-1", true, false);
  Handle(created);
  EXPECT_TRUE(Logged(redis_, "a-1", clock_.Now()));
  const v1::PersonDecision outcome = Remembered(decisions_, created, clock_.Now());
  EXPECT_EQ(outcome.arrival_id(), "a-1");
  EXPECT_EQ(outcome.resident_id(), "r-1");
  EXPECT_NE(outcome.decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_FALSE(outcome.rule().empty());
  EXPECT_TRUE(outcome.explanation().empty());
  EXPECT_EQ(outcome.reasons_size(), 0);
  Handle(created);
  EXPECT_EQ(Decisions(store_), 1);
}

}  // namespace
}  // namespace gridbridge::screening
