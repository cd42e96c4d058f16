#include "redis_keys.h"

#include <cstdint>
#include <initializer_list>

namespace gridbridge::platform {

namespace {

// The pieces joined, in one allocation (keys are built for every record a
// transaction touches).
std::string Join(std::initializer_list<std::string_view> pieces) {
  size_t size = 0;
  for (std::string_view p : pieces) size += p.size();
  std::string out;
  out.reserve(size);
  for (std::string_view p : pieces) out.append(p);
  return out;
}

}  // namespace

GridKeys::GridKeys(std::string_view service, std::string_view grid_id)
    : prefix_(Join({"{grid:", grid_id, "}:", service, ":"})),
      tag_(std::string_view(prefix_).substr(0, grid_id.size() + 7)) {}

std::string GridKeys::Key(std::string_view kind) const { return Join({prefix_, kind}); }

std::string GridKeys::Key(std::string_view kind, std::string_view id) const {
  return Join({prefix_, kind, ":", id});
}

std::string_view HashTagOf(std::string_view key) {
  auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int ClusterSlot(std::string_view key) {
  std::string_view tag = HashTagOf(key);
  uint16_t crc = 0;
  for (unsigned char byte : tag) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc % 16384;
}

}  // namespace gridbridge::platform
