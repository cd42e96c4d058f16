// The platform's server bootstrap, through the reference echo server run as
// a real process: health, reflection, /metrics, auth, drain, bad config.
#include <csignal>
#include <fstream>

#include "auth.h"
#include "dev_keys.h"
#include "gridbridge/testing/v1/echo.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "redis_client.h"
#include "server_probe.h"
#include "server_process.h"
#include "stack.h"

namespace gridbridge::testing {
namespace {

constexpr char kGrid[] = "431102001001g01";
constexpr char kOtherGrid[] = "431102002001g01";

class EchoServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    target_ = server_.target();
    admin_port_ = server_.admin_port();
    channel_ = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  }

  std::string WaitForHealth(const std::string& want) {
    std::string last;
    for (int i = 0; i < 100; ++i) {
      auto s = gridctl::CheckHealth(channel_, "", std::chrono::seconds(2));
      last = s.ok() ? *s : s.status().ToString();
      if (last == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return last;
  }

  grpc::Status WhoAmI(const std::string& bearer, const std::string& grid,
                      ::gridbridge::testing::v1::WhoAmIResponse* out = nullptr) {
    auto stub = ::gridbridge::testing::v1::EchoService::NewStub(channel_);
    grpc::ClientContext ctx;
    if (!bearer.empty()) ctx.AddMetadata("authorization", "Bearer " + bearer);
    ::gridbridge::testing::v1::WhoAmIRequest req;
    req.set_grid_id(grid);
    ::gridbridge::testing::v1::WhoAmIResponse resp;
    grpc::Status s = stub->WhoAmI(&ctx, req, &resp);
    if (out) *out = resp;
    return s;
  }

  std::string Token(common::v1::Role role, const std::string& scope) {
    return keys_.Token(role, scope);
  }

  TempDir dir_;
  RedisServer redis_;
  Broker broker_;
  TestKeys keys_{dir_.path()};
  ServerProcess server_{BinaryPath("tools/echo-server/gridbridge-echo"),
                        redis_,
                        broker_,
                        keys_,
                        {"--drain_seconds", "2"}};
  std::string target_;
  int admin_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(EchoServerTest, HealthAndReflectionAnswer) {
  EXPECT_EQ(WaitForHealth("SERVING"), "SERVING");
  auto services = gridctl::ListServices(channel_, std::chrono::seconds(5));
  ASSERT_TRUE(services.ok()) << services.status();
  std::set<std::string> names(services->begin(), services->end());
  EXPECT_TRUE(names.count("gridbridge.testing.v1.EchoService"));
  EXPECT_TRUE(names.count("grpc.health.v1.Health"));
}

TEST_F(EchoServerTest, MetricsCountRpcsByMethodAndCode) {
  ASSERT_EQ(WhoAmI("", "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto metrics = RunCommand("curl -s http://127.0.0.1:" + std::to_string(admin_port_) + "/metrics");
  ASSERT_EQ(metrics.status, 0);
  EXPECT_NE(metrics.out.find("# TYPE gridbridge_grpc_server_handled_total counter"),
            std::string::npos);
  EXPECT_NE(
      metrics.out.find(
          R"(gridbridge_grpc_server_handled_total{code="UNAUTHENTICATED",method="/gridbridge.testing.v1.EchoService/WhoAmI"} 1)"),
      std::string::npos)
      << metrics.out;
  EXPECT_NE(metrics.out.find("gridbridge_grpc_server_handling_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.out.find("gridbridge_dependency_up{dependency=\"redis\"} 1"),
            std::string::npos);
}

TEST_F(EchoServerTest, AuthMatrixForTheReferenceRpc) {
  EXPECT_EQ(WhoAmI("", kGrid).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(WhoAmI("garbage", kGrid).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ::gridbridge::testing::v1::WhoAmIResponse me;
  ASSERT_TRUE(WhoAmI(Token(common::v1::ROLE_GRID_WORKER, kGrid), kGrid, &me).ok());
  EXPECT_EQ(me.actor().scope_id(), kGrid);
  EXPECT_EQ(WhoAmI(Token(common::v1::ROLE_GRID_WORKER, kGrid), kOtherGrid).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(WhoAmI(Token(common::v1::ROLE_DISTRICT_ADMIN, "431102"), kOtherGrid).ok());
  EXPECT_EQ(WhoAmI(Token(common::v1::ROLE_DISTRICT_ADMIN, "431102"), "nowhere").error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EchoServerTest, InvalidUtf8IsInvalidArgumentNamingTheField) {
  grpc::Status s = WhoAmI(Token(common::v1::ROLE_DISTRICT_ADMIN, "431102"), "\xff\xfe");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("grid_id"), std::string::npos) << s.error_message();
}

TEST_F(EchoServerTest, NotServingWhileRedisIsDown) {
  ASSERT_EQ(WaitForHealth("SERVING"), "SERVING");
  redis_.Stop();
  EXPECT_EQ(WaitForHealth("NOT_SERVING"), "NOT_SERVING");
  redis_.Start();
  EXPECT_EQ(WaitForHealth("SERVING"), "SERVING");
}

TEST_F(EchoServerTest, CommittedEchoAnswersOnlyWhatRedisHolds) {
  auto stub = ::gridbridge::testing::v1::EchoService::NewStub(channel_);
  auto call = [&](const std::string& payload) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ::gridbridge::testing::v1::EchoRequest req;
    req.set_payload(payload);
    ::gridbridge::testing::v1::EchoResponse resp;
    grpc::Status s = stub->EchoCommitted(&ctx, req, &resp);
    return std::make_pair(s, resp.payload());
  };
  auto [first, first_payload] = call("one");
  ASSERT_TRUE(first.ok()) << first.error_message();
  EXPECT_EQ(first_payload, "one");
  ASSERT_TRUE(call("two").first.ok());
  platform::RedisClient redis(*platform::RedisOptionsFromAddr(redis_.addr()));
  auto count = redis.Command({"HGET", "echo:{committed}:count", "calls"});
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(count->str, "2");
  auto entries = redis.Command({"XRANGE", "echo:{committed}:outbox", "-", "+"});
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->elements.size(), 2u);
  EXPECT_EQ(entries->elements[1].elements[1].elements[1].str, "two");

  EXPECT_EQ(call(std::string(64 * 1024 + 1, 'x')).first.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  redis_.Stop();
  EXPECT_EQ(call("three").first.error_code(), grpc::StatusCode::UNAVAILABLE);
  redis_.Start();
}

TEST_F(EchoServerTest, CommittedBatchesAreInRedisBeforeTheSummary) {
  auto stub = ::gridbridge::testing::v1::EchoService::NewStub(channel_);
  auto send = [&](const std::vector<int>& sizes) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ::gridbridge::testing::v1::EchoStreamSummary summary;
    auto stream = stub->EchoBatchesCommitted(&ctx, &summary);
    for (int size : sizes) {
      ::gridbridge::testing::v1::EchoBatch batch;
      for (int i = 0; i < size; ++i) batch.add_payloads("row" + std::to_string(i));
      if (!stream->Write(batch)) break;
    }
    stream->WritesDone();
    grpc::Status s = stream->Finish();
    return std::make_pair(s, summary.count());
  };
  auto [status, count] = send({3, 2});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(count, 5);
  platform::RedisClient redis(*platform::RedisOptionsFromAddr(redis_.addr()));
  auto rows = redis.Command({"HGETALL", "echo:{committed}:rows"});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->elements.size(), 2u * 5);
  auto batches = redis.Command({"XRANGE", "echo:{committed}:batches", "-", "+"});
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->elements.size(), 2u);
  EXPECT_EQ(batches->elements[0].elements[1].elements[1].str, "row0row1row2");

  EXPECT_EQ(send({1001}).first.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(EchoServerTest, SigtermDrainsAndExitsCleanly) {
  server_.process().Signal(SIGTERM);
  auto status = server_.process().Wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
}

TEST(EchoServerConfig, BadValueStopsStartUpNamingTheVariable) {
  auto r = RunCommand(BinaryPath("tools/echo-server/gridbridge-echo") +
                      " --redis_addr no-port --kafka_bootstrap 127.0.0.1:1 --jwt_public_key_file " +
                      SourcePath("data/admin-tree.json") + " --admin_tree_file " +
                      SourcePath("data/admin-tree.json") + " 2>&1");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("GRIDBRIDGE_REDIS_ADDR"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gridbridge::testing
