#include "screening_commands.h"

#include "gridbridge/screening/v1/screening_service.grpc.pb.h"
#include "rpc_table.h"

namespace gridbridge::gridctl {
namespace {

using Table = RpcTable<screening::v1::ScreeningService>;
using Stub = Table::Stub;

const Table& Screening() {
  static const Table table("screening",
                           {
                               {"screen-arrival", Table::Bind(&Stub::ScreenArrival)},
                               {"set-risk-areas", Table::Bind(&Stub::SetRiskAreas)},
                               {"get-risk-areas", Table::Bind(&Stub::GetRiskAreas)},
                               {"get-person-status", Table::Bind(&Stub::GetPersonStatus)},
                               {"list-measures", Table::Bind(&Stub::ListMeasures)},
                               {"get-grid-screening", Table::Bind(&Stub::GetGridScreening)},
                               {"change-measure", Table::Bind(&Stub::ChangeMeasure)},
                               {"register-venue", Table::Bind(&Stub::RegisterVenue)},
                               {"scan-venue", Table::Bind(&Stub::ScanVenue)},
                           });
  return table;
}

}  // namespace

const std::vector<std::string>& ScreeningRpcNames() {
  static const std::vector<std::string> names = Screening().Names();
  return names;
}

JsonCallResult CallScreening(const std::string& target, const std::string& rpc,
                             const std::string& token, const std::string& request_json,
                             std::chrono::milliseconds timeout) {
  return Screening().Invoke(target, rpc, token, request_json, timeout);
}

}  // namespace gridbridge::gridctl
