// Screening through gRPC, as a real process beside a real intake process,
// the real broker program and a real redis-server; events read back from
// the topics.
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/intake/v1/intake_service.grpc.pb.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "gridbridge/screening/v1/screening_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "redis_client.h"
#include "screening_store.h"
#include "server_process.h"
#include "stack.h"
#include "topic_reader.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;
using gridbridge::testing::BinaryPath;
using gridbridge::testing::Broker;
using gridbridge::testing::RedisServer;
using gridbridge::testing::ServerProcess;
using gridbridge::testing::TempDir;

constexpr char kGrid[] = "431102001001g01";
constexpr char kFarGrid[] = "431102002001g01";
constexpr char kDistrict[] = "431102";

// An 18-character ID-card number with its GB 11643 check digit.
std::string IdNumber(const std::string& first17) {
  static const int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static const char kCheck[] = "10X98765432";
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return first17 + kCheck[sum % 11];
}

common::v1::Date DaysAgo(int days) {
  absl::CivilDay d = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) - days;
  common::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

// Intake as screening sees it, with RecordArrival held until released:
// each call is forwarded to the real intake (with its credentials) only
// then. In process, on a free port.
class HeldIntake final : public intake::v1::IntakeService::Service {
 public:
  explicit HeldIntake(const std::string& intake_target)
      : intake_(intake::v1::IntakeService::NewStub(
            grpc::CreateChannel(intake_target, grpc::InsecureChannelCredentials()))) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~HeldIntake() override {
    Release();
    server_->Shutdown();
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  grpc::Status RecordArrival(grpc::ServerContext* context,
                             const intake::v1::RecordArrivalRequest* request,
                             intake::v1::RecordArrivalResponse* response) override {
    {
      std::unique_lock lock(mu_);
      held_ = true;
      changed_.notify_all();
      changed_.wait(lock, [&] { return released_; });
    }
    grpc::ClientContext forwarded;
    auto auth = context->client_metadata().find("authorization");
    if (auth != context->client_metadata().end()) {
      forwarded.AddMetadata("authorization", std::string(auth->second.data(), auth->second.size()));
    }
    return intake_->RecordArrival(&forwarded, *request, response);
  }

  // Whether a call came within 10 s.
  bool WaitUntilHeld() {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::unique_ptr<intake::v1::IntakeService::Stub> intake_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_ = false, released_ = false;
};

class ScreeningServerTest : public ::testing::Test {
 protected:
  // Flags both servers get besides their own.
  virtual std::vector<std::string> CommonArgs() { return {}; }

  void SetUp() override {
    std::ofstream(dir_.path() + "/id.key") << "test-resident-id-key-0123456789";
    std::vector<std::string> intake_args = {"--resident_id_key_file", dir_.path() + "/id.key"};
    std::vector<std::string> screening_args = {
        "--policy_file", gridbridge::testing::SourcePath("data/screening-policy.textproto")};
    for (const auto& a : CommonArgs()) {
      intake_args.push_back(a);
      screening_args.push_back(a);
    }
    intake_ = std::make_unique<ServerProcess>(BinaryPath("services/intake/gridbridge-intake"),
                                              redis_, broker_, keys_, intake_args);
    ASSERT_TRUE(intake_->Start());
    screening_args.push_back("--intake_target");
    screening_args.push_back(intake_->target());
    screening_ =
        std::make_unique<ServerProcess>(BinaryPath("services/screening/gridbridge-screening"),
                                        redis_, broker_, keys_, screening_args);
    ASSERT_TRUE(screening_->Start());
    stub_ = v1::ScreeningService::NewStub(
        grpc::CreateChannel(screening_->target(), grpc::InsecureChannelCredentials()));
    worker_ = keys_.Token(common::v1::ROLE_GRID_WORKER, kGrid, "worker-1");
    admin_ = keys_.Token(common::v1::ROLE_DISTRICT_ADMIN, kDistrict, "admin-1");
  }

  template <typename Req, typename Resp, typename Method>
  grpc::Status Call(Method method, const std::string& token, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ((*stub_).*method)(&ctx, req, resp);
  }

  // Shaoyang medium risk as a whole; Futian (Shenzhen) high risk; in force
  // from `from`.
  void SetStoryRiskAreas(absl::Time from = absl::Now() - absl::Hours(24 * 10)) {
    v1::SetRiskAreasRequest req;
    req.set_request_id("areas-1");
    for (auto [code, level] :
         {std::pair{"430500", v1::RISK_LEVEL_MEDIUM}, std::pair{"440304", v1::RISK_LEVEL_HIGH}}) {
      auto* a = req.mutable_list()->add_areas();
      a->set_division_code(code);
      a->set_level(level);
      *a->mutable_effective_from() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(from));
    }
    v1::RiskAreaList list;
    ASSERT_TRUE(Call(&v1::ScreeningService::Stub::SetRiskAreas, admin_, req, &list).ok());
  }

  // The list in force set again (a new version with the same areas);
  // returns the new version.
  long long SetRiskAreasAgain(const std::string& request_id) {
    v1::SetRiskAreasRequest again;
    again.set_request_id(request_id);
    v1::RiskAreaList current;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::GetRiskAreas, worker_, v1::GetRiskAreasRequest(),
                     &current)
                    .ok());
    *again.mutable_list()->mutable_areas() = current.areas();
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::SetRiskAreas, admin_, again, &current).ok());
    return current.version();
  }

  // Redis's marker of the list version last re-screened.
  std::string RescreenMarkerKey() {
    return ScreeningStore::Keys(ScreeningStore::kRiskAreasUnit).Key("rescreened");
  }
  // Waits (up to 10 s) until the re-screen of `version` finished; returns
  // the version last re-screened.
  std::string WaitForRescreen(long long version) {
    platform::RedisClient redis({.port = redis_.port()});
    std::string done;
    for (int i = 0; i < 100 && done != std::to_string(version); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto got = redis.Command({"GET", RescreenMarkerKey()});
      EXPECT_TRUE(got.ok());
      if (got.ok()) done = got->str;
    }
    return done;
  }

  intake::v1::RecordArrivalRequest Person(const std::string& request_id, const std::string& id17,
                                          const std::string& visited, int days_ago,
                                          const std::string& grid = kGrid) {
    intake::v1::RecordArrivalRequest a;
    a.set_request_id(request_id);
    a.mutable_person()->set_name("到达人员");
    a.mutable_person()->set_id_card_number(IdNumber(id17));
    a.mutable_person()->set_phone("13912345678");
    a.set_origin_division_code(visited);
    auto* place = a.add_visited_places();
    place->set_division_code(visited);
    *place->mutable_date() = DaysAgo(days_ago);
    *a.mutable_arrival_time() = TimeUtil::GetCurrentTime();
    a.set_travel_mode(intake::v1::TRAVEL_MODE_CAR);
    a.set_vehicle_plate("辽A12345");
    a.set_health_code(intake::v1::HEALTH_CODE_COLOR_GREEN);
    a.mutable_destination()->set_estate("零耐嘉园");
    a.set_grid_id(grid);
    a.set_reason("elevator installation");
    return a;
  }

  // The two installers from Liaoning, in one car, via Shaoyang 3 days ago.
  v1::ScreenArrivalRequest Installers(const std::string& request_id) {
    v1::ScreenArrivalRequest req;
    req.set_request_id(request_id);
    *req.add_people() = Person(request_id + "-a", "21010219850315002", "430500", 3);
    *req.add_people() = Person(request_id + "-b", "21010219870722003", "430500", 3);
    return req;
  }

  // Records of `topic` after dedupe on ce_id, once at least `count` (or 20 s).
  std::vector<testing::TopicRecord> Topic(const std::string& topic, size_t count) {
    std::vector<testing::TopicRecord> unique;
    for (int i = 0; i < 100; ++i) {
      unique.clear();
      std::set<std::string> ids;
      for (auto& r : gridbridge::testing::ReadWholeTopic(broker_.bootstrap(), topic)) {
        if (ids.insert(gridbridge::testing::HeaderValue(r, "ce_id")).second) {
          unique.push_back(std::move(r));
        }
      }
      if (unique.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return unique;
  }

  v1::GridScreening Counts(const std::string& grid = kGrid) {
    v1::GetGridScreeningRequest req;
    req.set_grid_id(grid);
    v1::GridScreening out;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::GetGridScreening, worker_, req, &out).ok());
    return out;
  }

  TempDir dir_;
  RedisServer redis_;
  Broker broker_;
  gridbridge::testing::TestKeys keys_{dir_.path()};
  std::unique_ptr<ServerProcess> intake_;
  std::unique_ptr<ServerProcess> screening_;
  std::unique_ptr<v1::ScreeningService::Stub> stub_;
  std::string worker_, admin_;
};

