#include "redis_keys.h"

#include <cstdint>

namespace gridbridge::platform {

GridKeys::GridKeys(std::string_view service, std::string_view grid_id)
    : tag_("{grid:" + std::string(grid_id) + "}") {
  prefix_ = tag_ + ":" + std::string(service) + ":";
}

std::string GridKeys::Key(std::string_view kind) const { return prefix_ + std::string(kind); }

std::string GridKeys::Key(std::string_view kind, std::string_view id) const {
  return prefix_ + std::string(kind) + ":" + std::string(id);
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
