#include "intake_service.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "background_arena.h"
#include "background_thread.h"
#include "bounded_queue.h"
#include "cloud_events.h"
#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "grpc_auth.h"
#include "grpc_server.h"
#include "ledger_rules.h"
#include "ledger_transactions.h"
#include "metrics.h"
#include "paging.h"
#include "spdlog/spdlog.h"
#include "stalled_write_watchdog.h"

namespace gridbridge::intake {
namespace {

using platform::Caller;
using platform::GridTransaction;
using Outcome = GridTransaction::Outcome;
using google::protobuf::util::TimeUtil;

absl::Status WriteAllowed(const Caller& caller) {
  if (!platform::Authorizer::MaySeePersonalData(caller)) {
    return absl::PermissionDeniedError("analysts may read ledgers only");
  }
  return absl::OkStatus();
}

std::string NewId(const char* prefix) {
  std::string uuid = platform::NewUuid();
  uuid.erase(std::remove(uuid.begin(), uuid.end(), '-'), uuid.end());
  return prefix + uuid;
}

// platform::CommitWithRetry on intake's store, waking the relay for `grid_id`.
template <typename Response>
absl::Status CommitWithRetry(IntakeStore& store, const std::string& grid_id,
                             const std::function<void(const std::string&)>& notify,
                             const std::function<absl::StatusOr<GridTransaction>(Response*)>& build,
                             Response* response) {
  return platform::CommitWithRetry([&](const GridTransaction& txn) { return store.Commit(txn); },
                                   build, response,
                                   [&] {
                                     if (notify) notify(grid_id);
                                   });
}

// The grid of an existing resident, checked against the caller's scope.
absl::StatusOr<std::string> ResidentGridInScope(IntakeStore& store,
                                                const platform::Authorizer& authorizer,
                                                const Caller& caller,
                                                const std::string& resident_id) {
  auto grid = store.FindResidentGrid(resident_id);
  if (!grid.ok()) return grid.status();
  if (!grid->has_value()) return absl::NotFoundError("resident_id: no resident " + resident_id);
  if (absl::Status s = authorizer.CheckAccess(caller, **grid); !s.ok()) return s;
  return **grid;
}

// The resident's record, or nothing without a round trip when this call's
// fresh directory claim proves there is none (first attempt only: a retry
// after a conflict must read what the other writer wrote).
absl::StatusOr<std::optional<v1::Resident>> ReadUnlessKnownAbsent(IntakeStore& store,
                                                                  const std::string& grid,
                                                                  const std::string& resident_id,
                                                                  bool* known_absent) {
  if (*known_absent) {
    *known_absent = false;
    return std::optional<v1::Resident>();
  }
  return store.GetResident(grid, resident_id);
}

absl::Status WrongGrid(const std::string& owner) {
  return absl::FailedPreconditionError(
      "this person is registered in grid " + owner +
      "; record them there (moving residents between grids is not supported yet)");
}

v1::BulkImportRowResult Rejected(int64_t row, const absl::Status& status) {
  v1::BulkImportRowResult r;
  r.set_row_number(row);
  r.set_accepted(false);
  r.set_error_code(absl::StatusCodeToString(status.code()));
  r.set_error_message(std::string(status.message()));
  return r;
}

v1::BulkImportRowResult Accepted(int64_t row, const v1::RegisterResidentResponse& response,
                                 bool repeat) {
  v1::BulkImportRowResult r;
  r.set_row_number(row);
  r.set_accepted(true);
  r.set_resident_id(response.resident().resident_id());
  r.set_created(!repeat && response.created());
  return r;
}

}  // namespace

grpc::Status IntakeServiceImpl::RegisterResident(grpc::ServerContext* context,
                                                 const v1::RegisterResidentRequest* request,
                                                 v1::RegisterResidentResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    const absl::Time now = deps_.clock.Now();
    auto incoming = ValidateRegistration(*request, now, deps_.ids);
    if (!incoming.ok()) return platform::ToGrpcStatus(incoming.status());
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    const std::string& grid = request->grid_id();
    if (absl::Status s = deps_.authorizer.CheckAccess(caller, grid); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    auto claim = deps_.store.ClaimResidentGrid(incoming->resident_id(), grid);
    if (!claim.ok()) return platform::ToGrpcStatus(claim.status());
    if (claim->owner != grid) return platform::ToGrpcStatus(WrongGrid(claim->owner));
    bool known_absent = claim->fresh;
    std::function<absl::StatusOr<GridTransaction>(v1::RegisterResidentResponse*)> build =
        [&](v1::RegisterResidentResponse* out) -> absl::StatusOr<GridTransaction> {
      auto current =
          ReadUnlessKnownAbsent(deps_.store, grid, incoming->resident_id(), &known_absent);
      if (!current.ok()) return current.status();
      return RegistrationTransaction(caller, request->request_id(),
                                     current->has_value() ? &**current : nullptr, *incoming, now,
                                     out);
    };
    return platform::ToGrpcStatus(
        CommitWithRetry(deps_.store, grid, deps_.notify_outbox, build, response));
  });
}

