#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth.h"
#include "clock.h"
#include "gridbridge/intake/v1/intake_service.grpc.pb.h"
#include "in_flight_budget.h"
#include "intake_store.h"
#include "opaque_ids.h"

namespace gridbridge::intake {

// Topics intake publishes to (see catalog/topics.json).
inline constexpr char kResidentTopic[] = "gridbridge.intake.resident.v1";
inline constexpr char kArrivalTopic[] = "gridbridge.intake.arrival.v1";
inline constexpr char kHealthStatusTopic[] = "gridbridge.intake.health-status.v1";
inline constexpr char kVisitTopic[] = "gridbridge.intake.visit.v1";
inline constexpr char kHelpRequestTopic[] = "gridbridge.intake.help-request.v1";
inline constexpr char kDisputeLeadTopic[] = "gridbridge.intake.dispute-lead.v1";

// What the gRPC adapter needs; all must outlive it.
struct IntakeDeps {
  const platform::TokenVerifier& verifier;
  const platform::Authorizer& authorizer;
  IntakeStore& store;
  const OpaqueIds& ids;
  const platform::Clock& clock;
  // Tells the outbox relay a grid has new entries (may be a no-op).
  std::function<void(const std::string& grid_id)> notify_outbox;
  // Rows all BulkImport streams together may hold between reading and
  // answering them; null: only each stream's own queues bound it.
  platform::InFlightBudget* import_budget = nullptr;
};

// gridbridge.intake.v1.IntakeService: validate -> authorize -> domain ->
// one GridTransaction -> status. Thread-safe; blocking (sync server).
class IntakeServiceImpl final : public v1::IntakeService::Service {
 public:
  explicit IntakeServiceImpl(IntakeDeps deps);

  grpc::Status RegisterResident(grpc::ServerContext* context,
                                const v1::RegisterResidentRequest* request,
                                v1::RegisterResidentResponse* response) override;
  grpc::Status RecordArrival(grpc::ServerContext* context, const v1::RecordArrivalRequest* request,
                             v1::RecordArrivalResponse* response) override;
  grpc::Status RecordHealthStatus(grpc::ServerContext* context,
                                  const v1::RecordHealthStatusRequest* request,
                                  v1::RecordHealthStatusResponse* response) override;
  grpc::Status RecordVisit(grpc::ServerContext* context, const v1::RecordVisitRequest* request,
                           v1::RecordVisitResponse* response) override;
  grpc::Status RequestHelp(grpc::ServerContext* context, const v1::RequestHelpRequest* request,
                           v1::RequestHelpResponse* response) override;
  grpc::Status ReportDisputeLead(grpc::ServerContext* context,
                                 const v1::ReportDisputeLeadRequest* request,
                                 v1::ReportDisputeLeadResponse* response) override;
  grpc::Status BulkImport(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::BulkImportResponse, v1::BulkImportRequest>* stream) override;
  grpc::Status GetResident(grpc::ServerContext* context, const v1::GetResidentRequest* request,
                           v1::Resident* response) override;
  grpc::Status ListResidents(grpc::ServerContext* context, const v1::ListResidentsRequest* request,
                             v1::ListResidentsResponse* response) override;
  grpc::Status GetGridLedger(grpc::ServerContext* context, const v1::GetGridLedgerRequest* request,
                             v1::GridLedger* response) override;

 private:
  // One BulkImport row after validation and authorization (no Redis yet):
  // either `incoming` is set, or `result` already says why it is rejected.
  struct PreparedRow {
    const v1::BulkImportRow* row = nullptr;
    std::optional<v1::Resident> incoming;
    v1::BulkImportRowResult result;
  };
  // CPU-only: runs on BulkImport's reader thread, overlapping the Redis
  // round trips of earlier batches.
  std::vector<PreparedRow> PrepareRows(const platform::Caller& caller,
                                       const v1::BulkImportRequest& request) const;
  // One request of a BulkImport stream and its rows (which point into it).
  struct ImportRequest {
    platform::InFlightBudget::Lease lease;  // first: given back after the rest is freed
    v1::BulkImportRequest request;
    std::vector<PreparedRow> rows;
  };
  // A batch of requests ready to commit: grids claimed, current records
  // read, one transaction per claimed row.
  struct PlannedImport {
    absl::Time now;
    std::vector<std::unique_ptr<ImportRequest>> requests;
    std::vector<PreparedRow*> claimed;
    std::vector<platform::GridTransaction> txns;          // per claimed row
    std::vector<v1::RegisterResidentResponse> responses;  // per claimed row
    // The transactions' commands, built with the plan (they refer to txns).
    std::optional<platform::GridTransaction::PreparedCommit> commit;
  };
  // Claims, reads, builds the transactions and their commands (rows rejected
  // on the way get their result). Non-OK only for a failed dependency.
  absl::StatusOr<PlannedImport> PlanImport(const platform::Caller& caller,
                                           std::vector<std::unique_ptr<ImportRequest>> requests);
  // Commits a plan and fills each claimed row's result; a row whose record
  // changed since it was planned is redone alone. Non-OK only for a failed
  // dependency.
  absl::Status CommitImport(const platform::Caller& caller, PlannedImport& plan);

  IntakeDeps deps_;
};

}  // namespace gridbridge::intake
