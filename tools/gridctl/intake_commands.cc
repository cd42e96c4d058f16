#include "intake_commands.h"

#include "gridbridge/intake/v1/intake_service.grpc.pb.h"
#include "rpc_table.h"

namespace gridbridge::gridctl {
namespace {

using Table = RpcTable<intake::v1::IntakeService>;
using Stub = Table::Stub;

const Table& Intake() {
  static const Table table("intake",
                           {
                               {"register-resident", Table::Bind(&Stub::RegisterResident)},
                               {"record-arrival", Table::Bind(&Stub::RecordArrival)},
                               {"record-health-status", Table::Bind(&Stub::RecordHealthStatus)},
                               {"record-visit", Table::Bind(&Stub::RecordVisit)},
                               {"request-help", Table::Bind(&Stub::RequestHelp)},
                               {"report-dispute-lead", Table::Bind(&Stub::ReportDisputeLead)},
                               {"get-resident", Table::Bind(&Stub::GetResident)},
                               {"list-residents", Table::Bind(&Stub::ListResidents)},
                               {"get-grid-ledger", Table::Bind(&Stub::GetGridLedger)},
                           });
  return table;
}

}  // namespace

const std::vector<std::string>& IntakeRpcNames() {
  static const std::vector<std::string> names = Intake().Names();
  return names;
}

JsonCallResult CallIntake(const std::string& target, const std::string& rpc,
                          const std::string& token, const std::string& request_json,
                          std::chrono::milliseconds timeout) {
  return Intake().Invoke(target, rpc, token, request_json, timeout);
}

}  // namespace gridbridge::gridctl