grpc::Status IntakeServiceImpl::RecordArrival(grpc::ServerContext* context,
                                              const v1::RecordArrivalRequest* request,
                                              v1::RecordArrivalResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    const absl::Time now = deps_.clock.Now();
    auto draft = ValidateArrival(*request, now, deps_.ids);
    if (!draft.ok()) return platform::ToGrpcStatus(draft.status());
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    const std::string& grid = request->grid_id();
    if (absl::Status s = deps_.authorizer.CheckAccess(caller, grid); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    const std::string& rid = draft->person.resident_id();
    auto claim = deps_.store.ClaimResidentGrid(rid, grid);
    if (!claim.ok()) return platform::ToGrpcStatus(claim.status());
    if (claim->owner != grid) return platform::ToGrpcStatus(WrongGrid(claim->owner));
    bool known_absent = claim->fresh;
    const std::string arrival_id = NewId("a");
    std::function<absl::StatusOr<GridTransaction>(v1::RecordArrivalResponse*)> build =
        [&](v1::RecordArrivalResponse* out) -> absl::StatusOr<GridTransaction> {
      auto current = ReadUnlessKnownAbsent(deps_.store, grid, rid, &known_absent);
      if (!current.ok()) return current.status();
      v1::Arrival arrival = draft->arrival;
      arrival.set_arrival_id(arrival_id);
      arrival.set_recorded_by(caller.subject);
      *out->mutable_arrival() = arrival;
      out->set_resident_created(!current->has_value());
      if (current->has_value()) {
        *out->mutable_doses() = (*current)->doses();
        if ((*current)->has_latest_test()) *out->mutable_latest_test() = (*current)->latest_test();
      }
      platform::GridKeys k = IntakeStore::Keys(grid);
      GridTransaction txn(k, RequestField(caller, request->request_id()), out->SerializeAsString(),
                          now);
      if (!current->has_value()) {
        v1::Resident created = ApplyRegistration(nullptr, draft->person, now);
        AddResidentWrite(txn, nullptr, created);
        v1::ResidentChanged event = ResidentEvent(nullptr, created, caller, now);
        txn.PublishFrame(Frame(kResidentTopic, rid, event, event.meta()));
      } else {
        // Guard: the resident must still exist as read.
        txn.ExpectVersion(IntakeStore::ResidentKey(grid, rid), (*current)->version());
      }
      txn.PutRecord(k.Key("arrival", arrival_id), 1, arrival.SerializeAsString());
      const long long when = arrival.arrival_time().seconds();
      txn.ZAdd(k.Key("arrivals"), when, arrival_id);
      txn.ZRemoveBelow(k.Key("arrivals"), absl::ToUnixSeconds(now) / 60 * 60 - 30 * 86400);
      v1::ArrivalRecorded event;
      *event.mutable_meta() = Meta(arrival_id, 1, grid, caller, now);
      *event.mutable_arrival() = arrival;
      event.set_resident_created(out->resident_created());
      event.set_screened_at_checkpoint(request->screened_at_checkpoint());
      RedactPersonalData(event.mutable_arrival());
      txn.PublishFrame(Frame(kArrivalTopic, rid, event, event.meta()));
      return txn;
    };
    return platform::ToGrpcStatus(
        CommitWithRetry(deps_.store, grid, deps_.notify_outbox, build, response));
  });
}

