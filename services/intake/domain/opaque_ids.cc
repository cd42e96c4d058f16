#include "opaque_ids.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>

#include "absl/strings/escaping.h"

namespace gridbridge::intake {

struct OpaqueIds::Keyed {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;  // HMAC-SHA256 with the key absorbed; copied per id
  ~Keyed() {
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

OpaqueIds::OpaqueIds(std::string key) : keyed_(std::make_unique<Keyed>()) {
  keyed_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (keyed_->mac != nullptr) keyed_->keyed = EVP_MAC_CTX_new(keyed_->mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (keyed_->keyed == nullptr ||
      EVP_MAC_init(keyed_->keyed, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    throw std::runtime_error("OpenSSL has no HMAC-SHA256");  // a broken install: not recoverable
  }
}

OpaqueIds::~OpaqueIds() = default;

std::string OpaqueIds::Mac(const std::string& domain, const std::string& value) const {
  std::string message = domain + ":" + value;
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_->keyed);
  const bool ok = ctx != nullptr &&
                  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size()) == 1 &&
                  EVP_MAC_final(ctx, out, &len, sizeof out) == 1 && len >= 12;
  EVP_MAC_CTX_free(ctx);
  if (!ok) throw std::runtime_error("HMAC-SHA256 failed");  // out of memory: not recoverable
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(out), 12));
}

std::string OpaqueIds::ResidentId(const std::string& id_card_number) const {
  return "r" + Mac("resident", id_card_number);
}

std::string OpaqueIds::VehicleId(const std::string& plate) const {
  return "v" + Mac("vehicle", plate);
}

}  // namespace gridbridge::intake
