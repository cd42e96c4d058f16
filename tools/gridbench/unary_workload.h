#pragma once
// One unary RPC as a benchmark workload (load.h): each call started on
// the loop's completion queue through the stub's PrepareAsync method.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "load.h"

namespace gridbridge::bench {

// Prints the first few failures of a workload (a broken stack fails every
// call; its first messages say why).
class FailureLog {
 public:
  explicit FailureLog(std::string name) : name_(std::move(name)) {}
  void Note(const grpc::Status& status) {
    if (!status.ok() && logged_++ < 3) {
      std::fprintf(stderr, "%s: %s\n", name_.c_str(), status.error_message().c_str());
    }
  }

 private:
  std::string name_;
  std::atomic<long long> logged_{0};
};

// A started unary call: its context, answer and status live until the
// completion queue has yielded it.
template <typename Response>
class StartedUnaryCall final : public StartedCall {
 public:
  explicit StartedUnaryCall(FailureLog& failures) : failures_(failures) {}
  grpc::ClientContext& context() { return context_; }
  // Starts the call `reader` was prepared for on this call's context.
  void Start(std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader) {
    reader_ = std::move(reader);
    reader_->StartCall();
    reader_->Finish(&response_, &status_, this);
  }
  bool Succeeded() override {
    failures_.Note(status_);
    return status_.ok();
  }

 private:
  FailureLog& failures_;
  grpc::ClientContext context_;
  Response response_;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
};

// Call `i` goes to stubs[i % stubs.size()] with the request build(i) and,
// unless empty, the authorization header. `stubs`, `build` and `failures`
// must outlive the workload's use.
template <typename Stub, typename Request, typename Response, typename Build>
StartFn UnaryWorkload(const std::vector<std::unique_ptr<Stub>>& stubs,
                      std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Stub::*prepare)(
                          grpc::ClientContext*, const Request&, grpc::CompletionQueue*),
                      const Build& build, const std::string& authorization, FailureLog& failures) {
  return [&stubs, prepare, &build, authorization, &failures](
             long long i, grpc::CompletionQueue& cq) -> std::unique_ptr<StartedCall> {
    // A request built per call, or one `build` keeps (bound by reference,
    // not copied); serialized when the call is prepared.
    const Request& request = build(i);
    auto call = std::make_unique<StartedUnaryCall<Response>>(failures);
    if (!authorization.empty()) call->context().AddMetadata("authorization", authorization);
    call->Start((stubs[static_cast<size_t>(i) % stubs.size()].get()->*prepare)(&call->context(),
                                                                               request, &cq));
    return call;
  };
}

}  // namespace gridbridge::bench
