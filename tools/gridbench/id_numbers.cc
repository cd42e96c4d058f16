#include "id_numbers.h"

#include <cstdio>

namespace gridbridge::bench {

std::string IdCardNumber(long long n, int family) {
  // Birth dates 1940..2019 x 12 months x 28 days, 999 sequence numbers each;
  // `family` shifts the year so separate runs do not collide.
  int seq = 1 + static_cast<int>((n < 0 ? -n : n) % 999);
  long long days = n / 999;
  int day = 1 + static_cast<int>(days % 28);
  int month = 1 + static_cast<int>((days / 28) % 12);
  int year = 1940 + static_cast<int>((days / (28 * 12) + family * 7) % 80);
  char body[32];
  std::snprintf(body, sizeof body, "431102%04d%02d%02d%03d", year, month, day, seq);
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (body[i] - '0') * kWeights[i];
  return std::string(body, 17) + "10X98765432"[sum % 11];
}

}  // namespace gridbridge::bench