grpc::Status IntakeServiceImpl::RecordHealthStatus(grpc::ServerContext* context,
                                                   const v1::RecordHealthStatusRequest* request,
                                                   v1::RecordHealthStatusResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    const absl::Time now = deps_.clock.Now();
    if (absl::Status s = ValidateHealthStatus(*request, now); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    auto grid = ResidentGridInScope(deps_.store, deps_.authorizer, caller, request->resident_id());
    if (!grid.ok()) return platform::ToGrpcStatus(grid.status());
    std::function<absl::StatusOr<GridTransaction>(v1::RecordHealthStatusResponse*)> build =
        [&](v1::RecordHealthStatusResponse* out) -> absl::StatusOr<GridTransaction> {
      auto current = deps_.store.GetResident(*grid, request->resident_id());
      if (!current.ok()) return current.status();
      if (!current->has_value()) {
        return absl::NotFoundError("resident_id: no resident " + request->resident_id());
      }
      v1::Resident next = ApplyHealthStatus(**current, *request, now);
      *out->mutable_resident() = next;
      GridTransaction txn(IntakeStore::Keys(*grid), RequestField(caller, request->request_id()),
                          out->SerializeAsString(), now);
      AddResidentWrite(txn, &**current, next);
      v1::HealthStatusRecorded event;
      *event.mutable_meta() = Meta(next.resident_id(), next.version(), *grid, caller, now);
      event.set_resident_id(next.resident_id());
      *event.mutable_doses() = request->doses();
      *event.mutable_tests() = request->tests();
      *event.mutable_resident() = Snapshot(next);
      txn.PublishFrame(Frame(kHealthStatusTopic, next.resident_id(), event, event.meta()));
      return txn;
    };
    return platform::ToGrpcStatus(
        CommitWithRetry(deps_.store, *grid, deps_.notify_outbox, build, response));
  });
}

grpc::Status IntakeServiceImpl::RecordVisit(grpc::ServerContext* context,
                                            const v1::RecordVisitRequest* request,
                                            v1::RecordVisitResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    const absl::Time now = deps_.clock.Now();
    auto visit = ValidateVisit(*request, now);
    if (!visit.ok()) return platform::ToGrpcStatus(visit.status());
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    auto grid = ResidentGridInScope(deps_.store, deps_.authorizer, caller, request->resident_id());
    if (!grid.ok()) return platform::ToGrpcStatus(grid.status());
    const std::string visit_id = NewId("v");
    std::function<absl::StatusOr<GridTransaction>(v1::RecordVisitResponse*)> build =
        [&](v1::RecordVisitResponse* out) -> absl::StatusOr<GridTransaction> {
      v1::Visit v = *visit;
      v.set_visit_id(visit_id);
      v.set_grid_id(*grid);
      v.set_visited_by(caller.subject);
      *out->mutable_visit() = v;
      platform::GridKeys k = IntakeStore::Keys(*grid);
      GridTransaction txn(k, RequestField(caller, request->request_id()), out->SerializeAsString(),
                          now);
      txn.PutRecord(k.Key("visit", visit_id), 1, v.SerializeAsString());
      txn.ZAdd(k.Key("visits"), v.visit_time().seconds(), visit_id);
      txn.ZRemoveBelow(k.Key("visits"), absl::ToUnixSeconds(now) / 60 * 60 - 14 * 86400);
      v1::VisitRecorded event;
      *event.mutable_meta() = Meta(visit_id, 1, *grid, caller, now);
      *event.mutable_visit() = v;
      txn.PublishFrame(Frame(kVisitTopic, *grid, event, event.meta()));
      return txn;
    };
    return platform::ToGrpcStatus(
        CommitWithRetry(deps_.store, *grid, deps_.notify_outbox, build, response));
  });
}

