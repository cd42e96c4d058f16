#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "auth.h"
#include "clock.h"
#include "decision_recorder.h"
#include "divisions.h"
#include "gridbridge/screening/v1/screening_service.grpc.pb.h"
#include "intake_client.h"
#include "screening_state.h"
#include "screening_store.h"

namespace gridbridge::screening {

// What the gRPC adapter needs; all must outlive it.
struct ScreeningDeps {
  const platform::TokenVerifier& verifier;
  const platform::Authorizer& authorizer;
  ScreeningStore& store;
  const IntakeClient& intake;
  DecisionRecorder& decisions;
  PolicyHolder& policy;
  RiskAreaCache& risk_areas;
  const platform::Divisions& divisions;
  const platform::Clock& clock;
  // Tells the outbox relay a unit has new entries (may be a no-op).
  std::function<void(const std::string& unit)> notify_outbox;
  // Called after a new risk-area list is committed (starts the re-screen).
  std::function<void()> risk_areas_changed;
  // Rescreener::RescreenIfListChanged, after a check's commits (may be
  // empty: no check).
  std::function<absl::StatusOr<bool>(long long, const std::vector<std::string>&,
                                     std::optional<long long>)>
      rescreen_if_list_changed;
  // How long a check takes the risk-area list from memory once confirmed in
  // force (RiskAreaCache::Recent; zero: read on every check).
  absl::Duration list_max_age = absl::Seconds(1);
};

// gridbridge.screening.v1.ScreeningService: validate -> authorize -> intake
// (for arrivals) -> policy engine / measure lifecycle -> one GridTransaction
// per person -> status. Thread-safe; blocking (sync server).
class ScreeningServiceImpl final : public v1::ScreeningService::Service {
 public:
  explicit ScreeningServiceImpl(ScreeningDeps deps) : deps_(std::move(deps)) {}

  grpc::Status ScreenArrival(grpc::ServerContext* context, const v1::ScreenArrivalRequest* request,
                             v1::ScreenArrivalResponse* response) override;
  grpc::Status SetRiskAreas(grpc::ServerContext* context, const v1::SetRiskAreasRequest* request,
                            v1::RiskAreaList* response) override;
  grpc::Status GetRiskAreas(grpc::ServerContext* context, const v1::GetRiskAreasRequest* request,
                            v1::RiskAreaList* response) override;
  grpc::Status GetPersonStatus(grpc::ServerContext* context,
                               const v1::GetPersonStatusRequest* request,
                               v1::PersonStatus* response) override;
  grpc::Status ListMeasures(grpc::ServerContext* context, const v1::ListMeasuresRequest* request,
                            v1::ListMeasuresResponse* response) override;
  grpc::Status GetGridScreening(grpc::ServerContext* context,
                                const v1::GetGridScreeningRequest* request,
                                v1::GridScreening* response) override;
  grpc::Status ChangeMeasure(grpc::ServerContext* context, const v1::ChangeMeasureRequest* request,
                             v1::Measure* response) override;
  grpc::Status RegisterVenue(grpc::ServerContext* context, const v1::RegisterVenueRequest* request,
                             v1::Venue* response) override;
  grpc::Status ScanVenue(grpc::ServerContext* context, const v1::ScanVenueRequest* request,
                         v1::ScanVenueResponse* response) override;

 private:
  // After a check's grids were re-screened: each person's decision on this
  // check's arrival as it now stands (the re-screen's, where it made one);
  // `grids`: each decision's person's grid.
  absl::Status TakeRescreenedDecisions(const std::vector<std::string>& grids,
                                       v1::ScreenArrivalResponse* response);
  ScreeningDeps deps_;
};

}  // namespace gridbridge::screening
