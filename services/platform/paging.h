#pragma once

#include "absl/status/statusor.h"
#include "gridbridge/common/v1/paging.pb.h"

namespace gridbridge::platform {

// The page size a List RPC serves (common.v1.PageRequest): 0 means 50,
// above 1000 is clamped to 1000; negative is INVALID_ARGUMENT naming
// page.page_size.
absl::StatusOr<int> PageSizeOf(const common::v1::PageRequest& page);

}  // namespace gridbridge::platform