grpc::Status IntakeServiceImpl::RequestHelp(grpc::ServerContext* context,
                                            const v1::RequestHelpRequest* request,
                                            v1::RequestHelpResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    const absl::Time now = deps_.clock.Now();
    auto help = ValidateHelpRequest(*request, now);
    if (!help.ok()) return platform::ToGrpcStatus(help.status());
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    auto grid = ResidentGridInScope(deps_.store, deps_.authorizer, caller, request->resident_id());
    if (!grid.ok()) return platform::ToGrpcStatus(grid.status());
    const std::string help_id = NewId("h");
    std::function<absl::StatusOr<GridTransaction>(v1::RequestHelpResponse*)> build =
        [&](v1::RequestHelpResponse* out) -> absl::StatusOr<GridTransaction> {
      v1::HelpRequest h = *help;
      h.set_help_request_id(help_id);
      h.set_grid_id(*grid);
      h.set_recorded_by(caller.subject);
      *out->mutable_help_request() = h;
      platform::GridKeys k = IntakeStore::Keys(*grid);
      GridTransaction txn(k, RequestField(caller, request->request_id()), out->SerializeAsString(),
                          now);
      txn.PutRecord(k.Key("help", help_id), 1, h.SerializeAsString());
      txn.HashIncrement(k.Key("counts"), "open_help_requests", 1);
      v1::HelpRequested event;
      *event.mutable_meta() = Meta(help_id, 1, *grid, caller, now);
      *event.mutable_help_request() = h;
      txn.PublishFrame(Frame(kHelpRequestTopic, *grid, event, event.meta()));
      return txn;
    };
    return platform::ToGrpcStatus(
        CommitWithRetry(deps_.store, *grid, deps_.notify_outbox, build, response));
  });
}

grpc::Status IntakeServiceImpl::ReportDisputeLead(grpc::ServerContext* context,
                                                  const v1::ReportDisputeLeadRequest* request,
                                                  v1::ReportDisputeLeadResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    const absl::Time now = deps_.clock.Now();
    auto lead = ValidateDisputeLead(*request, now);
    if (!lead.ok()) return platform::ToGrpcStatus(lead.status());
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    const std::string& grid = request->grid_id();
    if (absl::Status s = deps_.authorizer.CheckAccess(caller, grid); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    for (int i = 0; i < request->parties_size(); ++i) {
      if (!request->parties(i).has_resident_id()) continue;
      auto party_grid = deps_.store.FindResidentGrid(request->parties(i).resident_id());
      if (!party_grid.ok()) return platform::ToGrpcStatus(party_grid.status());
      if (!party_grid->has_value()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            "parties[" + std::to_string(i) + "].resident_id: no such resident");
      }
    }
    const std::string lead_id = NewId("l");
    std::function<absl::StatusOr<GridTransaction>(v1::ReportDisputeLeadResponse*)> build =
        [&](v1::ReportDisputeLeadResponse* out) -> absl::StatusOr<GridTransaction> {
      v1::DisputeLead l = *lead;
      l.set_lead_id(lead_id);
      l.set_reported_by(caller.subject);
      *out->mutable_lead() = l;
      platform::GridKeys k = IntakeStore::Keys(grid);
      GridTransaction txn(k, RequestField(caller, request->request_id()), out->SerializeAsString(),
                          now);
      txn.PutRecord(k.Key("lead", lead_id), 1, l.SerializeAsString());
      txn.HashIncrement(k.Key("counts"), "open_dispute_leads", 1);
      v1::DisputeLeadReported event;
      *event.mutable_meta() = Meta(lead_id, 1, grid, caller, now);
      *event.mutable_lead() = l;
      *event.mutable_report_time() = l.report_time();
      txn.PublishFrame(Frame(kDisputeLeadTopic, grid, event, event.meta()));
      return txn;
    };
    return platform::ToGrpcStatus(
        CommitWithRetry(deps_.store, grid, deps_.notify_outbox, build, response));
  });
}

