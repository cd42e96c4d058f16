#include "intake_client.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace gridbridge::screening {
namespace {

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// Intake's answer as screening reports it: intake's code and message, but
// intake unreachable is a dependency failure of screening (UNAVAILABLE).
absl::Status FromIntake(const grpc::Status& status) {
  std::string message = "intake: " + status.error_message();
  if (Retryable(status.error_code())) return absl::UnavailableError(message);
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), message);
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
  return FromIntake(status);
}

absl::StatusOr<intake::v1::RecordArrivalResponse> IntakeClient::RecordArrival(
    const std::string& authorization, const intake::v1::RecordArrivalRequest& request) const {
  return Call<intake::v1::RecordArrivalRequest, intake::v1::RecordArrivalResponse>(
      &intake::v1::IntakeService::Stub::RecordArrival, authorization, request);
}

std::vector<absl::StatusOr<intake::v1::RecordArrivalResponse>> IntakeClient::RecordArrivals(
    const std::string& authorization,
    const google::protobuf::RepeatedPtrField<intake::v1::RecordArrivalRequest>& requests) const {
  std::vector<absl::StatusOr<intake::v1::RecordArrivalResponse>> out;
  if (requests.size() == 1) {
    out.push_back(RecordArrival(authorization, requests[0]));
    return out;
  }
  // First attempts together, through the callback API (no thread per call).
  struct InFlight {
    grpc::ClientContext ctx;
    intake::v1::RecordArrivalResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<InFlight>> calls;
  std::mutex mu;
  std::condition_variable all_done;
  int left = requests.size();
  for (int i = 0; i < requests.size(); ++i) {
    // The callback gets its call's own address: `calls` grows meanwhile.
    InFlight* call = calls.emplace_back(std::make_unique<InFlight>()).get();
    call->ctx.AddMetadata("authorization", authorization);
    call->ctx.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    stub_->async()->RecordArrival(&call->ctx, &requests[i], &call->response,
                                  [&, call](grpc::Status status) {
                                    std::lock_guard lock(mu);
                                    call->status = std::move(status);
                                    if (--left == 0) all_done.notify_one();
                                  });
  }
  {
    std::unique_lock lock(mu);
    all_done.wait(lock, [&] { return left == 0; });
  }
  for (int i = 0; i < requests.size(); ++i) {
    const grpc::Status& status = calls[i]->status;
    if (status.ok()) {
      out.push_back(std::move(calls[i]->response));
    } else if (Retryable(status.error_code())) {
      out.push_back(RecordArrival(authorization, requests[i]));  // with backoff, safe: request_id
    } else {
      out.push_back(FromIntake(status));
    }
  }
  return out;
}

absl::StatusOr<intake::v1::Resident> IntakeClient::GetResident(
    const std::string& authorization, const std::string& resident_id) const {
  intake::v1::GetResidentRequest request;
  request.set_resident_id(resident_id);
  return Call<intake::v1::GetResidentRequest, intake::v1::Resident>(
      &intake::v1::IntakeService::Stub::GetResident, authorization, request);
}

}  // namespace gridbridge::screening
