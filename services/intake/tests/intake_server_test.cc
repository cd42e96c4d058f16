// Intake through gRPC, as a real process against the real broker program
// and a real redis-server; events read back from the topics.
#include <atomic>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "admin_tree.h"
#include "auth.h"
#include "dev_keys.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/intake/v1/intake_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "intake_store.h"
#include "nlohmann/json.hpp"
#include "redis_client.h"
#include "server_process.h"
#include "stack.h"
#include "topic_reader.h"

namespace gridbridge::intake {
namespace {

using google::protobuf::util::TimeUtil;
using gridbridge::testing::Broker;
using gridbridge::testing::RedisServer;
using gridbridge::testing::Subprocess;
using gridbridge::testing::TempDir;

constexpr char kGrid[] = "431102001001g01";       // 枫木山社区第1网格
constexpr char kNeighbour[] = "431102001001g02";  // same community
constexpr char kFarGrid[] = "431102002001g01";    // another street
constexpr char kCommunity[] = "431102001001";
constexpr char kStreet[] = "431102001";
constexpr char kDistrict[] = "431102";

class IntakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/id.key") << "test-resident-id-key-0123456789";
    StartIntake();
    worker_ = Token(common::v1::ROLE_GRID_WORKER, kGrid);
  }

  void StartIntake() {
    ASSERT_TRUE(intake_.Start());
    target_ = intake_.target();
    stub_ = v1::IntakeService::NewStub(
        grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  }

  std::string Token(common::v1::Role role, const std::string& scope) {
    return keys_.Token(role, scope, "tester-" + platform::RoleName(role));
  }

  template <typename Req, typename Resp, typename Method>
  grpc::Status Call(Method method, const std::string& token, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    return ((*stub_).*method)(&ctx, req, resp);
  }

  v1::RegisterResidentRequest Registration(const std::string& request_id,
                                           const std::string& grid = kGrid) {
    v1::RegisterResidentRequest r;
    r.set_request_id(request_id);
    r.set_name("彭某");
    r.set_id_card_number("431102199001011239");
    r.set_phone("13812345678");
    r.mutable_address()->set_estate("枫木山小区");
    r.mutable_address()->set_building("3栋");
    r.set_grid_id(grid);
    return r;
  }

  v1::RecordArrivalRequest Arrival(const std::string& request_id) {
    v1::RecordArrivalRequest a;
    a.set_request_id(request_id);
    a.mutable_person()->set_name("安装工甲");
    a.mutable_person()->set_id_card_number("210102198503150021");
    a.mutable_person()->set_phone("13912345678");
    a.set_origin_division_code("430500");
    auto* place = a.add_visited_places();
    place->set_division_code("430500");
    absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
    place->mutable_date()->set_year(static_cast<int>(today.year()));
    place->mutable_date()->set_month(today.month());
    place->mutable_date()->set_day(today.day());
    *a.mutable_arrival_time() = TimeUtil::GetCurrentTime();
    a.set_travel_mode(v1::TRAVEL_MODE_CAR);
    a.set_vehicle_plate("辽A12345");
    a.set_health_code(v1::HEALTH_CODE_COLOR_GREEN);
    a.mutable_destination()->set_estate("零耐嘉园");
    a.mutable_destination()->set_room("501");
    a.set_grid_id(kGrid);
    a.set_reason("elevator installation");
    return a;
  }

  // Records of `topic` once at least `count` have arrived (or 20 s passed).
  std::vector<testing::TopicRecord> Topic(const std::string& topic, size_t count) {
    std::vector<testing::TopicRecord> records;
    for (int i = 0; i < 100; ++i) {
      records = gridbridge::testing::ReadWholeTopic(broker_.bootstrap(), topic);
      if (records.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return records;
  }

  v1::GridLedger Ledger(const std::string& grid = kGrid) {
    v1::GetGridLedgerRequest req;
    req.set_grid_id(grid);
    v1::GridLedger ledger;
    EXPECT_TRUE(Call(&v1::IntakeService::Stub::GetGridLedger, worker_, req, &ledger).ok());
    return ledger;
  }

  // Writes `count` generated residents (scripts/gen-residents) to `csv`.
  static bool GenerateResidents(int count, const std::string& csv) {
    return gridbridge::testing::RunCommand(
               gridbridge::testing::SourcePath("scripts/gen-residents") + " --count " +
               std::to_string(count) + " > " + csv)
               .status == 0;
  }

  // Residents counted in Redis over every grid of the admin tree.
  long long CountedResidents() {
    platform::RedisClient redis(*platform::RedisOptionsFromAddr(redis_.addr()));
    auto tree = platform::AdminTree::Load(gridbridge::testing::SourcePath("data/admin-tree.json"));
    EXPECT_TRUE(tree.ok());
    if (!tree.ok()) return -1;
    long long counted = 0;
    for (const auto& node : tree->UnitIds()) {
      auto v = redis.Command({"HGET", IntakeStore::Keys(node).Key("counts"), "residents"});
      if (v.ok() && !v->is_nil()) counted += std::stoll(v->str);
    }
    return counted;
  }

  TempDir dir_;
  RedisServer redis_;
  Broker broker_;
  gridbridge::testing::TestKeys keys_{dir_.path()};
  gridbridge::testing::ServerProcess intake_{
      gridbridge::testing::BinaryPath("services/intake/gridbridge-intake"),
      redis_,
      broker_,
      keys_,
      {"--resident_id_key_file", dir_.path() + "/id.key",
       // The least the budget may be, so that every import here runs
       // against it (a request is up to 1,000 rows).
       "--import_rows_in_flight", "1000"}};
  std::unique_ptr<v1::IntakeService::Stub> stub_;
  std::string target_;
  std::string worker_;
};

TEST_F(IntakeServerTest, RegisterPublishesASnapshotWithoutPersonalData) {
  v1::RegisterResidentResponse resp;
  ASSERT_TRUE(
      Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("r1"), &resp).ok());
  EXPECT_TRUE(resp.created());
  EXPECT_EQ(resp.resident().version(), 1);
  EXPECT_EQ(resp.resident().sex(), v1::SEX_MALE);
  auto records = Topic("gridbridge.intake.resident.v1", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, resp.resident().resident_id());
  EXPECT_EQ(gridbridge::testing::HeaderValue(records[0], "ce_type"),
            "gridbridge.intake.v1.ResidentChanged");
  for (const std::string secret : {"彭某", "431102199001011239", "13812345678", "3栋"}) {
    EXPECT_EQ(records[0].value.find(secret), std::string::npos) << secret;
  }
  v1::ResidentChanged event;
  ASSERT_TRUE(event.ParseFromString(records[0].value));
  EXPECT_EQ(event.meta().entity_version(), 1);
  EXPECT_EQ(event.resident().estate(), "枫木山小区");
  EXPECT_EQ(Ledger().residents(), 1);
}

TEST_F(IntakeServerTest, SameRequestIdTwiceAndConcurrentlyYieldsOneResidentAndOneEvent) {
  std::vector<std::thread> threads;
  std::vector<v1::RegisterResidentResponse> responses(8);
  std::vector<grpc::Status> statuses(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("same"),
                         &responses[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(responses[i].SerializeAsString(), responses[0].SerializeAsString());
  }
  v1::RegisterResidentResponse again;
  ASSERT_TRUE(
      Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("same"), &again).ok());
  EXPECT_EQ(again.SerializeAsString(), responses[0].SerializeAsString());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(Topic("gridbridge.intake.resident.v1", 1).size(), 1u);
  EXPECT_EQ(Ledger().residents(), 1);
}

TEST_F(IntakeServerTest, RegisteringAgainUpdatesAndNeverDuplicates) {
  v1::RegisterResidentResponse first, second;
  ASSERT_TRUE(
      Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("a"), &first).ok());
  auto update = Registration("b");
  update.set_phone("13900000000");
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::RegisterResident, worker_, update, &second).ok());
  EXPECT_FALSE(second.created());
  EXPECT_EQ(second.resident().resident_id(), first.resident().resident_id());
  EXPECT_EQ(second.resident().version(), 2);
  EXPECT_EQ(Ledger().residents(), 1);
  auto records = Topic("gridbridge.intake.resident.v1", 2);
  EXPECT_EQ(records.size(), 2u);
}