std::vector<IntakeServiceImpl::PreparedRow> IntakeServiceImpl::PrepareRows(
    const Caller& caller, const v1::BulkImportRequest& request) const {
  const absl::Time now = deps_.clock.Now();
  std::vector<PreparedRow> out(request.rows_size());
  std::map<std::string, absl::Status> access;
  for (int i = 0; i < request.rows_size(); ++i) {
    PreparedRow& p = out[i];
    p.row = &request.rows(i);
    const int64_t n = p.row->row_number();
    auto r = ValidateRegistration(p.row->resident(), now, deps_.ids);
    if (!r.ok()) {
      p.result = Rejected(n, r.status());
      continue;
    }
    auto [it, fresh] = access.try_emplace(r->grid_id());
    if (fresh) it->second = deps_.authorizer.CheckAccess(caller, r->grid_id());
    if (!it->second.ok()) {
      p.result = Rejected(n, it->second);
      continue;
    }
    p.incoming = std::move(*r);
  }
  return out;
}

absl::StatusOr<IntakeServiceImpl::PlannedImport> IntakeServiceImpl::PlanImport(
    const Caller& caller, std::vector<std::unique_ptr<ImportRequest>> requests) {
  PlannedImport plan;
  plan.now = deps_.clock.Now();
  plan.requests = std::move(requests);
  std::vector<PreparedRow*> live;
  for (auto& request : plan.requests) {
    for (auto& row : request->rows) {
      if (row.incoming.has_value()) live.push_back(&row);
    }
  }
  // Claim each person's grid, then read the current versions.
  std::vector<std::pair<std::string, std::string>> claims, lookups;
  for (PreparedRow* row : live)
    claims.emplace_back(row->incoming->resident_id(), row->incoming->grid_id());
  auto owners = deps_.store.ClaimResidentGrids(claims);
  if (!owners.ok()) return owners.status();
  std::vector<size_t> lookup_of;  // claimed index -> lookups index, or npos: fresh claim
  for (size_t k = 0; k < live.size(); ++k) {
    PreparedRow* row = live[k];
    if ((*owners)[k].owner != row->incoming->grid_id()) {
      row->result = Rejected(row->row->row_number(), WrongGrid((*owners)[k].owner));
      continue;
    }
    plan.claimed.push_back(row);
    if ((*owners)[k].fresh) {
      lookup_of.push_back(std::string::npos);
    } else {
      lookup_of.push_back(lookups.size());
      lookups.emplace_back(row->incoming->grid_id(), row->incoming->resident_id());
    }
  }
  // New people (fresh claims) have no record: read only the others.
  auto found = deps_.store.GetResidents(lookups);
  if (!found.ok()) return found.status();
  // One transaction per row, all committed in one round trip.
  plan.responses.resize(plan.claimed.size());
  plan.txns.reserve(plan.claimed.size());
  for (size_t k = 0; k < plan.claimed.size(); ++k) {
    const PreparedRow& row = *plan.claimed[k];
    const std::optional<v1::Resident>* current =
        lookup_of[k] == std::string::npos ? nullptr : &(*found)[lookup_of[k]];
    const v1::Resident* before = current != nullptr && current->has_value() ? &**current : nullptr;
    plan.txns.push_back(RegistrationTransaction(caller, row.row->resident().request_id(), before,
                                                *row.incoming, plan.now, &plan.responses[k],
                                                Answer::kBulkRow));
  }
  plan.commit = GridTransaction::Prepare(plan.txns);
  return plan;
}

