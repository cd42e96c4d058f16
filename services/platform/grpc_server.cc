#include "grpc_server.h"

#include <chrono>

#include "absl/synchronization/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/support/server_interceptor.h"
#include "metrics.h"
#include "request_parse_errors.h"

namespace gridbridge::platform {
namespace {

struct RpcMetrics {
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& latency;
};

RpcMetrics& ServerMetrics() {
  static RpcMetrics m{prometheus::BuildCounter()
                          .Name("gridbridge_grpc_server_handled_total")
                          .Help("RPCs completed, by method and gRPC status code")
                          .Register(Metrics()),
                      prometheus::BuildHistogram()
                          .Name("gridbridge_grpc_server_handling_seconds")
                          .Help("RPC latency from receipt to status, by method")
                          .Register(Metrics())};
  return m;
}

// Counts every RPC by method and status code and times it; turns gRPC's
// bare INTERNAL for an unparsable request into INVALID_ARGUMENT.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method()), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (IsRequestParseFailure(status)) {
        status = RequestParseFailureStatus();
        methods->ModifySendStatus(status);
      }
      grpc::StatusCode code = status.error_code();
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      ServerMetrics().handled.Add({{"method", method_}, {"code", GrpcCodeName(code)}}).Increment();
      ServerMetrics().latency.Add({{"method", method_}}, LatencyBuckets()).Observe(seconds);
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info);
  }
};

}  // namespace

std::string GrpcCodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

GrpcServer::GrpcServer(const ServerConfig& config) : config_(config) {}

GrpcServer::~GrpcServer() {
  if (server_) Shutdown(absl::ZeroDuration());
}

void GrpcServer::AddService(grpc::Service* service) { services_.push_back(service); }

absl::Status GrpcServer::Start() {
  InstallProtobufLogCapture();
  // Debian builds abseil without NDEBUG, which leaves absl::Mutex's deadlock
  // detector on: every lock gRPC takes walked a lock graph (seen in
  // profiles). Lock order is gRPC's business and is tested upstream.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.grpc_listen, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
  builder.SetMaxSendMessageSize(config_.max_message_bytes);
  // Keepalive: ping idle clients every 30 s, allow client pings every 10 s,
  // so dead peers behind load balancers are noticed.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Connections end after ~5 minutes (gRPC adds +-10 % jitter): clients
  // then connect and resolve again, so calls spread over replicas added
  // since and a long-lived connection does not pin one pod behind an L4
  // load balancer. Calls in flight get 10 minutes to finish (long imports).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 5 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 10 * 60 * 1000);
  // The sync server lets a handler thread exit when more than MAX_POLLERS
  // threads are idle; the default (2) made threads come and go with every
  // burst of concurrent calls (clone, stack mmap, TLB shootdowns). Keep up
  // to 64 idle threads instead.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (grpc::Service* s : services_) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError("cannot listen on " + config_.grpc_listen);
  }
  SetServing(false);  // until the dependency monitor says otherwise
  return absl::OkStatus();
}

void GrpcServer::SetServing(bool serving) {
  if (!server_) return;
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
}

void GrpcServer::Shutdown(absl::Duration drain) {
  if (!server_) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(drain));
  server_->Wait();
  server_.reset();
}

}  // namespace gridbridge::platform