TEST_F(ScreeningServerTest, OnlyDistrictAdminsSetRiskAreasAndBadListsAreRejected) {
  v1::SetRiskAreasRequest req;
  req.set_request_id("a1");
  auto* a = req.mutable_list()->add_areas();
  a->set_division_code("430500");
  a->set_level(v1::RISK_LEVEL_MEDIUM);
  *a->mutable_effective_from() = TimeUtil::GetCurrentTime();
  v1::RiskAreaList list;
  EXPECT_EQ(Call(&v1::ScreeningService::Stub::SetRiskAreas, worker_, req, &list).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::SetRiskAreas, admin_, req, &list).ok());
  EXPECT_EQ(list.version(), 1);
  EXPECT_EQ(list.updated_by(), "admin-1");
  // A retry returns the first answer; a new request makes version 2.
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::SetRiskAreas, admin_, req, &list).ok());
  EXPECT_EQ(list.version(), 1);
  req.set_request_id("a2");
  a->set_division_code("439999");
  grpc::Status bad = Call(&v1::ScreeningService::Stub::SetRiskAreas, admin_, req, &list);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(),
            "list.areas[0].division_code: '439999' is not a known administrative division "
            "(GB/T 2260)");
  v1::RiskAreaList got;
  ASSERT_TRUE(
      Call(&v1::ScreeningService::Stub::GetRiskAreas, worker_, v1::GetRiskAreasRequest(), &got)
          .ok());
  EXPECT_EQ(got.version(), 1);
  EXPECT_EQ(got.areas(0).division_code(), "430500");
  auto events = Topic(kRiskAreasTopic, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].key, "risk-areas");
}

TEST_F(ScreeningServerTest, TheInstallersGetCentralizedObservationAndPengHomeIsolationWithCare) {
  SetStoryRiskAreas();
  v1::ScreenArrivalResponse installers;
  grpc::Status s =
      Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, Installers("check-1"), &installers);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(installers.decisions_size(), 2);
  for (const auto& d : installers.decisions()) {
    EXPECT_TRUE(d.resident_created());
    EXPECT_EQ(d.decision(), v1::DECISION_MEASURE);
    EXPECT_EQ(d.rule(), "risk-area");
    EXPECT_EQ(d.policy_version(), "2022-04-11.1");
    EXPECT_EQ(d.risk_list_version(), 1);
    ASSERT_EQ(d.reasons_size(), 1);
    EXPECT_NE(d.reasons(0).find("湖南省邵阳市 (430500)"), std::string::npos) << d.reasons(0);
    EXPECT_EQ(d.measure().status(), v1::MEASURE_STATUS_ACTIVE);
    EXPECT_EQ(d.measure().plan().stages(0).type(), v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION);
    EXPECT_EQ(d.measure().plan().stages(1).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
  }
  // A retry of the check changes nothing and answers the same.
  v1::ScreenArrivalResponse again;
  ASSERT_TRUE(
      Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, Installers("check-1"), &again)
          .ok());
  EXPECT_EQ(again.decisions(0).measure().measure_id(),
            installers.decisions(0).measure().measure_id());

  // Peng, back from Bao'an (Shenzhen, a city with a high-risk district).
  v1::ScreenArrivalRequest peng;
  peng.set_request_id("check-2");
  *peng.add_people() = Person("check-2-a", "43110219900101123", "440306", 1);
  v1::ScreenArrivalResponse peng_out;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, peng, &peng_out).ok());
  const v1::PersonDecision& p = peng_out.decisions(0);
  EXPECT_EQ(p.rule(), "risk-city");
  EXPECT_EQ(p.measure().plan().stages(0).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
  EXPECT_EQ(p.measure().plan().stages(0).days(), 14);

  v1::GridScreening counts = Counts();
  EXPECT_EQ(counts.centralized_observation(), 2);
  EXPECT_EQ(counts.home_isolation(), 1);
  EXPECT_EQ(counts.measures_started(), 3);

  // Events: 3 decisions, 3 measures started, 1 care request (Peng's home).
  auto decisions = Topic(kDecisionTopic, 3);
  EXPECT_EQ(decisions.size(), 3u);
  auto measures = Topic(kMeasureTopic, 3);
  EXPECT_EQ(measures.size(), 3u);
  auto care = Topic(kCareRequestTopic, 1);
  ASSERT_EQ(care.size(), 1u);
  v1::CareRequested request;
  ASSERT_TRUE(request.ParseFromString(care[0].value));
  EXPECT_EQ(request.resident_id(), p.resident_id());
  EXPECT_EQ(care[0].key, kGrid);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Topic(kDecisionTopic, 3).size(), 3u) << "the retry added no decision";

  // The person's status, and the grid's active measures page by page.
  v1::GetPersonStatusRequest status_req;
  status_req.set_resident_id(p.resident_id());
  v1::PersonStatus status;
  ASSERT_TRUE(
      Call(&v1::ScreeningService::Stub::GetPersonStatus, worker_, status_req, &status).ok());
  EXPECT_EQ(status.measure().measure_id(), p.measure().measure_id());
  EXPECT_EQ(status.last_decision().rule(), "risk-city");
  v1::ListMeasuresRequest list_req;
  list_req.set_grid_id(kGrid);
  list_req.mutable_page()->set_page_size(2);
  v1::ListMeasuresResponse page1, page2;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ListMeasures, worker_, list_req, &page1).ok());
  EXPECT_EQ(page1.measures_size(), 2);
  ASSERT_FALSE(page1.page().next_page_token().empty());
  list_req.mutable_page()->set_page_token(page1.page().next_page_token());
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ListMeasures, worker_, list_req, &page2).ok());
  EXPECT_EQ(page2.measures_size(), 1);
  EXPECT_TRUE(page2.page().next_page_token().empty());

  // Released early with a reason; a second release is refused.
  v1::ChangeMeasureRequest release;
  release.set_request_id("release-peng");
  release.set_measure_id(p.measure().measure_id());
  release.set_release(true);
  release.set_reason("复核为低风险，解除居家隔离");
  v1::Measure released;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ChangeMeasure, worker_, release, &released).ok());
  EXPECT_EQ(released.status(), v1::MEASURE_STATUS_RELEASED);
  release.set_request_id("release-peng-2");
  EXPECT_EQ(
      Call(&v1::ScreeningService::Stub::ChangeMeasure, worker_, release, &released).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  counts = Counts();
  EXPECT_EQ(counts.home_isolation(), 0);
  EXPECT_EQ(counts.released(), 1);
}