absl::Status IntakeServiceImpl::CommitImport(const Caller& caller, PlannedImport& plan) {
  auto outcomes = deps_.store.CommitPrepared(*plan.commit);
  if (!outcomes.ok()) return outcomes.status();
  std::set<std::string> touched;
  for (size_t k = 0; k < plan.claimed.size(); ++k) {
    PreparedRow& row = *plan.claimed[k];
    const int64_t n = row.row->row_number();
    const auto& outcome = (*outcomes)[k];
    if (!outcome.ok()) {
      row.result = Rejected(n, outcome.status());
      continue;
    }
    if (outcome->kind == Outcome::Kind::kCommitted) {
      touched.insert(row.incoming->grid_id());
      row.result = Accepted(n, plan.responses[k], false);
    } else if (outcome->kind == Outcome::Kind::kDuplicate) {
      v1::RegisterResidentResponse prior;
      prior.ParseFromString(outcome->prior_response);
      row.result = Accepted(n, prior, true);
    } else {
      // Another writer, an earlier row of this batch for the same person, or
      // a batch committed after this one was planned changed the resident:
      // redo this row alone, from a fresh read (batches commit in order, so
      // rows still apply in the order of the file).
      const std::string& grid = row.incoming->grid_id();
      v1::RegisterResidentResponse response;
      std::function<absl::StatusOr<GridTransaction>(v1::RegisterResidentResponse*)> build =
          [&](v1::RegisterResidentResponse* out) -> absl::StatusOr<GridTransaction> {
        auto now_current = deps_.store.GetResident(grid, row.incoming->resident_id());
        if (!now_current.ok()) return now_current.status();
        return RegistrationTransaction(caller, row.row->resident().request_id(),
                                       now_current->has_value() ? &**now_current : nullptr,
                                       *row.incoming, plan.now, out, Answer::kBulkRow);
      };
      absl::Status s = CommitWithRetry(deps_.store, grid, deps_.notify_outbox, build, &response);
      if (IsUnavailable(s)) return s;
      row.result = s.ok() ? Accepted(n, response, false) : Rejected(n, s);
    }
  }
  if (deps_.notify_outbox) {
    for (const auto& grid : touched) deps_.notify_outbox(grid);
  }
  return absl::OkStatus();
}

namespace {

// Rows planned and committed together at most (whatever requests are
// waiting, up to this): more rows per grid per script run amortize what a
// run costs Redis. 4,000 measured ~8% faster than 2,000 end to end (200,000
// rows over ~190 grids); the requests waiting are bounded anyway (8).
constexpr size_t kImportBatchRows = 4000;

// How long a stream waits for room in the import budget (rows other streams
// hold) before it ends with RESOURCE_EXHAUSTED: its own rows in flight come
// back as they are answered, so a long wait means other imports hold it.
constexpr absl::Duration kImportBudgetPatience = absl::Seconds(30);

// How long a stream's answer may stay unwritten (its client not reading)
// while another stream waits for room before the stalled stream is ended,
// giving back its rows: well within the waiter's patience, and far longer
// than a client that reads at all leaves an answer waiting.
constexpr absl::Duration kStalledAnswerLimit = absl::Seconds(10);

// Streams the watchdog ended: an importer that stops reading its answers (a
// partner's bug) shows here, apart from clients' own cancellations.
prometheus::Counter& ImportStreamsCut() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("gridbridge_intake_import_streams_cut_total")
                             .Help(
                                 "BulkImport streams ended because their answers went unread "
                                 "for 10 s while other imports waited for room")
                             .Register(platform::Metrics())
                             .Add({});
  return counter;
}

// An import's batches (tens of megabytes, intake's main.cc keeps freed
// pages 10 s) are given back once no import holds rows any more, so that
// what intake holds after an import is what it uses, not its peak.
void ReturnImportMemory(const platform::InFlightBudget* budget) {
  if (budget != nullptr && budget->in_use() > 0) return;  // another import
  if (absl::Status s = platform::ReturnFreedPages(); !s.ok() && !absl::IsUnimplemented(s)) {
    spdlog::warn("an import's memory not given back: {}", s.ToString());
  }
}

}  // namespace

IntakeServiceImpl::IntakeServiceImpl(IntakeDeps deps) : deps_(std::move(deps)) {
  ImportStreamsCut();  // exported from the start, at 0
}