TEST_F(IntakeServerTest, SamePersonInAnotherGridIsAFailedPrecondition) {
  v1::RegisterResidentResponse resp;
  ASSERT_TRUE(
      Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("a"), &resp).ok());
  grpc::Status s = Call(&v1::IntakeService::Stub::RegisterResident,
                        Token(common::v1::ROLE_COMMUNITY_COMMITTEE, kCommunity),
                        Registration("b", kNeighbour), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find(kGrid), std::string::npos);
}

// The arrival event also says whether the person was registered with it
// and whether screening's checkpoint recorded it (what screening's
// consumer reads first for).
TEST_F(IntakeServerTest, ArrivalRegistersTheUnknownPersonAndHidesThePlateInTheEvent) {
  v1::RecordArrivalResponse resp;
  grpc::Status s = Call(&v1::IntakeService::Stub::RecordArrival, worker_, Arrival("arr-1"), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.resident_created());
  EXPECT_EQ(resp.arrival().vehicle_plate(), "辽A12345");
  auto arrivals = Topic("gridbridge.intake.arrival.v1", 1);
  ASSERT_EQ(arrivals.size(), 1u);
  v1::ArrivalRecorded event;
  ASSERT_TRUE(event.ParseFromString(arrivals[0].value));
  EXPECT_TRUE(event.arrival().vehicle_plate().empty());
  EXPECT_FALSE(event.arrival().vehicle_id().empty());
  EXPECT_TRUE(event.arrival().destination().room().empty());
  EXPECT_EQ(arrivals[0].value.find("辽A12345"), std::string::npos);
  EXPECT_TRUE(event.resident_created()) << "registered with this arrival";
  EXPECT_FALSE(event.screened_at_checkpoint());
  EXPECT_EQ(Topic("gridbridge.intake.resident.v1", 1).size(), 1u);
  v1::GridLedger ledger = Ledger();
  EXPECT_EQ(ledger.residents(), 1);
  EXPECT_EQ(ledger.arrivals_last_14_days(), 1);

  // The same person again, at a checkpoint: known, and the event says both.
  v1::RecordArrivalRequest at_checkpoint = Arrival("arr-2");
  at_checkpoint.set_screened_at_checkpoint(true);
  s = Call(&v1::IntakeService::Stub::RecordArrival, worker_, at_checkpoint, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.resident_created());
  arrivals = Topic("gridbridge.intake.arrival.v1", 2);
  ASSERT_EQ(arrivals.size(), 2u);
  v1::ArrivalRecorded again;
  ASSERT_TRUE(again.ParseFromString(arrivals[1].value));
  EXPECT_EQ(again.arrival().resident_id(), event.arrival().resident_id());
  EXPECT_FALSE(again.resident_created());
  EXPECT_TRUE(again.screened_at_checkpoint());
  EXPECT_EQ(Ledger().residents(), 1);
}

