#include "opaque_ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

namespace gridbridge::intake {

std::string OpaqueIds::Mac(const std::string& domain, const std::string& value) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::string message = domain + ":" + value;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  char hex[25];
  for (int i = 0; i < 12; ++i) std::snprintf(hex + 2 * i, 3, "%02x", out[i]);
  return std::string(hex, 24);
}

std::string OpaqueIds::ResidentId(const std::string& id_card_number) const {
  return "r" + Mac("resident", id_card_number);
}

std::string OpaqueIds::VehicleId(const std::string& plate) const {
  return "v" + Mac("vehicle", plate);
}

}  // namespace gridbridge::intake
