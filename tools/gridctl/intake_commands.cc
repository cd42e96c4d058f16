#include "intake_commands.h"

#include <functional>
#include <map>

#include "gridbridge/intake/v1/intake_service.grpc.pb.h"

namespace gridbridge::gridctl {
namespace {

using Stub = intake::v1::IntakeService::Stub;
using Call = std::function<JsonCallResult(Stub&, const std::string&, const std::string&,
                                          std::chrono::milliseconds)>;

template <typename Req, typename Resp>
Call Bind(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*)) {
  return [method](Stub& stub, const std::string& token, const std::string& json,
                  std::chrono::milliseconds timeout) {
    return CallWithJson(stub, method, token, json, timeout);
  };
}

const std::map<std::string, Call>& Calls() {
  static const std::map<std::string, Call> calls = {
      {"register-resident", Bind(&Stub::RegisterResident)},
      {"record-arrival", Bind(&Stub::RecordArrival)},
      {"record-health-status", Bind(&Stub::RecordHealthStatus)},
      {"record-visit", Bind(&Stub::RecordVisit)},
      {"request-help", Bind(&Stub::RequestHelp)},
      {"report-dispute-lead", Bind(&Stub::ReportDisputeLead)},
      {"get-resident", Bind(&Stub::GetResident)},
      {"list-residents", Bind(&Stub::ListResidents)},
      {"get-grid-ledger", Bind(&Stub::GetGridLedger)},
  };
  return calls;
}

}  // namespace

const std::vector<std::string>& IntakeRpcNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, call] : Calls()) out.push_back(name);
    return out;
  }();
  return names;
}

JsonCallResult CallIntake(const std::string& target, const std::string& rpc,
                          const std::string& token, const std::string& request_json,
                          std::chrono::milliseconds timeout) {
  auto it = Calls().find(rpc);
  if (it == Calls().end()) {
    return {nlohmann::json{
                {"error", {{"code", "INVALID_ARGUMENT"}, {"message", "unknown intake rpc " + rpc}}}}
                .dump(),
            2};
  }
  auto stub = intake::v1::IntakeService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  return it->second(*stub, token, request_json, timeout);
}

}  // namespace gridbridge::gridctl