TEST_F(IntakeServerTest, HealthVisitsHelpAndLeadsMoveTheLedger) {
  v1::RegisterResidentResponse reg;
  ASSERT_TRUE(
      Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("r"), &reg).ok());
  const std::string rid = reg.resident().resident_id();

  v1::RecordHealthStatusRequest health;
  health.set_request_id("h");
  health.set_resident_id(rid);
  auto* dose = health.add_doses();
  dose->set_dose_number(1);
  dose->mutable_date()->set_year(2021);
  dose->mutable_date()->set_month(6);
  dose->mutable_date()->set_day(1);
  auto* test = health.add_tests();
  *test->mutable_sample_time() = TimeUtil::GetCurrentTime() - TimeUtil::HoursToDuration(3);
  test->set_result(v1::TEST_RESULT_NEGATIVE);
  *test->mutable_result_time() = TimeUtil::GetCurrentTime() - TimeUtil::HoursToDuration(1);
  v1::RecordHealthStatusResponse health_resp;
  grpc::Status s =
      Call(&v1::IntakeService::Stub::RecordHealthStatus, worker_, health, &health_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(health_resp.resident().version(), 2);

  // An arrival of the same person answers with the health on record (a
  // checkpoint needs no second call).
  v1::RecordArrivalRequest arrival = Arrival("arr-known");
  arrival.mutable_person()->set_id_card_number("431102199001011239");
  v1::RecordArrivalResponse arrival_resp;
  s = Call(&v1::IntakeService::Stub::RecordArrival, worker_, arrival, &arrival_resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(arrival_resp.resident_created());
  ASSERT_EQ(arrival_resp.doses_size(), 1);
  EXPECT_EQ(arrival_resp.latest_test().result(), v1::TEST_RESULT_NEGATIVE);

  v1::RecordVisitRequest visit;
  visit.set_request_id("v");
  visit.set_resident_id(rid);
  visit.set_channel(v1::VISIT_CHANNEL_PHONE);
  visit.set_outcome(v1::VISIT_OUTCOME_REACHED);
  v1::RecordVisitResponse visit_resp;
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::RecordVisit, worker_, visit, &visit_resp).ok());

  v1::RequestHelpRequest help;
  help.set_request_id("help");
  help.set_resident_id(rid);
  help.set_kind(v1::HELP_KIND_SUPPLIES);
  help.set_urgency(v1::URGENCY_HIGH);
  help.set_description("in home isolation, cannot go out to buy food");
  v1::RequestHelpResponse help_resp;
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::RequestHelp, worker_, help, &help_resp).ok());

  v1::ReportDisputeLeadRequest lead;
  lead.set_request_id("lead");
  lead.set_grid_id(kGrid);
  lead.set_source(v1::LEAD_SOURCE_PATROL);
  lead.add_parties()->set_resident_id(rid);
  lead.add_parties()->set_description("street office");
  lead.set_category(v1::DISPUTE_CATEGORY_PUBLIC_FACILITY);
  lead.set_description("residents object to the sampling point");
  v1::ReportDisputeLeadResponse lead_resp;
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::ReportDisputeLead, worker_, lead, &lead_resp).ok());
  lead.set_request_id("lead-2");
  lead.mutable_parties(0)->set_resident_id("rnobody");
  EXPECT_EQ(
      Call(&v1::IntakeService::Stub::ReportDisputeLead, worker_, lead, &lead_resp).error_code(),
      grpc::StatusCode::NOT_FOUND);

  v1::GridLedger ledger = Ledger();
  EXPECT_EQ(ledger.residents(), 1);
  EXPECT_EQ(ledger.vaccinated(), 1);
  EXPECT_EQ(ledger.tested_last_7_days(), 1);
  EXPECT_EQ(ledger.visits_this_week(), 1);
  EXPECT_EQ(ledger.open_help_requests(), 1);
  EXPECT_EQ(ledger.open_dispute_leads(), 1);
  EXPECT_EQ(Topic("gridbridge.intake.health-status.v1", 1).size(), 1u);
  EXPECT_EQ(Topic("gridbridge.intake.visit.v1", 1).size(), 1u);
  EXPECT_EQ(Topic("gridbridge.intake.help-request.v1", 1).size(), 1u);
  EXPECT_EQ(Topic("gridbridge.intake.dispute-lead.v1", 1).size(), 1u);
}

