#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gridbridge/intake/v1/events.pb.h"
#include "gridbridge/intake/v1/intake_service.pb.h"

namespace gridbridge::bench {

// The i-th registration of a load (gridbench's imports, gridmicro's rows): a
// distinct valid ID-card number of `family` (see IdCardNumber), request id
// "<run>-r-<i>", spread over `grids`.
intake::v1::RegisterResidentRequest RegistrationRow(long long i, int family, const std::string& run,
                                                    const std::vector<std::string>& grids);

// The i-th arrival event of a load as intake publishes it (gridbench
// screening's events, gridmicro's batches): arrival "<run>-e<i>" of person
// "<run>-p<i>" by train from Shenzhen with a green code an hour before
// `now`, having visited `visited` (a division code) three days before;
// spread over `grids`; its meta by `subject`; flagged resident_created
// (person i is new, as intake would say).
intake::v1::ArrivalRecorded ArrivalRow(long long i, const std::string& run,
                                       const std::vector<std::string>& grids,
                                       const std::string& visited, const std::string& subject,
                                       absl::Time now);

}  // namespace gridbridge::bench