TEST_F(ScreeningServerTest, AGreenArrivalFromNowhereRiskyPasses) {
  SetStoryRiskAreas();
  v1::ScreenArrivalRequest req;
  req.set_request_id("check-3");
  *req.add_people() = Person("check-3-a", "43110219920202234", "431102", 2);
  v1::ScreenArrivalResponse out;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, req, &out).ok());
  EXPECT_EQ(out.decisions(0).decision(), v1::DECISION_PASS_WITH_TEST)
      << "no vaccination on record, no test: tested on arrival";
  EXPECT_EQ(out.decisions(0).rule(), "unvaccinated-untested");
  EXPECT_FALSE(out.decisions(0).has_measure());
}

TEST_F(ScreeningServerTest, BadInputNamesTheFieldAndRecordsNothing) {
  auto expect = [&](const v1::ScreenArrivalRequest& req, const std::string& message) {
    v1::ScreenArrivalResponse out;
    grpc::Status s = Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << message;
    EXPECT_EQ(s.error_message(), message);
  };
  v1::ScreenArrivalRequest req = Installers("bad-1");
  req.mutable_people(1)->mutable_visited_places(0)->set_division_code("439999");
  expect(req,
         "people[1].visited_places[0].division_code: '439999' is not a known "
         "administrative division (GB/T 2260)");
  req = Installers("bad-2");
  *req.mutable_people(0)->mutable_visited_places(0)->mutable_date() = DaysAgo(-2);
  expect(req, "people[0].visited_places[0].date: after the arrival day");
  req.clear_people();
  expect(req, "people: 1..60 people per check");
  req = Installers("");
  expect(req, "request_id: required (a client-chosen idempotency key)");
  EXPECT_EQ(Counts().measures_started(), 0);
  // A grid outside the worker's scope.
  req = Installers("bad-3");
  req.mutable_people(0)->set_grid_id(kFarGrid);
  v1::ScreenArrivalResponse out;
  EXPECT_EQ(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, req, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Analysts read figures, never screen.
  const std::string analyst = keys_.Token(common::v1::ROLE_ANALYST, kDistrict, "analyst");
  EXPECT_EQ(
      Call(&v1::ScreeningService::Stub::ScreenArrival, analyst, Installers("x"), &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::GetGridScreeningRequest counts_req;
  counts_req.set_grid_id(kGrid);
  v1::GridScreening counts;
  EXPECT_TRUE(
      Call(&v1::ScreeningService::Stub::GetGridScreening, analyst, counts_req, &counts).ok());
}

// Arrivals recorded at intake (not at a checkpoint) are screened from
// intake's events; a positive test reported to intake escalates home
// isolation to centralized observation; an arrival already screened at the
// checkpoint is not decided again when its event comes.
TEST_F(ScreeningServerTest, IntakeEventsAreScreenedAndAPositiveTestEscalates) {
  SetStoryRiskAreas();
  auto intake_stub = intake::v1::IntakeService::NewStub(
      grpc::CreateChannel(intake_->target(), grpc::InsecureChannelCredentials()));
  auto intake_call = [&](auto method, const auto& req, auto* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + worker_);
    return ((*intake_stub).*method)(&ctx, req, resp);
  };
  // Peng at the checkpoint: home isolation.
  v1::ScreenArrivalRequest peng;
  peng.set_request_id("check-5");
  *peng.add_people() = Person("check-5-a", "43110219900101123", "440306", 1);
  v1::ScreenArrivalResponse peng_out;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, peng, &peng_out).ok());
  const std::string peng_id = peng_out.decisions(0).resident_id();
  // An installer recorded at intake only.
  intake::v1::RecordArrivalResponse recorded;
  ASSERT_TRUE(intake_call(&intake::v1::IntakeService::Stub::RecordArrival,
                          Person("intake-1", "21010219850315002", "430500", 3), &recorded)
                  .ok());
  const std::string installer = recorded.arrival().resident_id();

  auto status_of = [&](const std::string& rid, v1::PersonStatus* out) {
    v1::GetPersonStatusRequest req;
    req.set_resident_id(rid);
    return Call(&v1::ScreeningService::Stub::GetPersonStatus, worker_, req, out);
  };
  v1::PersonStatus status;
  for (int i = 0; i < 100 && !status_of(installer, &status).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status.last_decision().rule(), "risk-area");
  EXPECT_EQ(status.last_decision().arrival_id(), recorded.arrival().arrival_id());
  EXPECT_EQ(status.measure().plan().stages(0).type(), v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION);

  // Peng tests positive.
  intake::v1::RecordHealthStatusRequest positive;
  positive.set_request_id("peng-test-1");
  positive.set_resident_id(peng_id);
  auto* test = positive.add_tests();
  *test->mutable_sample_time() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()) - 3600);
  test->set_result(intake::v1::TEST_RESULT_POSITIVE);
  *test->mutable_result_time() = TimeUtil::GetCurrentTime();
  intake::v1::RecordHealthStatusResponse health;
  ASSERT_TRUE(
      intake_call(&intake::v1::IntakeService::Stub::RecordHealthStatus, positive, &health).ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(status_of(peng_id, &status).ok());
    if (status.measure().rule() == "positive-test") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status.measure().rule(), "positive-test");
  EXPECT_EQ(status.measure().plan().stages(0).type(), v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION);
  EXPECT_EQ(status.measure().history(status.measure().history_size() - 1).kind(),
            v1::MEASURE_CHANGE_KIND_ESCALATED);
  EXPECT_EQ(status.latest_test().result(), intake::v1::TEST_RESULT_POSITIVE);
  EXPECT_EQ(Counts().centralized_observation(), 2);
  EXPECT_EQ(Counts().home_isolation(), 0);

  // Decisions: Peng at the checkpoint, the installer from intake's event,
  // Peng's escalation. Peng's arrival event was not decided a second time.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(Topic(kDecisionTopic, 3).size(), 3u);

  // Both were registered with their arrivals; Peng's event says the
  // checkpoint screened it (screening's consumer reads first for it).
  std::map<std::string, intake::v1::ArrivalRecorded> arrivals;  // by resident
  for (const auto& record : Topic("gridbridge.intake.arrival.v1", 2)) {
    intake::v1::ArrivalRecorded event;
    ASSERT_TRUE(event.ParseFromString(record.value));
    arrivals[event.arrival().resident_id()] = event;
  }
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_TRUE(arrivals[peng_id].resident_created());
  EXPECT_TRUE(arrivals[peng_id].screened_at_checkpoint());
  EXPECT_TRUE(arrivals[installer].resident_created());
  EXPECT_FALSE(arrivals[installer].screened_at_checkpoint());
}

