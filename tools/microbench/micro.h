#pragma once

#include <atomic>

namespace gridbridge::micro {

// Items (decisions, rows) handled inside Measured(): callgrind's count of
// that function's instructions over this is the cost per item.
extern std::atomic<long long> measured_items;

}  // namespace gridbridge::micro