// The full role x RPC matrix is AuthMatrixEveryRoleAgainstEveryRpc; this one
// checks what an allowed read returns to each kind of caller.
TEST_F(IntakeServerTest, AnalystsReadResidentsWithoutPersonalData) {
  v1::RegisterResidentResponse reg;
  ASSERT_TRUE(
      Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("y"), &reg).ok());
  v1::GetResidentRequest get;
  get.set_resident_id(reg.resident().resident_id());
  v1::Resident seen;
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::GetResident,
                   Token(common::v1::ROLE_ANALYST, kDistrict), get, &seen)
                  .ok());
  EXPECT_TRUE(seen.name().empty());
  EXPECT_TRUE(seen.id_card_number().empty());
  EXPECT_TRUE(seen.phone().empty());
  EXPECT_EQ(seen.address().estate(), "枫木山小区");
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::GetResident, worker_, get, &seen).ok());
  EXPECT_EQ(seen.name(), "彭某");
  EXPECT_EQ(Call(&v1::IntakeService::Stub::GetResident,
                 Token(common::v1::ROLE_GRID_WORKER, kFarGrid), get, &seen)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(IntakeServerTest, BadInputIsInvalidArgumentNamingTheField) {
  v1::RegisterResidentResponse resp;
  auto expect = [&](const v1::RegisterResidentRequest& req, const std::string& field) {
    grpc::Status s = Call(&v1::IntakeService::Stub::RegisterResident, worker_, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(s.error_message().rfind(field + ":", 0), 0u) << s.error_message();
  };
  expect(v1::RegisterResidentRequest(), "request_id");
  auto r = Registration("b1");
  r.set_name(std::string(300, 'x'));
  expect(r, "name");
  r = Registration("b2");
  r.set_name("\xff\xfe");  // malformed UTF-8: rejected by the parser, named by the server
  expect(r, "name");
  r = Registration("b3");
  r.set_id_card_number("431102199001011230");
  expect(r, "id_card_number");
  r = Registration("b4");
  r.mutable_address()->set_estate(std::string(100000, 'a'));
  expect(r, "address.estate");
  auto a = Arrival("b5");
  a.mutable_visited_places(0)->mutable_date()->set_year(2031);
  v1::RecordArrivalResponse arr;
  grpc::Status s = Call(&v1::IntakeService::Stub::RecordArrival, worker_, a, &arr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("visited_places[0].date:", 0), 0u) << s.error_message();
  // The server is still there.
  EXPECT_EQ(Ledger().residents(), 0);
}

TEST_F(IntakeServerTest, ListResidentsPagesWithFilters) {
  const char* numbers[] = {"431102199001011239", "210102198503150021", "11010519491231002X",
                           "43052219760612345X", "440305199202291012", "431102200001010020"};
  int i = 0;
  for (const char* number : numbers) {
    auto r = Registration("list-" + std::to_string(i));
    r.set_id_card_number(number);
    if (i % 2 == 0) r.add_tags(v1::RESIDENT_TAG_ELDERLY);
    ++i;
    v1::RegisterResidentResponse resp;
    ASSERT_TRUE(Call(&v1::IntakeService::Stub::RegisterResident, worker_, r, &resp).ok());
  }
  std::set<std::string> seen;
  v1::ListResidentsRequest req;
  req.set_grid_id(kGrid);
  req.mutable_page()->set_page_size(2);
  for (int page = 0; page < 10; ++page) {
    v1::ListResidentsResponse resp;
    ASSERT_TRUE(Call(&v1::IntakeService::Stub::ListResidents, worker_, req, &resp).ok());
    for (const auto& r : resp.residents()) EXPECT_TRUE(seen.insert(r.resident_id()).second);
    if (resp.page().next_page_token().empty()) break;
    req.mutable_page()->set_page_token(resp.page().next_page_token());
  }
  EXPECT_EQ(seen.size(), 6u);
  v1::ListResidentsRequest filtered;
  filtered.set_grid_id(kGrid);
  filtered.add_tags(v1::RESIDENT_TAG_ELDERLY);
  v1::ListResidentsResponse elderly;
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::ListResidents, worker_, filtered, &elderly).ok());
  EXPECT_EQ(elderly.residents_size(), 3);
  filtered.mutable_page()->set_page_token("garbage!");
  EXPECT_EQ(Call(&v1::IntakeService::Stub::ListResidents, worker_, filtered, &elderly).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Every role against every RPC, inside and outside its scope.
TEST_F(IntakeServerTest, AuthMatrixEveryRoleAgainstEveryRpc) {
  v1::RegisterResidentResponse seed;
  ASSERT_TRUE(
      Call(&v1::IntakeService::Stub::RegisterResident, worker_, Registration("seed"), &seed).ok());
  const std::string rid = seed.resident().resident_id();
  int n = 0;
  auto id = [&] { return "m-" + std::to_string(n++); };
  using Rpc = std::function<grpc::StatusCode(const std::string& token)>;
  const std::vector<std::pair<std::string, Rpc>> writes = {
      {"RegisterResident",
       [&](const std::string& t) {
         v1::RegisterResidentResponse r;
         return Call(&v1::IntakeService::Stub::RegisterResident, t, Registration(id()), &r)
             .error_code();
       }},
      {"RecordArrival",
       [&](const std::string& t) {
         auto a = Arrival(id());
         v1::RecordArrivalResponse r;
         return Call(&v1::IntakeService::Stub::RecordArrival, t, a, &r).error_code();
       }},
      {"RecordHealthStatus",
       [&](const std::string& t) {
         v1::RecordHealthStatusRequest h;
         h.set_request_id(id());
         h.set_resident_id(rid);
         auto* d = h.add_doses();
         d->set_dose_number(1);
         d->mutable_date()->set_year(2021);
         d->mutable_date()->set_month(3);
         d->mutable_date()->set_day(1);
         v1::RecordHealthStatusResponse r;
         return Call(&v1::IntakeService::Stub::RecordHealthStatus, t, h, &r).error_code();
       }},
      {"RecordVisit",
       [&](const std::string& t) {
         v1::RecordVisitRequest v;
         v.set_request_id(id());
         v.set_resident_id(rid);
         v.set_channel(v1::VISIT_CHANNEL_WECHAT_GROUP);
         v.set_outcome(v1::VISIT_OUTCOME_REACHED);
         v1::RecordVisitResponse r;
         return Call(&v1::IntakeService::Stub::RecordVisit, t, v, &r).error_code();
       }},
      {"RequestHelp",
       [&](const std::string& t) {
         v1::RequestHelpRequest h;
         h.set_request_id(id());
         h.set_resident_id(rid);
         h.set_kind(v1::HELP_KIND_MEDICINE);
         h.set_urgency(v1::URGENCY_NORMAL);
         h.set_description("blood pressure medicine");
         v1::RequestHelpResponse r;
         return Call(&v1::IntakeService::Stub::RequestHelp, t, h, &r).error_code();
       }},
      {"ReportDisputeLead",
       [&](const std::string& t) {
         v1::ReportDisputeLeadRequest l;
         l.set_request_id(id());
         l.set_grid_id(kGrid);
         l.set_source(v1::LEAD_SOURCE_HOTLINE);
         l.add_parties()->set_description("two neighbours");
         l.set_category(v1::DISPUTE_CATEGORY_NEIGHBOURHOOD);
         l.set_description("noise at night");
         v1::ReportDisputeLeadResponse r;
         return Call(&v1::IntakeService::Stub::ReportDisputeLead, t, l, &r).error_code();
       }},
      {"BulkImport",
       [&](const std::string& t) {
         grpc::ClientContext ctx;
         ctx.AddMetadata("authorization", "Bearer " + t);
         auto stream = stub_->BulkImport(&ctx);
         v1::BulkImportRequest req;
         auto* row = req.add_rows();
         row->set_row_number(1);
         *row->mutable_resident() = Registration(id());
         stream->Write(req);
         stream->WritesDone();
         v1::BulkImportResponse resp;
         std::string row_code;
         while (stream->Read(&resp)) {
           for (const auto& r : resp.results()) row_code = r.accepted() ? "OK" : r.error_code();
         }
         grpc::Status s = stream->Finish();
         if (!s.ok()) return s.error_code();
         return row_code == "OK"                  ? grpc::StatusCode::OK
                : row_code == "PERMISSION_DENIED" ? grpc::StatusCode::PERMISSION_DENIED
                                                  : grpc::StatusCode::UNKNOWN;
       }},
  };
  const std::vector<std::pair<std::string, Rpc>> reads = {
      {"GetResident",
       [&](const std::string& t) {
         v1::GetResidentRequest g;
         g.set_resident_id(rid);
         v1::Resident r;
         return Call(&v1::IntakeService::Stub::GetResident, t, g, &r).error_code();
       }},
      {"ListResidents",
       [&](const std::string& t) {
         v1::ListResidentsRequest l;
         l.set_grid_id(kGrid);
         v1::ListResidentsResponse r;
         return Call(&v1::IntakeService::Stub::ListResidents, t, l, &r).error_code();
       }},
      {"GetGridLedger",
       [&](const std::string& t) {
         v1::GetGridLedgerRequest g;
         g.set_grid_id(kGrid);
         v1::GridLedger r;
         return Call(&v1::IntakeService::Stub::GetGridLedger, t, g, &r).error_code();
       }},
  };
  struct Case {
    common::v1::Role role;
    std::string scope;
    grpc::StatusCode write, read;
  } cases[] = {
      {common::v1::ROLE_GRID_WORKER, kGrid, grpc::OK, grpc::OK},
      {common::v1::ROLE_GRID_WORKER, kNeighbour, grpc::PERMISSION_DENIED, grpc::PERMISSION_DENIED},
      // A grid worker may not hold a district-wide scope.
      {common::v1::ROLE_GRID_WORKER, kDistrict, grpc::PERMISSION_DENIED, grpc::PERMISSION_DENIED},
      {common::v1::ROLE_COMMUNITY_COMMITTEE, kCommunity, grpc::OK, grpc::OK},
      {common::v1::ROLE_COMMUNITY_COMMITTEE, "431102001002", grpc::PERMISSION_DENIED,
       grpc::PERMISSION_DENIED},
      {common::v1::ROLE_STREET_OFFICE, kStreet, grpc::OK, grpc::OK},
      {common::v1::ROLE_STREET_OFFICE, "431102002", grpc::PERMISSION_DENIED,
       grpc::PERMISSION_DENIED},
      {common::v1::ROLE_DISTRICT_ADMIN, kDistrict, grpc::OK, grpc::OK},
      {common::v1::ROLE_DISTRICT_ADMIN, "431129", grpc::PERMISSION_DENIED, grpc::PERMISSION_DENIED},
      {common::v1::ROLE_PARTNER_SYSTEM, kDistrict, grpc::OK, grpc::OK},
      {common::v1::ROLE_PARTNER_SYSTEM, "431129", grpc::PERMISSION_DENIED, grpc::PERMISSION_DENIED},
      {common::v1::ROLE_ANALYST, kDistrict, grpc::PERMISSION_DENIED, grpc::OK},
      {common::v1::ROLE_ANALYST, "431129", grpc::PERMISSION_DENIED, grpc::PERMISSION_DENIED},
  };
  for (const auto& c : cases) {
    const std::string token = Token(c.role, c.scope);
    const std::string who = platform::RoleName(c.role) + "@" + c.scope;
    for (const auto& [name, rpc] : writes) EXPECT_EQ(rpc(token), c.write) << who << " " << name;
    for (const auto& [name, rpc] : reads) EXPECT_EQ(rpc(token), c.read) << who << " " << name;
  }
  for (const auto& [name, rpc] : writes)
    EXPECT_EQ(rpc(""), grpc::StatusCode::UNAUTHENTICATED) << name;
  for (const auto& [name, rpc] : reads)
    EXPECT_EQ(rpc(""), grpc::StatusCode::UNAUTHENTICATED) << name;
}

v1::BulkImportRow Row(int64_t n, const std::string& request_id, const std::string& card,
                      const std::string& grid = kGrid) {
  v1::BulkImportRow row;
  row.set_row_number(n);
  auto* r = row.mutable_resident();
  r->set_request_id(request_id);
  r->set_name("居民" + std::to_string(n));
  r->set_id_card_number(card);
  r->set_phone("13812345678");
  r->mutable_address()->set_estate("枫木山小区");
  r->set_grid_id(grid);
  return row;
}

TEST_F(IntakeServerTest, BulkImportAnswersEveryRowAndOneBadRowNeverStopsTheRest) {
  v1::BulkImportRequest first;
  *first.add_rows() = Row(1, "imp-1", "431102199001011239");  // ok
  *first.add_rows() = Row(2, "imp-2", "431102199001011230");  // check digit
  auto bad_phone = Row(3, "imp-3", "210102198503150021");
  bad_phone.mutable_resident()->set_phone("12345");
  *first.add_rows() = bad_phone;                                                 // phone
  *first.add_rows() = Row(4, "imp-4", "11010519491231002X", kFarGrid);           // out of scope
  *first.add_rows() = Row(5, "imp-5", "43052219760612345X", "431102999999g99");  // unknown grid
  *first.add_rows() = Row(6, "imp-6", "440305199202291012");                     // ok
  *first.add_rows() = Row(7, "imp-7", "431102199001011239");  // row 1's person again
  auto bad_tag = Row(8, "imp-8", "431102200001010020");
  bad_tag.mutable_resident()->add_tags(static_cast<v1::ResidentTag>(42));
  *first.add_rows() = bad_tag;  // tag
  v1::BulkImportRequest second;
  *second.add_rows() = Row(9, "imp-1", "431102199001011239");  // repeat of row 1

  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + worker_);
  auto stream = stub_->BulkImport(&ctx);
  ASSERT_TRUE(stream->Write(first));
  ASSERT_TRUE(stream->Write(second));
  stream->WritesDone();
  std::map<int64_t, v1::BulkImportRowResult> results;
  v1::BulkImportResponse response;
  int responses = 0;
  while (stream->Read(&response)) {
    ++responses;
    for (const auto& r : response.results()) results[r.row_number()] = r;
  }
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(responses, 2);
  ASSERT_EQ(results.size(), 9u);
  auto rejected = [&](int64_t row, const std::string& code, const std::string& field) {
    EXPECT_FALSE(results[row].accepted()) << row;
    EXPECT_EQ(results[row].error_code(), code) << row;
    EXPECT_NE(results[row].error_message().find(field), std::string::npos)
        << row << ": " << results[row].error_message();
  };
  EXPECT_TRUE(results[1].accepted());
  EXPECT_TRUE(results[1].created());
  rejected(2, "INVALID_ARGUMENT", "id_card_number");
  rejected(3, "INVALID_ARGUMENT", "phone");
  rejected(4, "PERMISSION_DENIED", kFarGrid);
  rejected(5, "NOT_FOUND", "431102999999g99");
  EXPECT_TRUE(results[6].accepted());
  EXPECT_TRUE(results[7].accepted());
  EXPECT_FALSE(results[7].created());
  EXPECT_EQ(results[7].resident_id(), results[1].resident_id());
  rejected(8, "INVALID_ARGUMENT", "tags[0]");
  EXPECT_TRUE(results[9].accepted());
  EXPECT_FALSE(results[9].created());
  EXPECT_EQ(results[9].resident_id(), results[1].resident_id());
  EXPECT_EQ(Ledger().residents(), 2);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // Row 1, row 6, and row 7's update of row 1's person; the repeat adds nothing.
  EXPECT_EQ(Topic("gridbridge.intake.resident.v1", 3).size(), 3u);
}

// A valid ID-card number (GB 11643 check digit) for person `i` < 28,000.
std::string TestIdCard(int i) {
  const std::string body =
      absl::StrFormat("4311021990%02d%02d%03d", 1 + i / 28000 % 12, 1 + i / 1000 % 28, i % 1000);
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int k = 0; k < 17; ++k) sum += (body[k] - '0') * kWeights[k];
  return body + "10X98765432"[sum % 11];
}