// A risk-area change re-screens the arrivals of the last 14 days: exactly
// the people who now match get a measure, with a decision that says so.
TEST_F(ScreeningServerTest, ARiskAreaChangeRescreensExactlyThePeopleItShould) {
  v1::ScreenArrivalRequest check;
  check.set_request_id("check-6");
  *check.add_people() = Person("check-6-a", "43110219800101123", "431102", 3);  // Lingling
  *check.add_people() = Person("check-6-b", "43110219810101123", "430500", 3);  // Shaoyang
  *check.add_people() = Person("check-6-c", "43110219820101123", "440106", 2);  // Guangzhou
  v1::ScreenArrivalResponse before;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, check, &before).ok());
  for (const auto& d : before.decisions()) EXPECT_NE(d.decision(), v1::DECISION_MEASURE);

  SetStoryRiskAreas();  // Shaoyang becomes a medium-risk area
  auto status_of = [&](int i) {
    v1::GetPersonStatusRequest req;
    req.set_resident_id(before.decisions(i).resident_id());
    v1::PersonStatus out;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::GetPersonStatus, worker_, req, &out).ok());
    return out;
  };
  v1::PersonStatus b;
  for (int i = 0; i < 100; ++i) {
    b = status_of(1);
    if (b.has_measure() && !b.measure().measure_id().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(b.measure().rule(), "risk-area");
  EXPECT_EQ(b.measure().status(), v1::MEASURE_STATUS_ACTIVE);
  EXPECT_TRUE(b.last_decision().rescreened());
  EXPECT_EQ(b.last_decision().risk_list_version(), 1);
  EXPECT_EQ(b.last_decision().arrival_id(), before.decisions(1).arrival_id());
  ASSERT_EQ(b.last_decision().reasons_size(), 1);
  EXPECT_NE(b.last_decision().reasons(0).find("属中风险地区"), std::string::npos);
  EXPECT_TRUE(status_of(0).measure().measure_id().empty()) << "Lingling is not a risk area";
  EXPECT_TRUE(status_of(2).measure().measure_id().empty()) << "Guangzhou is not either";

  // The same list again (a new version): nobody changes, no new decision.
  EXPECT_EQ(SetRiskAreasAgain("areas-2"), 2);
  ASSERT_EQ(WaitForRescreen(2), "2");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // its events, had it made any
  auto decisions = Topic(kDecisionTopic, 4);
  EXPECT_EQ(decisions.size(), 4u) << "3 at the checkpoint, 1 re-screen";
  EXPECT_EQ(Counts().centralized_observation(), 1);

  // A pass cut short after its commits but before it marked the version
  // done (its replica died) is run again by the next pass: what it
  // committed is not done twice, although re-screens keep no request log.
  const long long started = Counts().measures_started();
  const size_t measure_events = Topic(kMeasureTopic, 1).size();
  platform::RedisClient redis({.port = redis_.port()});
  ASSERT_TRUE(redis.Command({"DEL", RescreenMarkerKey()}).ok());
  ASSERT_EQ(WaitForRescreen(2), "2") << "the pass of list v2 ran again";
  std::this_thread::sleep_for(std::chrono::seconds(1));  // its events, had it made any
  EXPECT_EQ(Topic(kDecisionTopic, 4).size(), 4u);
  EXPECT_EQ(Topic(kMeasureTopic, 1).size(), measure_events);
  EXPECT_EQ(Counts().measures_started(), started);
  EXPECT_EQ(Counts().centralized_observation(), 1);
}

// A check that read the risk-area list before it changed, and committed its
// decision after the change's re-screen had passed its grid (intake held it
// until then), is re-screened by the check itself: the person gets the
// measure the new list calls for, and the check answers with it.
TEST_F(ScreeningServerTest, ACheckCommittedAfterItsGridWasRescreenedIsRescreenedByItself) {
  // One screening, whose consumer hears of intake's events seconds late
  // (the local broker holds a fetch its whole wait): the check's own
  // commit is first, as with a lagging consumer.
  screening_.reset();
  HeldIntake held(intake_->target());
  ServerProcess screening(
      BinaryPath("services/screening/gridbridge-screening"), redis_, broker_, keys_,
      {"--policy_file", gridbridge::testing::SourcePath("data/screening-policy.textproto"),
       "--intake_target", held.target(), "--kafka_fetch_wait_ms", "3000"});
  ASSERT_TRUE(screening.Start());
  stub_ = v1::ScreeningService::NewStub(
      grpc::CreateChannel(screening.target(), grpc::InsecureChannelCredentials()));

  v1::ScreenArrivalRequest check;
  check.set_request_id("late-1");
  *check.add_people() = Person("late-1-a", "43110219830101123", "430500", 3);  // via Shaoyang
  v1::ScreenArrivalResponse answer;
  grpc::Status checked;
  std::thread checking(
      [&] { checked = Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, check, &answer); });
  ASSERT_TRUE(held.WaitUntilHeld());  // the check has read the list (none yet)
  SetStoryRiskAreas();                // Shaoyang becomes a medium-risk area: list v1
  ASSERT_EQ(WaitForRescreen(1), "1");
  held.Release();
  checking.join();
  ASSERT_TRUE(checked.ok()) << checked.error_message();
  ASSERT_EQ(answer.decisions_size(), 1);
  const v1::PersonDecision& d = answer.decisions(0);
  EXPECT_EQ(d.decision(), v1::DECISION_MEASURE);
  EXPECT_TRUE(d.rescreened());
  EXPECT_EQ(d.risk_list_version(), 1);
  EXPECT_TRUE(d.resident_created());
  EXPECT_EQ(d.measure().status(), v1::MEASURE_STATUS_ACTIVE);

  v1::GetPersonStatusRequest req;
  req.set_resident_id(d.resident_id());
  v1::PersonStatus person;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::GetPersonStatus, worker_, req, &person).ok());
  EXPECT_EQ(person.measure().measure_id(), d.measure().measure_id());
  EXPECT_EQ(person.measure().rule(), "risk-area");
  auto metrics = gridbridge::testing::RunCommand(
      "curl -sf http://127.0.0.1:" + std::to_string(screening.admin_port()) + "/metrics");
  EXPECT_NE(metrics.out.find("gridbridge_screening_late_rescreens_total 1"), std::string::npos);
}