grpc::Status IntakeServiceImpl::BulkImport(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::BulkImportResponse, v1::BulkImportRequest>* stream) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    // Four stages on four threads, so that a batch's commit round trip
    // overlaps the CPU work on the batches around it (Redis waits for the
    // committer alone): a reader reads and validates requests; this thread
    // gathers them into batches (up to kImportBatchRows: batches grow with
    // load) and plans each (claims, reads, transactions and their
    // commands); a committer commits the batches in order; an answerer
    // writes their results and frees them. A batch planned while the one
    // before it commits may have read a record that one changes: its
    // version guard fails and the row is redone after it.
    platform::BoundedQueue<std::unique_ptr<ImportRequest>> requests(8);
    platform::BoundedQueue<PlannedImport> plans(1);
    platform::BoundedQueue<PlannedImport> answers(1);
    std::mutex mu;
    grpc::Status error;  // the first one, which ends the stream
    auto fail = [&](grpc::Status status) {
      {
        std::lock_guard lock(mu);
        if (error.ok()) error = std::move(status);
      }
      requests.Cancel();
      plans.Cancel();
      answers.Cancel();
      context->TryCancel();  // unblocks the reader's Read
    };
    // A client that stops reading would block the answerer's Write, and
    // with it every row its stream holds, for as long as it likes.
    platform::StalledWriteWatchdog stalled(
        kStalledAnswerLimit,
        [&] { return deps_.import_budget != nullptr && deps_.import_budget->waiting() > 0; },
        [&] {
          spdlog::warn(
              "BulkImport of {}: answers unread for {} while other imports wait for "
              "room; ending the stream",
              caller.subject, absl::FormatDuration(kStalledAnswerLimit));
          ImportStreamsCut().Increment();
          fail(grpc::Status(grpc::StatusCode::CANCELLED,
                            "answers left unread while other imports wait for room"));
        });
    // Named for operators (top -H, perf); they keep request priority: a
    // client waits on the import's answers.
    std::thread reader([&] {
      platform::NameThisThread("import-read");
      while (true) {
        auto item = std::make_unique<ImportRequest>();
        if (!stream->Read(&item->request)) break;
        if (item->request.rows_size() > 1000) {
          // Rows already read are still committed and answered.
          std::lock_guard lock(mu);
          if (error.ok()) {
            error =
                grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "rows: at most 1000 per request");
          }
          break;
        }
        if (deps_.import_budget != nullptr) {
          auto lease =
              deps_.import_budget->Acquire(item->request.rows_size(), kImportBudgetPatience,
                                           [&] { return context->IsCancelled(); });
          if (!lease.ok()) {
            // As above: rows already read are still committed and answered.
            std::lock_guard lock(mu);
            if (error.ok()) error = platform::ToGrpcStatus(lease.status());
            break;
          }
          item->lease = std::move(*lease);
        }
        item->rows = PrepareRows(caller, item->request);
        if (!requests.Push(std::move(item))) break;
      }
      requests.Close();
    });
    std::thread committer([&] {
      platform::NameThisThread("import-commit");
      while (auto plan = plans.Pop()) {
        if (absl::Status s = CommitImport(caller, *plan); !s.ok()) {
          fail(platform::ToGrpcStatus(s));
          break;
        }
        if (!answers.Push(std::move(*plan))) break;
      }
      answers.Close();
    });
    std::thread answerer([&] {
      platform::NameThisThread("import-answer");
      while (auto done = answers.Pop()) {
        for (const auto& request : done->requests) {
          v1::BulkImportResponse response;
          for (auto& row : request->rows) *response.add_results() = std::move(row.result);
          stalled.WriteStarted();
          const bool written = stream->Write(response);
          stalled.WriteEnded();
          if (!written) {
            fail(grpc::Status::CANCELLED);
            return;
          }
        }
      }
    });
    while (auto first = requests.Pop()) {
      std::vector<std::unique_ptr<ImportRequest>> batch;
      size_t rows = (*first)->rows.size();
      batch.push_back(std::move(*first));
      while (rows < kImportBatchRows) {
        auto more = requests.TryPop();
        if (!more) break;
        rows += (*more)->rows.size();
        batch.push_back(std::move(*more));
      }
      auto plan = PlanImport(caller, std::move(batch));
      if (!plan.ok()) {
        fail(platform::ToGrpcStatus(plan.status()));
        break;
      }
      if (!plans.Push(std::move(*plan))) break;
    }
    plans.Close();
    committer.join();
    answerer.join();
    reader.join();
    // The queues are empty here (drained, or cleared by `fail`), and the
    // threads' rows gone with them: this stream holds no lease any more.
    ReturnImportMemory(deps_.import_budget);
    std::lock_guard lock(mu);
    return error;
  });
}

