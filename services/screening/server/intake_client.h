#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridbridge/intake/v1/intake_service.grpc.pb.h"

namespace gridbridge::screening {

struct IntakeClientOptions {
  absl::Duration deadline = absl::Seconds(2);  // per attempt
  int attempts = 3;                            // UNAVAILABLE / DEADLINE_EXCEEDED are retried
  absl::Duration first_backoff = absl::Milliseconds(50);
};

// Screening's calls to intake, on behalf of the caller (its bearer token is
// forwarded, so intake applies the caller's own scope). Each attempt has a
// deadline; transport failures are retried with backoff, which is safe
// because RecordArrival carries the caller's request_id. Errors keep
// intake's status code and message. Thread-safe.
class IntakeClient {
 public:
  IntakeClient(std::shared_ptr<grpc::ChannelInterface> channel, IntakeClientOptions options = {});

  absl::StatusOr<intake::v1::RecordArrivalResponse> RecordArrival(
      const std::string& authorization, const intake::v1::RecordArrivalRequest& request) const;
  // RecordArrival of several people (a vehicle's occupants) with all calls
  // in flight at once, so that they take about one call's time rather than
  // one each; a call that fails in transport goes again as RecordArrival
  // does. Results in the order of `requests`.
  std::vector<absl::StatusOr<intake::v1::RecordArrivalResponse>> RecordArrivals(
      const std::string& authorization,
      const google::protobuf::RepeatedPtrField<intake::v1::RecordArrivalRequest>& requests) const;
  absl::StatusOr<intake::v1::Resident> GetResident(const std::string& authorization,
                                                   const std::string& resident_id) const;

 private:
  template <typename Request, typename Response, typename Method>
  absl::StatusOr<Response> Call(Method method, const std::string& authorization,
                                const Request& request) const;

  std::unique_ptr<intake::v1::IntakeService::Stub> stub_;
  IntakeClientOptions options_;
};

}  // namespace gridbridge::screening
