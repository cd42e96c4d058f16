// Screening's client of intake against an in-process fake intake: a
// vehicle's occupants are recorded with their calls in flight together,
// results keep the people's order, and transport failures go again.
#include "intake_client.h"

#include <condition_variable>
#include <map>
#include <mutex>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace gridbridge::screening {
namespace {

using intake::v1::RecordArrivalRequest;
using intake::v1::RecordArrivalResponse;

// Answers RecordArrival with the request id as the arrival id, but only
// once calls for `together` different request ids have been in the handler
// at the same time (calls made one after another, retried or not, fail
// FAILED_PRECONDITION after 5 s); "bad" is INVALID_ARGUMENT, and "flaky" is
// UNAVAILABLE the first time.
class FakeIntake final : public intake::v1::IntakeService::Service {
 public:
  explicit FakeIntake(int together) : together_(together) {}

  grpc::Status RecordArrival(grpc::ServerContext*, const RecordArrivalRequest* request,
                             RecordArrivalResponse* response) override {
    const std::string& id = request->request_id();
    std::unique_lock lock(mu_);
    ++in_handler_[id];
    if (static_cast<int>(in_handler_.size()) >= together_) met_ = true;
    all_in_.notify_all();
    const bool met = all_in_.wait_for(lock, std::chrono::seconds(5), [&] { return met_; });
    if (--in_handler_[id] == 0) in_handler_.erase(id);
    if (!met) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "calls came one at a time");
    }
    if (id == "bad") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "person.id_card_number: bad");
    }
    if (id == "flaky" && seen_[id]++ == 0) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not now");
    }
    response->mutable_arrival()->set_arrival_id(id);
    return grpc::Status::OK;
  }

 private:
  const int together_;
  std::mutex mu_;
  std::condition_variable all_in_;
  std::map<std::string, int> in_handler_;  // request id -> its calls in the handler now
  bool met_ = false;
  std::map<std::string, int> seen_;
};

class IntakeClientTest : public ::testing::Test {
 protected:
  void Serve(int together) {
    fake_ = std::make_unique<FakeIntake>(together);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(fake_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    client_ = std::make_unique<IntakeClient>(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  static google::protobuf::RepeatedPtrField<RecordArrivalRequest> People(
      std::initializer_list<const char*> ids) {
    google::protobuf::RepeatedPtrField<RecordArrivalRequest> people;
    for (const char* id : ids) people.Add()->set_request_id(id);
    return people;
  }

  std::unique_ptr<FakeIntake> fake_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<IntakeClient> client_;
};

TEST_F(IntakeClientTest, AVehiclesOccupantsAreRecordedTogetherInTheirOrder) {
  Serve(/*together=*/3);
  auto results = client_->RecordArrivals("Bearer t", People({"a", "bad", "c"}));
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[0]->arrival().arrival_id(), "a");
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(results[1].status().message(), "intake: person.id_card_number: bad");
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_EQ(results[2]->arrival().arrival_id(), "c");
}

TEST_F(IntakeClientTest, AnOccupantsCallThatFailsInTransportGoesAgain) {
  Serve(/*together=*/1);
  auto results = client_->RecordArrivals("Bearer t", People({"a", "flaky"}));
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_EQ(results[1]->arrival().arrival_id(), "flaky");
}

}  // namespace
}  // namespace gridbridge::screening