grpc::Status IntakeServiceImpl::GetResident(grpc::ServerContext* context,
                                            const v1::GetResidentRequest* request,
                                            v1::Resident* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (request->resident_id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "resident_id: required");
    }
    auto grid = ResidentGridInScope(deps_.store, deps_.authorizer, caller, request->resident_id());
    if (!grid.ok()) return platform::ToGrpcStatus(grid.status());
    auto resident = deps_.store.GetResident(*grid, request->resident_id());
    if (!resident.ok()) return platform::ToGrpcStatus(resident.status());
    if (!resident->has_value()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "resident_id: no resident " + request->resident_id());
    }
    *response = **resident;
    if (!platform::Authorizer::MaySeePersonalData(caller)) RedactPersonalData(response);
    return grpc::Status::OK;
  });
}

grpc::Status IntakeServiceImpl::ListResidents(grpc::ServerContext* context,
                                              const v1::ListResidentsRequest* request,
                                              v1::ListResidentsResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = deps_.authorizer.CheckGridAccess(caller, request->grid_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    auto page = platform::PageSizeOf(request->page());
    if (!page.ok()) return platform::ToGrpcStatus(page.status());
    const int page_size = *page;
    std::string after;
    if (!request->page().page_token().empty()) {
      if (!absl::WebSafeBase64Unescape(request->page().page_token(), &after) || after.empty() ||
          after[0] != 'r') {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "page.page_token: not a token returned by ListResidents");
      }
    }
    const bool personal = platform::Authorizer::MaySeePersonalData(caller);
    const int chunk = std::max(page_size, 200);
    bool more = false;
    // Filters may skip residents: scan in chunks until the page is full.
    for (int round = 0; round < 50; ++round) {
      auto batch = deps_.store.ListResidents(request->grid_id(), after, chunk);
      if (!batch.ok()) return platform::ToGrpcStatus(batch.status());
      size_t i = 0;
      bool full = false;
      for (; i < batch->size() && !full; ++i) {
        v1::Resident& r = (*batch)[i];
        after = r.resident_id();
        bool keep = std::all_of(request->tags().begin(), request->tags().end(), [&](int tag) {
          return std::find(r.tags().begin(), r.tags().end(), tag) != r.tags().end();
        });
        if (request->has_vaccinated()) keep &= (r.doses_size() > 0) == request->vaccinated();
        if (!keep) continue;
        if (!personal) RedactPersonalData(&r);
        *response->add_residents() = std::move(r);
        full = response->residents_size() == page_size;
      }
      more = i < batch->size() || static_cast<int>(batch->size()) == chunk;
      if (full || !more) break;
    }
    if (more) response->mutable_page()->set_next_page_token(absl::WebSafeBase64Escape(after));
    return grpc::Status::OK;
  });
}

grpc::Status IntakeServiceImpl::GetGridLedger(grpc::ServerContext* context,
                                              const v1::GetGridLedgerRequest* request,
                                              v1::GridLedger* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = deps_.authorizer.CheckGridAccess(caller, request->grid_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    auto ledger = deps_.store.GetLedger(request->grid_id(), deps_.clock.Now());
    if (!ledger.ok()) return platform::ToGrpcStatus(ledger.status());
    *response = std::move(*ledger);
    return grpc::Status::OK;
  });
}

}  // namespace gridbridge::intake
