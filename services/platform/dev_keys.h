#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace gridbridge::platform {

struct PemKeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

// A fresh RSA key pair for development and tests (the local stack's signing
// key, test tokens). Production keys come from the secret store instead.
absl::StatusOr<PemKeyPair> GenerateRsaKeyPair(int bits = 2048);

}  // namespace gridbridge::platform