// A replica takes the risk-area list from memory for a while once it saw it
// in force (a minute here; RiskAreaCache::Recent): a list set through
// another replica meanwhile still applies to the next check here: the
// check's read of the version after its commit has it re-screened
// (Rescreener::RescreenIfListChanged), and this replica's next check read
// the new list.
TEST_F(ScreeningServerTest, AListSetThroughAnotherReplicaAppliesToTheNextCheckHere) {
  screening_.reset();
  auto replica = [&] {
    return std::make_unique<ServerProcess>(
        BinaryPath("services/screening/gridbridge-screening"), redis_, broker_, keys_,
        std::vector<std::string>{
            "--policy_file", gridbridge::testing::SourcePath("data/screening-policy.textproto"),
            "--intake_target", intake_->target(), "--risk_list_max_age_ms", "60000"});
  };
  auto here = replica(), there = replica();
  ASSERT_TRUE(here->Start());
  ASSERT_TRUE(there->Start());
  auto stub_of = [](const ServerProcess& p) {
    return v1::ScreeningService::NewStub(
        grpc::CreateChannel(p.target(), grpc::InsecureChannelCredentials()));
  };
  auto check = [&](const std::string& id, const std::string& id17) {
    v1::ScreenArrivalRequest req;
    req.set_request_id(id);
    *req.add_people() = Person(id + "-a", id17, "430500", 3);  // via Shaoyang
    v1::ScreenArrivalResponse answer;
    grpc::Status st = Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, req, &answer);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(answer.decisions_size(), 1);
    return answer.decisions_size() == 1 ? answer.decisions(0) : v1::PersonDecision();
  };
  stub_ = stub_of(*here);
  const v1::PersonDecision before = check("replica-1", "43110219830101201");
  EXPECT_EQ(before.risk_list_version(), 0);  // no list yet: kept in memory for a minute
  EXPECT_NE(before.decision(), v1::DECISION_MEASURE);

  stub_ = stub_of(*there);
  SetStoryRiskAreas();  // Shaoyang becomes a medium-risk area: list v1
  stub_ = stub_of(*here);
  const v1::PersonDecision stale = check("replica-2", "43110219830101202");
  EXPECT_EQ(stale.decision(), v1::DECISION_MEASURE);
  EXPECT_EQ(stale.rule(), "risk-area");
  EXPECT_EQ(stale.risk_list_version(), 1);
  EXPECT_TRUE(stale.rescreened()) << "decided against the list in memory, then re-screened";
  EXPECT_EQ(stale.measure().status(), v1::MEASURE_STATUS_ACTIVE);

  const v1::PersonDecision next = check("replica-3", "43110219830101203");
  EXPECT_EQ(next.decision(), v1::DECISION_MEASURE);
  EXPECT_EQ(next.risk_list_version(), 1);
  EXPECT_FALSE(next.rescreened()) << "the fence told this replica of the new list";
}

// A person back twice from a risk area, each measure released early: the
// person's record names the second. A re-screen finding both arrivals
// matching again leaves them alone: the first arrival's measure ran its
// course and must not be started again (its id is taken; the pass used to
// fail on it every second, never finishing its version).
TEST_F(ScreeningServerTest, ARescreenLeavesAloneAMeasureThatRanItsCourseBeforeALaterOne) {
  SetStoryRiskAreas();  // Shaoyang medium risk
  auto screen_and_release = [&](const std::string& request_id) {
    v1::ScreenArrivalRequest check;
    check.set_request_id(request_id);
    *check.add_people() = Person(request_id + "-p", "43110219900101123", "430500", 3);
    v1::ScreenArrivalResponse screened;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, check, &screened).ok());
    EXPECT_EQ(screened.decisions(0).decision(), v1::DECISION_MEASURE);
    v1::ChangeMeasureRequest release;
    release.set_request_id(request_id + "-release");
    release.set_measure_id(screened.decisions(0).measure().measure_id());
    release.set_release(true);
    release.set_reason("核酸检测阴性，提前解除");
    v1::Measure released;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::ChangeMeasure, worker_, release, &released).ok());
    return screened.decisions(0).measure().measure_id();
  };
  const std::string first = screen_and_release("back-1");
  const std::string second = screen_and_release("back-2");
  ASSERT_NE(first, second);
  const long long started = Counts().measures_started();

  const long long version = SetRiskAreasAgain("areas-again");
  ASSERT_EQ(WaitForRescreen(version), std::to_string(version)) << "the pass finished";
  EXPECT_EQ(Counts().measures_started(), started);
  EXPECT_EQ(Counts().centralized_observation() + Counts().home_isolation(), 0);
}

