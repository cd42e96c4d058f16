#include "ledger_transactions.h"

#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "intake_service.h"
#include "ledger_rules.h"

namespace gridbridge::intake {

using platform::Caller;
using platform::GridTransaction;

common::v1::EventMeta Meta(const std::string& entity_id, long long version,
                           const std::string& grid_id, const Caller& caller, absl::Time now) {
  return platform::NewEventMeta(entity_id, version, grid_id, caller.ToActor(), now);
}

std::string Frame(const char* topic, const std::string& key, const google::protobuf::Message& event,
                  const common::v1::EventMeta& meta) {
  return platform::EventFrame(topic, key, event, meta, kSource);
}

std::string RequestField(const Caller& caller, const std::string& request_id) {
  return caller.subject + ":" + request_id;
}

void AddResidentWrite(GridTransaction& txn, const v1::Resident* before, const v1::Resident& after) {
  const std::string key = IntakeStore::ResidentKey(after.grid_id(), after.resident_id());
  platform::GridKeys k = IntakeStore::Keys(after.grid_id());
  txn.ExpectVersion(key, before == nullptr ? 0 : before->version());
  txn.PutRecord(key, after.version(), after.SerializeAsString());
  if (before == nullptr) txn.ZAdd(k.Key("residents"), 0, after.resident_id());
  ResidentCounterDelta d = DiffCounters(before, after);
  txn.HashIncrement(k.Key("counts"), "residents", d.residents);
  txn.HashIncrement(k.Key("counts"), "vaccinated", d.vaccinated);
  txn.HashIncrement(k.Key("counts"), "key_population", d.key_population);
  if (after.has_latest_test() &&
      (before == nullptr || !before->has_latest_test() ||
       before->latest_test().sample_time() != after.latest_test().sample_time())) {
    txn.ZAdd(k.Key("tested"), after.latest_test().sample_time().seconds(), after.resident_id());
  }
}

v1::ResidentChanged ResidentEvent(const v1::Resident* before, const v1::Resident& after,
                                  const Caller& caller, absl::Time now) {
  v1::ResidentChanged event;
  *event.mutable_meta() = Meta(after.resident_id(), after.version(), after.grid_id(), caller, now);
  *event.mutable_resident() = Snapshot(after);
  event.set_created(before == nullptr);
  return event;
}

GridTransaction RegistrationTransaction(const Caller& caller, const std::string& request_id,
                                        const v1::Resident* current, const v1::Resident& incoming,
                                        absl::Time now, v1::RegisterResidentResponse* out,
                                        Answer answer) {
  const std::string& grid = incoming.grid_id();
  v1::Resident next = ApplyRegistration(current, incoming, now);
  out->set_created(current == nullptr);
  std::string field = RequestField(caller, request_id);
  if (answer == Answer::kFull) {
    *out->mutable_resident() = next;
  } else {
    // A row's result and its retries need the id alone: a whole resident
    // per row in the answer would only be copied and freed.
    field = "bulk:" + field;
    out->mutable_resident()->set_resident_id(next.resident_id());
  }
  std::string remembered = out->SerializeAsString();
  GridTransaction txn(IntakeStore::Keys(grid), std::move(field), std::move(remembered), now);
  AddResidentWrite(txn, current, next);
  v1::ResidentChanged event = ResidentEvent(current, next, caller, now);
  txn.PublishFrame(Frame(kResidentTopic, next.resident_id(), event, event.meta()));
  return txn;
}

}  // namespace gridbridge::intake
