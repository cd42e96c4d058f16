#pragma once

#include <string>

#include "absl/time/time.h"
#include "auth.h"
#include "grid_transaction.h"
#include "gridbridge/common/v1/event.pb.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/intake/v1/intake_service.pb.h"
#include "gridbridge/intake/v1/resident.pb.h"
#include "intake_store.h"

// The pieces of intake's transactions that several RPCs share, and the
// whole transaction of a registration (RegisterResident, BulkImport rows):
// pure functions of their arguments, measured on their own by gridmicro.
namespace gridbridge::intake {

inline constexpr char kSource[] = "/gridbridge/intake";

// The meta of an event about `entity_id` at `version`, by `caller`.
common::v1::EventMeta Meta(const std::string& entity_id, long long version,
                           const std::string& grid_id, const platform::Caller& caller,
                           absl::Time now);

// The event's outbox frame (GridTransaction::PublishFrame).
std::string Frame(const char* topic, const std::string& key, const google::protobuf::Message& event,
                  const common::v1::EventMeta& meta);

// Names a client request in the grid's request log (see GridTransaction):
// request ids are the caller's own, so two callers may use the same one.
std::string RequestField(const platform::Caller& caller, const std::string& request_id);

// Writes `after` (over `before`, nullptr: new) with its counters.
void AddResidentWrite(platform::GridTransaction& txn, const v1::Resident* before,
                      const v1::Resident& after);

// The ResidentChanged event of that write (no personal data).
v1::ResidentChanged ResidentEvent(const v1::Resident* before, const v1::Resident& after,
                                  const platform::Caller& caller, absl::Time now);

// How a registration is remembered for retries of its request id.
enum class Answer {
  kFull,     // RegisterResident: the whole response
  kBulkRow,  // a BulkImport row: only what its row result needs (resident id),
             // in a namespace of its own so a row never answers an RPC
};

// The transaction registering `incoming` over `current` (nullptr: new),
// remembering `out` (or its row form) as the answer to request_id.
platform::GridTransaction RegistrationTransaction(const platform::Caller& caller,
                                                  const std::string& request_id,
                                                  const v1::Resident* current,
                                                  const v1::Resident& incoming, absl::Time now,
                                                  v1::RegisterResidentResponse* out,
                                                  Answer answer = Answer::kFull);

}  // namespace gridbridge::intake
