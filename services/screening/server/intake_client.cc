#include "intake_client.h"

#include <thread>

namespace gridbridge::screening {
namespace {

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace

IntakeClient::IntakeClient(std::shared_ptr<grpc::ChannelInterface> channel,
                           IntakeClientOptions options)
    : stub_(intake::v1::IntakeService::NewStub(channel)), options_(options) {}

template <typename Request, typename Response, typename Method>
absl::StatusOr<Response> IntakeClient::Call(Method method, const std::string& authorization,
                                            const Request& request) const {
  absl::Duration backoff = options_.first_backoff;
  grpc::Status status;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", authorization);
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    Response response;
    status = ((*stub_).*method)(&ctx, request, &response);
    if (status.ok()) return response;
    if (!Retryable(status.error_code()) || attempt == options_.attempts) break;
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
    backoff *= 2;
  }
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message = "intake: " + status.error_message();
  // Intake being unreachable is a dependency failure of screening.
  if (Retryable(status.error_code())) return absl::UnavailableError(message);
  return absl::Status(code, message);
}

absl::StatusOr<intake::v1::RecordArrivalResponse> IntakeClient::RecordArrival(
    const std::string& authorization, const intake::v1::RecordArrivalRequest& request) const {
  return Call<intake::v1::RecordArrivalRequest, intake::v1::RecordArrivalResponse>(
      &intake::v1::IntakeService::Stub::RecordArrival, authorization, request);
}

absl::StatusOr<intake::v1::Resident> IntakeClient::GetResident(
    const std::string& authorization, const std::string& resident_id) const {
  intake::v1::GetResidentRequest request;
  request.set_resident_id(resident_id);
  return Call<intake::v1::GetResidentRequest, intake::v1::Resident>(
      &intake::v1::IntakeService::Stub::GetResident, authorization, request);
}

}  // namespace gridbridge::screening
