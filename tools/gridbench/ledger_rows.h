#pragma once

#include <string>
#include <vector>

#include "gridbridge/intake/v1/intake_service.pb.h"

namespace gridbridge::bench {

// The i-th registration of a load (gridbench's imports, gridmicro's rows): a
// distinct valid ID-card number of `family` (see IdCardNumber), request id
// "<run>-r-<i>", spread over `grids`.
intake::v1::RegisterResidentRequest RegistrationRow(long long i, int family, const std::string& run,
                                                    const std::vector<std::string>& grids);

}  // namespace gridbridge::bench