// A request over 1,000 rows ends the stream with INVALID_ARGUMENT naming
// `rows`; the rows read before it are still committed and answered (the
// same path a stream takes when it finds no room in the import budget).
TEST_F(IntakeServerTest, AnOversizedImportRequestEndsTheStreamAfterAnsweringWhatCameBefore) {
  v1::BulkImportRequest first;
  *first.add_rows() = Row(1, "big-1", TestIdCard(1));
  *first.add_rows() = Row(2, "big-2", TestIdCard(2));
  v1::BulkImportRequest oversized;
  for (int i = 0; i < 1001; ++i) *oversized.add_rows() = Row(3 + i, "big-x", TestIdCard(3 + i));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + worker_);
  auto stream = stub_->BulkImport(&ctx);
  ASSERT_TRUE(stream->Write(first));
  stream->Write(oversized);  // may fail: the server ends the stream
  stream->WritesDone();
  std::map<int64_t, v1::BulkImportRowResult> results;
  v1::BulkImportResponse response;
  while (stream->Read(&response)) {
    for (const auto& r : response.results()) results[r.row_number()] = r;
  }
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "rows: at most 1000 per request");
  ASSERT_EQ(results.size(), 2u) << "the first request's rows, and none of the oversized one";
  EXPECT_TRUE(results[1].accepted());
  EXPECT_TRUE(results[2].accepted());
  EXPECT_EQ(Ledger().residents(), 2);
}