// Venue codes: when a person tests positive, whoever scanned the same venue
// within 2 hours of them gets an exposure alert and home isolation; someone
// who scanned hours apart does not.
TEST_F(ScreeningServerTest, APositiveCaseAlertsThoseWhoScannedTheSameVenueCloseInTime) {
  v1::RegisterVenueRequest reg;
  reg.set_request_id("venue-1");
  reg.mutable_venue()->set_grid_id(kGrid);
  reg.mutable_venue()->set_name("枫木山超市");
  reg.mutable_venue()->set_kind(v1::VENUE_KIND_SUPERMARKET);
  v1::Venue venue;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::RegisterVenue, worker_, reg, &venue).ok());
  EXPECT_EQ(venue.venue_id().rfind(std::string("v.") + kGrid + ".", 0), 0u);

  v1::ScreenArrivalRequest check;
  check.set_request_id("check-7");
  *check.add_people() = Person("check-7-p", "43110219700101123", "431102", 2);  // the case
  *check.add_people() = Person("check-7-e", "43110219710101123", "431102", 2);  // exposed
  *check.add_people() = Person("check-7-f", "43110219720101123", "431102", 2);  // hours apart
  v1::ScreenArrivalResponse people;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, check, &people).ok());
  const absl::Time now = absl::Now();
  const std::pair<int, absl::Duration> scans[] = {
      {0, absl::Hours(3)}, {1, absl::Hours(3) - absl::Minutes(30)}, {2, absl::Hours(8)}};
  for (const auto& [who, ago] : scans) {
    v1::ScanVenueRequest scan;
    scan.set_resident_id(people.decisions(who).resident_id());
    scan.set_venue_id(venue.venue_id());
    *scan.mutable_scan_time() = TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(now - ago));
    v1::ScanVenueResponse scanned;
    ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ScanVenue, worker_, scan, &scanned).ok());
  }
  v1::ScanVenueRequest unknown;
  unknown.set_resident_id(people.decisions(0).resident_id());
  unknown.set_venue_id(std::string("v.") + kGrid + ".nope");
  *unknown.mutable_scan_time() = TimeUtil::GetCurrentTime();
  v1::ScanVenueResponse scanned;
  EXPECT_EQ(Call(&v1::ScreeningService::Stub::ScanVenue, worker_, unknown, &scanned).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The case tests positive at intake.
  auto intake_stub = intake::v1::IntakeService::NewStub(
      grpc::CreateChannel(intake_->target(), grpc::InsecureChannelCredentials()));
  intake::v1::RecordHealthStatusRequest positive;
  positive.set_request_id("case-test-1");
  positive.set_resident_id(people.decisions(0).resident_id());
  auto* test = positive.add_tests();
  *test->mutable_sample_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(now) - 1800);
  test->set_result(intake::v1::TEST_RESULT_POSITIVE);
  *test->mutable_result_time() = TimeUtil::GetCurrentTime();
  intake::v1::RecordHealthStatusResponse health;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + worker_);
  ASSERT_TRUE(intake_stub->RecordHealthStatus(&ctx, positive, &health).ok());

  auto status_of = [&](int i) {
    v1::GetPersonStatusRequest req;
    req.set_resident_id(people.decisions(i).resident_id());
    v1::PersonStatus out;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::GetPersonStatus, worker_, req, &out).ok());
    return out;
  };
  v1::PersonStatus exposed;
  for (int i = 0; i < 100; ++i) {
    exposed = status_of(1);
    if (!exposed.measure().measure_id().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(exposed.measure().rule(), "venue-exposure") << status_of(0).DebugString();
  EXPECT_EQ(exposed.measure().plan().stages(0).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
  ASSERT_EQ(exposed.last_decision().reasons_size(), 1);
  EXPECT_NE(exposed.last_decision().reasons(0).find(
                "在枫木山超市扫场所码，与核酸阳性人员到场时间相差30分钟"),
            std::string::npos)
      << exposed.last_decision().reasons(0);
  EXPECT_EQ(status_of(0).measure().rule(), "positive-test");
  EXPECT_TRUE(status_of(2).measure().measure_id().empty()) << "scanned 5 hours apart";
  auto alerts = Topic(kExposureTopic, 1);
  ASSERT_EQ(alerts.size(), 1u);
  v1::ExposureAlerted alert;
  ASSERT_TRUE(alert.ParseFromString(alerts[0].value));
  EXPECT_EQ(alert.resident_id(), people.decisions(1).resident_id());
  EXPECT_EQ(alert.venue_name(), "枫木山超市");
  EXPECT_EQ(alert.measure_id(), exposed.measure().measure_id());
}

TEST_F(ScreeningServerTest, IntakeDownIsUnavailableNamingThePersonAndIntake) {
  SetStoryRiskAreas();
  intake_->process().Signal(SIGKILL);
  intake_->process().Wait(std::chrono::seconds(5));
  v1::ScreenArrivalResponse out;
  grpc::Status s =
      Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, Installers("check-4"), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(s.error_message().rfind("people[0]: intake: ", 0), 0u) << s.error_message();
}

// The stories on their own dates: both services' clocks follow a file the
// test rewrites (--clock_file), so the measure timers run as they would
// have in April 2022.
class ScreeningStoryTest : public ScreeningServerTest {
 protected:
  std::vector<std::string> CommonArgs() override { return {"--clock_file", ClockFile()}; }
  void SetUp() override {
    SetClock("2022-04-11T15:30:00+08:00");
    ScreeningServerTest::SetUp();
  }
  std::string ClockFile() { return dir_.path() + "/now"; }
  void SetClock(const std::string& rfc3339) {
    std::ofstream(ClockFile() + ".new") << rfc3339 << "\n";
    std::rename((ClockFile() + ".new").c_str(), ClockFile().c_str());  // never half written
    // The services look at the file again at most every 20 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  static absl::Time At(const std::string& rfc3339) {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
    return t;
  }
  static google::protobuf::Timestamp Ts(const std::string& rfc3339) {
    return TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(At(rfc3339)));
  }
  // A person of the stories arriving at `at`, having been in `visited` on
  // `day` (yyyy-mm-dd).
  intake::v1::RecordArrivalRequest StoryPerson(const std::string& request_id,
                                               const std::string& id17, const std::string& visited,
                                               const std::string& at, int y, int m, int d) {
    intake::v1::RecordArrivalRequest p = Person(request_id, id17, visited, 0);
    *p.mutable_arrival_time() = Ts(at);
    p.mutable_visited_places(0)->mutable_date()->set_year(y);
    p.mutable_visited_places(0)->mutable_date()->set_month(m);
    p.mutable_visited_places(0)->mutable_date()->set_day(d);
    return p;
  }
  v1::Measure MeasureOf(const std::string& resident_id) {
    v1::GetPersonStatusRequest req;
    req.set_resident_id(resident_id);
    v1::PersonStatus status;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::GetPersonStatus, worker_, req, &status).ok());
    return status.measure();
  }
  // Waits (up to 20 s) until `done` holds for the person's measure.
  v1::Measure AwaitMeasure(const std::string& resident_id,
                           const std::function<bool(const v1::Measure&)>& done) {
    v1::Measure m;
    for (int i = 0; i < 100; ++i) {
      m = MeasureOf(resident_id);
      if (done(m)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return m;
  }
  // MeasureChanged events of `kind`, once each.
  std::vector<v1::MeasureChanged> Changes(v1::MeasureChangeKind kind, size_t at_least) {
    std::vector<v1::MeasureChanged> out;
    for (int i = 0; i < 50; ++i) {
      out.clear();
      for (const auto& r : Topic(kMeasureTopic, 0)) {
        v1::MeasureChanged e;
        if (e.ParseFromString(r.value) && e.change().kind() == kind) out.push_back(e);
      }
      if (out.size() >= at_least) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return out;
  }
};

TEST_F(ScreeningStoryTest, TheInstallersStepDownToHomeIsolationOnThe26thAndPengIsolatesAtHome) {
  SetStoryRiskAreas(At("2022-04-01T00:00:00+08:00"));

  // 11 April, 15:00: the two installers from Liaoning drive in from
  // Shaoyang, where they were on the 8th.
  v1::ScreenArrivalRequest installers;
  installers.set_request_id("check-0411");
  *installers.add_people() = StoryPerson("check-0411-a", "21010219850315002", "430500",
                                         "2022-04-11T15:00:00+08:00", 2022, 4, 8);
  *installers.add_people() = StoryPerson("check-0411-b", "21010219870722003", "430500",
                                         "2022-04-11T15:00:00+08:00", 2022, 4, 8);
  v1::ScreenArrivalResponse checked;
  grpc::Status s = Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, installers, &checked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(checked.decisions_size(), 2);
  std::vector<std::string> installer_ids;
  for (const auto& d : checked.decisions()) {
    installer_ids.push_back(d.resident_id());
    EXPECT_EQ(d.rule(), "risk-area");
    EXPECT_EQ(d.measure().plan().stages(0).type(), v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION);
    // 14 days counted from the day after arrival: until 26 April, 00:00.
    EXPECT_EQ(d.measure().stage_ends_at(), Ts("2022-04-26T00:00:00+08:00"));
  }

  // 13 April: Peng comes back from Bao'an, Shenzhen (a city with a
  // high-risk district): 14 days of home isolation, and a care request for
  // his household at once.
  SetClock("2022-04-13T10:00:00+08:00");
  v1::ScreenArrivalRequest peng;
  peng.set_request_id("check-0413");
  *peng.add_people() = StoryPerson("check-0413-a", "43110219900101123", "440306",
                                   "2022-04-13T09:30:00+08:00", 2022, 4, 12);
  v1::ScreenArrivalResponse peng_checked;
  s = Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, peng, &peng_checked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::PersonDecision& p = peng_checked.decisions(0);
  EXPECT_EQ(p.rule(), "risk-city");
  EXPECT_EQ(p.measure().plan().stages(0).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
  EXPECT_EQ(p.measure().stage_ends_at(), Ts("2022-04-28T00:00:00+08:00"));
  auto care = Topic(kCareRequestTopic, 1);
  ASSERT_EQ(care.size(), 1u);

  // Ten seconds before midnight on the 25th nothing has moved.
  SetClock("2022-04-25T23:59:50+08:00");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  for (const auto& id : installer_ids) {
    EXPECT_EQ(MeasureOf(id).stage_index(), 0) << "stepped down before the 26th";
  }

  // The 26th: both installers move from centralized observation to home
  // isolation (7 days, until 3 May), each with a care request, once.
  SetClock("2022-04-26T00:00:05+08:00");
  for (const auto& id : installer_ids) {
    v1::Measure m = AwaitMeasure(id, [](const v1::Measure& m) { return m.stage_index() == 1; });
    ASSERT_EQ(m.stage_index(), 1);
    EXPECT_EQ(m.status(), v1::MEASURE_STATUS_ACTIVE);
    EXPECT_EQ(m.plan().stages(1).type(), v1::MEASURE_TYPE_HOME_ISOLATION);
    EXPECT_EQ(m.stage_started_at(), Ts("2022-04-26T00:00:00+08:00"));
    EXPECT_EQ(m.stage_ends_at(), Ts("2022-05-03T00:00:00+08:00"));
    EXPECT_EQ(m.history().rbegin()->kind(), v1::MEASURE_CHANGE_KIND_STAGE_CHANGED);
  }
  care = Topic(kCareRequestTopic, 3);
  ASSERT_EQ(care.size(), 3u);
  std::set<std::string> cared;
  for (const auto& r : care) {
    v1::CareRequested c;
    ASSERT_TRUE(c.ParseFromString(r.value));
    EXPECT_EQ(c.measure_type(), v1::MEASURE_TYPE_HOME_ISOLATION);
    cared.insert(c.resident_id());
  }
  EXPECT_EQ(cared, (std::set<std::string>{installer_ids[0], installer_ids[1], p.resident_id()}));
  v1::GridScreening counts = Counts();
  EXPECT_EQ(counts.centralized_observation(), 0);
  EXPECT_EQ(counts.home_isolation(), 3);

  // Intake's record of the same trip reaches screening only now (its event
  // is decided on the 26th): the same plan from the same arrival would have
  // the installer in home isolation by now too, so nothing changes.
  auto intake = intake::v1::IntakeService::NewStub(
      grpc::CreateChannel(intake_->target(), grpc::InsecureChannelCredentials()));
  intake::v1::RecordArrivalResponse late;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + worker_);
    ASSERT_TRUE(intake
                    ->RecordArrival(&ctx,
                                    StoryPerson("late-0411-a", "21010219850315002", "430500",
                                                "2022-04-11T15:00:00+08:00", 2022, 4, 8),
                                    &late)
                    .ok());
  }
  auto last_decided = [&] {
    v1::GetPersonStatusRequest req;
    req.set_resident_id(installer_ids[0]);
    v1::PersonStatus status;
    EXPECT_TRUE(Call(&v1::ScreeningService::Stub::GetPersonStatus, worker_, req, &status).ok());
    return status.last_decision().arrival_id();
  };
  for (int i = 0; i < 100 && last_decided() != late.arrival().arrival_id(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(last_decided(), late.arrival().arrival_id()) << "intake's event was not decided";
  const v1::Measure kept = MeasureOf(installer_ids[0]);
  EXPECT_EQ(kept.stage_index(), 1);
  EXPECT_EQ(kept.stage_ends_at(), Ts("2022-05-03T00:00:00+08:00"));
  EXPECT_EQ(kept.history().rbegin()->kind(), v1::MEASURE_CHANGE_KIND_STAGE_CHANGED);
  EXPECT_EQ(Counts().home_isolation(), 3);

  // 3 May: the installers are released; Peng (since the 28th) too. Every
  // step happened exactly once.
  SetClock("2022-05-03T00:00:05+08:00");
  for (const auto& id : installer_ids) {
    EXPECT_EQ(
        AwaitMeasure(id,
                     [](const v1::Measure& m) { return m.status() == v1::MEASURE_STATUS_RELEASED; })
            .status(),
        v1::MEASURE_STATUS_RELEASED);
  }
  EXPECT_EQ(
      AwaitMeasure(p.resident_id(),
                   [](const v1::Measure& m) { return m.status() == v1::MEASURE_STATUS_RELEASED; })
          .released_at(),
      Ts("2022-04-28T00:00:00+08:00"));
  EXPECT_EQ(Changes(v1::MEASURE_CHANGE_KIND_RELEASED, 3).size(), 3u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Changes(v1::MEASURE_CHANGE_KIND_STAGE_CHANGED, 2).size(), 2u);
  EXPECT_EQ(Changes(v1::MEASURE_CHANGE_KIND_RELEASED, 3).size(), 3u);
  EXPECT_EQ(Topic(kCareRequestTopic, 3).size(), 3u);
  counts = Counts();
  EXPECT_EQ(counts.home_isolation(), 0);
  EXPECT_EQ(counts.released(), 3);
}

// What the alerting rules (k8s/monitoring) and dashboards read: both
// servers' /metrics, after a checkpoint call, pass promtool's lint (counter
// names end in _total, units in the names, help on every family).
TEST_F(ScreeningServerTest, BothServersMetricsPassPromtoolsLint) {
  SetStoryRiskAreas();
  v1::ScreenArrivalRequest req;
  req.set_request_id("check-metrics");
  *req.add_people() = Person("check-metrics-a", "43110219920202234", "431102", 2);
  v1::ScreenArrivalResponse out;
  ASSERT_TRUE(Call(&v1::ScreeningService::Stub::ScreenArrival, worker_, req, &out).ok());
  for (ServerProcess* server : {intake_.get(), screening_.get()}) {
    const std::string url = "http://127.0.0.1:" + std::to_string(server->admin_port()) + "/metrics";
    auto families = gridbridge::testing::RunCommand("curl -sf " + url + " | grep -c '^# TYPE'");
    EXPECT_GT(std::atoi(families.out.c_str()), 10) << url;
    auto lint =
        gridbridge::testing::RunCommand("curl -sf " + url + " | promtool check metrics 2>&1");
    EXPECT_EQ(lint.status, 0) << url << ": " << lint.out;
  }
}

// Screening's calls to intake go to every replica its target names (round
// robin), not all down one connection to the first: with two intakes
// behind one target, both record the checkpoint's arrivals.
TEST_F(ScreeningServerTest, CallsToIntakeAreSpreadOverItsReplicas) {
  ServerProcess second_intake(BinaryPath("services/intake/gridbridge-intake"), redis_, broker_,
                              keys_, {"--resident_id_key_file", dir_.path() + "/id.key"});
  ASSERT_TRUE(second_intake.Start());
  ServerProcess spreading(
      BinaryPath("services/screening/gridbridge-screening"), redis_, broker_, keys_,
      {"--policy_file", gridbridge::testing::SourcePath("data/screening-policy.textproto"),
       "--intake_target", "ipv4:" + intake_->target() + "," + second_intake.target()});
  ASSERT_TRUE(spreading.Start());
  auto stub = v1::ScreeningService::NewStub(
      grpc::CreateChannel(spreading.target(), grpc::InsecureChannelCredentials()));
  SetStoryRiskAreas();
  const int kCalls = 20;
  for (int i = 0; i < kCalls; ++i) {
    v1::ScreenArrivalRequest req;
    req.set_request_id(absl::StrCat("spread-", i));
    *req.add_people() = Person(absl::StrCat("spread-", i, "-a"),
                               absl::StrFormat("43110219900101%03d", i), "431102", 2);
    v1::ScreenArrivalResponse out;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + worker_);
    ASSERT_TRUE(stub->ScreenArrival(&ctx, req, &out).ok()) << i;
  }
  auto recorded = [](const ServerProcess& intake) {
    auto text = gridbridge::testing::RunCommand(
        "curl -sf http://127.0.0.1:" + std::to_string(intake.admin_port()) + "/metrics");
    const std::string series =
        "gridbridge_grpc_server_handled_total{code=\"OK\",method=\"/"
        "gridbridge.intake.v1.IntakeService/RecordArrival\"} ";
    auto at = text.out.find(series);
    return at == std::string::npos ? 0 : std::atoi(text.out.c_str() + at + series.size());
  };
  const int first = recorded(*intake_), second = recorded(second_intake);
  EXPECT_EQ(first + second, kCalls) << "one arrival recorded per new person";
  EXPECT_GE(first, kCalls / 4) << "first replica";
  EXPECT_GE(second, kCalls / 4) << "second replica";
}

}  // namespace
}  // namespace gridbridge::screening
