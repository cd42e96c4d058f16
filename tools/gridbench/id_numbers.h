#pragma once

#include <string>

namespace gridbridge::bench {

// The n-th of a family of distinct, valid GB 11643 ID-card numbers (region
// 431102), for generating load without collisions. n < 20,000,000.
std::string IdCardNumber(long long n, int family);

}  // namespace gridbridge::bench