// BulkImport plans a batch while the one before it commits: a person
// changed by both must end up as the later row says.
TEST_F(IntakeServerTest, BulkImportAppliesTheRowsOfOnePersonInFileOrderAcrossBatches) {
  const std::string person = TestIdCard(9000);
  // 6,000 rows: more than one batch (kImportBatchRows) whatever the timing.
  std::vector<v1::BulkImportRequest> requests(6);
  int64_t n = 0;
  auto next_row = [&](const std::string& card) {
    ++n;
    return Row(n, absl::StrCat("order-", n), card);
  };
  for (int r = 0; r < 6; ++r) {
    for (int k = 0; k < 999; ++k) *requests[r].add_rows() = next_row(TestIdCard(r * 1000 + k));
    auto again = next_row(person);
    again.mutable_resident()->set_phone(absl::StrCat("1380000000", r));
    *requests[r].add_rows() = again;
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + worker_);
  auto stream = stub_->BulkImport(&ctx);
  for (const auto& request : requests) ASSERT_TRUE(stream->Write(request));
  stream->WritesDone();
  v1::BulkImportResponse response;
  std::string resident_id;
  int accepted = 0;
  while (stream->Read(&response)) {
    for (const auto& r : response.results()) {
      accepted += r.accepted();
      if (r.row_number() == 1000) resident_id = r.resident_id();
    }
  }
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(accepted, 6000);
  v1::GetResidentRequest get;
  get.set_resident_id(resident_id);
  v1::Resident seen;
  ASSERT_TRUE(Call(&v1::IntakeService::Stub::GetResident, worker_, get, &seen).ok());
  EXPECT_EQ(seen.phone(), "13800000005") << "the last row of the file wins";
  EXPECT_EQ(Ledger().residents(), 5995);
}

