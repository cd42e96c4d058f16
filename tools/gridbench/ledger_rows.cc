#include "ledger_rows.h"

#include "id_numbers.h"

namespace gridbridge::bench {

intake::v1::RegisterResidentRequest RegistrationRow(long long i, int family, const std::string& run,
                                                    const std::vector<std::string>& grids) {
  intake::v1::RegisterResidentRequest r;
  r.set_request_id(run + "-r-" + std::to_string(i));
  r.set_name("居民");
  r.set_id_card_number(IdCardNumber(i, family));
  r.set_phone("13800000000");
  r.mutable_address()->set_estate("枫木山小区");
  r.mutable_address()->set_building(std::to_string(i % 30) + "栋");
  r.set_grid_id(grids[i % grids.size()]);
  return r;
}

}  // namespace gridbridge::bench
