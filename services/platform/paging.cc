#include "paging.h"

#include <algorithm>

namespace gridbridge::platform {

absl::StatusOr<int> PageSizeOf(const common::v1::PageRequest& page) {
  if (page.page_size() < 0) {
    return absl::InvalidArgumentError("page.page_size: must not be negative");
  }
  return page.page_size() == 0 ? 50 : std::min(page.page_size(), 1000);
}

}  // namespace gridbridge::platform