// Imports share one budget of rows in flight (here its least, 1,000: one
// request's most): two at once both finish, every row answered, the budget
// never passed, and given back at the end.
TEST_F(IntakeServerTest, ConcurrentImportsShareTheRowBudgetAndBothFinish) {
  const std::string admin = Token(common::v1::ROLE_DISTRICT_ADMIN, kDistrict);
  const int kRows = 6000;
  auto metric = [&](const std::string& name) {
    auto text = gridbridge::testing::RunCommand(
        "curl -s http://127.0.0.1:" + std::to_string(intake_.admin_port()) + "/metrics");
    std::istringstream lines(text.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1.0;
  };
  // Two files of different people: the halves of one generated file.
  const std::string all = dir_.path() + "/all.csv";
  ASSERT_TRUE(GenerateResidents(2 * kRows, all));
  std::vector<std::unique_ptr<Subprocess>> imports;
  for (int part : {0, 1}) {
    const std::string csv = dir_.path() + "/part" + std::to_string(part) + ".csv";
    ASSERT_EQ(gridbridge::testing::RunCommand(
                  absl::StrFormat("(head -n 1 %s; tail -n +2 %s | sed -n %d,%dp) > %s", all, all,
                                  part * kRows + 1, (part + 1) * kRows, csv))
                  .status,
              0);
    imports.push_back(std::make_unique<Subprocess>(std::vector<std::string>{
        gridbridge::testing::BinaryPath("tools/gridctl/gridctl"), "intake", "import", csv,
        "--target", target_, "--token", admin, "--report",
        dir_.path() + "/part" + std::to_string(part) + ".jsonl", "--no_progress"}));
  }
  // Watched for as long as the imports run.
  std::atomic<bool> finished{false};
  double most_seen = 0;
  std::thread watcher([&] {
    while (!finished) {
      most_seen = std::max(most_seen, metric("gridbridge_intake_import_rows_in_flight"));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  for (auto& import : imports) {
    auto summary_line = import->ReadLine(std::chrono::seconds(120));
    ASSERT_TRUE(summary_line.has_value());
    auto summary = nlohmann::json::parse(*summary_line);
    EXPECT_EQ(summary["accepted"].get<int>(), kRows) << *summary_line;
    EXPECT_EQ(import->Wait(std::chrono::seconds(10)), std::optional<int>(0));
  }
  finished = true;
  watcher.join();
  EXPECT_GT(most_seen, 0) << "the imports were seen holding rows";
  EXPECT_LE(most_seen, 1000);
  EXPECT_EQ(metric("gridbridge_intake_import_rows_in_flight"), 0) << "every lease given back";
}

// A client that stops reading its answers keeps the rows its stream holds;
// once another import waits for room, intake ends the stalled stream (its
// answers unread for 10 s) instead of letting the other one time out.
TEST_F(IntakeServerTest, AnImportThatStopsReadingIsEndedWhenAnotherWaitsForItsRows) {
  const std::string admin = Token(common::v1::ROLE_DISTRICT_ADMIN, kDistrict);
  auto metric = [&](const std::string& series) {
    auto text = gridbridge::testing::RunCommand(
        "curl -s http://127.0.0.1:" + std::to_string(intake_.admin_port()) + "/metrics");
    const std::string name = series + " ";
    auto at = text.out.find("\n" + name);
    return at == std::string::npos ? -1.0 : std::stod(text.out.substr(at + 1 + name.size()));
  };
  auto in_flight = [&] { return metric("gridbridge_intake_import_rows_in_flight"); };
  EXPECT_EQ(metric("gridbridge_intake_import_streams_cut_total"), 0);
  // The stalled client: requests of 1,000 rows with a bad check digit
  // (rejected without Redis: answers come fast and fill the window).
  auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  auto stalled_stub = v1::IntakeService::NewStub(channel);
  grpc::ClientContext stalled_ctx;
  stalled_ctx.AddMetadata("authorization", "Bearer " + admin);
  auto stalled = stalled_stub->BulkImport(&stalled_ctx);
  std::atomic<bool> writer_ended{false};
  std::thread writer([&] {
    v1::BulkImportRequest request;
    for (int i = 0; i < 1000; ++i) *request.add_rows() = Row(i, "stall", "431102199001011230");
    // Blocks once intake stops reading; fails once the stream is ended.
    for (int k = 0; k < 100000 && stalled->Write(request); ++k) {
    }
    writer_ended = true;
  });
  absl::Cleanup stop_writer = [&] {  // on a failed assertion
    if (writer.joinable()) {
      stalled_ctx.TryCancel();
      writer.join();
    }
  };
  // Stalled: the stream holds the whole budget and lets none of it go.
  bool held = false;
  for (int i = 0; i < 300 && !held; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (in_flight() == 1000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      held = in_flight() == 1000;
    }
  }
  ASSERT_TRUE(held) << "the unread answers never blocked the stream";

  const std::string csv = dir_.path() + "/residents.csv";
  ASSERT_TRUE(GenerateResidents(3000, csv));
  Subprocess other({gridbridge::testing::BinaryPath("tools/gridctl/gridctl"), "intake", "import",
                    csv, "--target", target_, "--token", admin, "--report",
                    dir_.path() + "/report.jsonl", "--no_progress"});
  auto summary_line = other.ReadLine(std::chrono::seconds(60));
  ASSERT_TRUE(summary_line.has_value());
  auto summary = nlohmann::json::parse(*summary_line);
  EXPECT_EQ(summary["accepted"].get<int>(), 3000) << *summary_line;
  EXPECT_EQ(other.Wait(std::chrono::seconds(10)), std::optional<int>(0));

  for (int i = 0; i < 100 && !writer_ended; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(writer_ended) << "the stalled stream was never ended";
  if (!writer_ended) stalled_ctx.TryCancel();
  writer.join();
  v1::BulkImportResponse unread;
  while (stalled->Read(&unread)) {
  }
  grpc::Status status = stalled->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_EQ(in_flight(), 0) << "every lease given back";
  EXPECT_EQ(metric("gridbridge_intake_import_streams_cut_total"), 1);
}

// gridctl sends the rows a failed stream left unanswered again: an import
// running while intake is killed -9 and restarted finishes by itself, every
// row answered once and every person counted once.
TEST_F(IntakeServerTest, AnImportFinishesByItselfAcrossAnIntakeRestart) {
  const std::string csv = dir_.path() + "/residents.csv";
  const std::string report = dir_.path() + "/report.jsonl";
  const int kRows = 10000;
  ASSERT_TRUE(GenerateResidents(kRows, csv));
  // An intake that comes back on the same address, as a pod behind its Service does.
  const std::string address = "127.0.0.1:" + std::to_string(gridbridge::testing::FreeTcpPort());
  gridbridge::testing::ServerProcess pinned(
      gridbridge::testing::BinaryPath("services/intake/gridbridge-intake"), redis_, broker_, keys_,
      {"--resident_id_key_file", dir_.path() + "/id.key", "--grpc_listen", address});
  ASSERT_TRUE(pinned.Start());
  Subprocess import({gridbridge::testing::BinaryPath("tools/gridctl/gridctl"), "intake", "import",
                     csv, "--target", address, "--token",
                     Token(common::v1::ROLE_DISTRICT_ADMIN, kDistrict), "--report", report,
                     "--no_progress"});
  auto answered = [&] {
    return std::atoi(
        gridbridge::testing::RunCommand("wc -l < " + report + " 2>/dev/null").out.c_str());
  };
  for (int i = 0; i < 300 && answered() <= kRows / 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pinned.process().Signal(SIGKILL);
  ASSERT_TRUE(pinned.process().Wait(std::chrono::seconds(10)).has_value());
  const int before_restart = answered();
  ASSERT_LT(before_restart, kRows) << "intake died too late to test anything";
  std::this_thread::sleep_for(std::chrono::seconds(2));  // a retry finds it down
  ASSERT_TRUE(pinned.Start());
  ASSERT_EQ(pinned.target(), address);
  auto summary_line = import.ReadLine(std::chrono::seconds(120));
  ASSERT_TRUE(summary_line.has_value());
  auto summary = nlohmann::json::parse(*summary_line);
  EXPECT_EQ(import.Wait(std::chrono::seconds(10)), std::optional<int>(0)) << *summary_line;
  EXPECT_EQ(summary["accepted"].get<int>(), kRows) << *summary_line;
  EXPECT_GE(summary["attempts"].get<int>(), 2) << "the stream cut and the one that finished";
  EXPECT_EQ(answered(), kRows) << "each row answered once in the report";
  EXPECT_EQ(CountedResidents(), kRows);
}

TEST_F(IntakeServerTest, KillNineDuringBulkImportThenFinishingItLosesAndDoublesNothing) {
  const std::string csv = dir_.path() + "/residents.csv";
  const int kRows = 20000;
  ASSERT_TRUE(GenerateResidents(kRows, csv));
  const std::string admin = Token(common::v1::ROLE_DISTRICT_ADMIN, kDistrict);
  auto import = [&](const std::string& report) {
    return std::vector<std::string>{gridbridge::testing::BinaryPath("tools/gridctl/gridctl"),
                                    "intake",
                                    "import",
                                    csv,
                                    "--target",
                                    target_,
                                    "--token",
                                    admin,
                                    "--report",
                                    report,
                                    "--no_progress"};
  };
  {
    std::vector<std::string> without_retries = import(dir_.path() + "/first.jsonl");
    without_retries.insert(without_retries.end(), {"--retries", "0"});
    Subprocess first(without_retries);
    // Kill intake once part of the file has been answered.
    for (int i = 0; i < 300; ++i) {
      auto lines =
          gridbridge::testing::RunCommand("wc -l < " + dir_.path() + "/first.jsonl 2>/dev/null");
      if (!lines.out.empty() && std::atoi(lines.out.c_str()) > kRows / 4) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    intake_.process().Signal(SIGKILL);
    ASSERT_TRUE(intake_.process().Wait(std::chrono::seconds(10)).has_value());
    auto status = first.Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(*status, 0) << "the interrupted import must report failure";
  }
  auto answered_before = gridbridge::testing::RunCommand("wc -l < " + dir_.path() + "/first.jsonl");
  ::testing::Test::RecordProperty("answered_before_kill", std::atoi(answered_before.out.c_str()));
  EXPECT_LT(std::atoi(answered_before.out.c_str()), kRows)
      << "intake died too late to test anything";

  StartIntake();
  ASSERT_FALSE(target_.empty());
  Subprocess second(import(dir_.path() + "/second.jsonl"));
  auto summary_line = second.ReadLine(std::chrono::seconds(120));
  ASSERT_TRUE(summary_line.has_value());
  auto summary = nlohmann::json::parse(*summary_line);
  EXPECT_EQ(summary["accepted"].get<int>(), kRows) << *summary_line;
  EXPECT_EQ(second.Wait(std::chrono::seconds(10)), std::optional<int>(0));

  // Redis: every grid's resident counter adds up to the file.
  EXPECT_EQ(CountedResidents(), kRows);
  // Kafka: after dedupe on ce_id, exactly one creation event per person.
  std::map<std::string, std::set<std::string>> events_by_resident;
  size_t records = 0;
  for (int i = 0; i < 100; ++i) {
    auto all =
        gridbridge::testing::ReadWholeTopic(broker_.bootstrap(), "gridbridge.intake.resident.v1");
    records = all.size();
    events_by_resident.clear();
    for (const auto& r : all)
      events_by_resident[r.key].insert(gridbridge::testing::HeaderValue(r, "ce_id"));
    if (events_by_resident.size() >= static_cast<size_t>(kRows)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(events_by_resident.size(), static_cast<size_t>(kRows));
  size_t more_than_one = 0;
  for (const auto& [rid, ids] : events_by_resident) more_than_one += ids.size() != 1;
  EXPECT_EQ(more_than_one, 0u) << "a person registered twice";
  ::testing::Test::RecordProperty("duplicate_records", static_cast<int>(records - kRows));
}

}  // namespace
}  // namespace gridbridge::intake
