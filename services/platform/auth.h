#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "admin_tree.h"
#include "clock.h"
#include "gridbridge/common/v1/actor.pb.h"

namespace gridbridge::platform {

// The verified identity behind a call. Built only by TokenVerifier.
struct Caller {
  std::string subject;
  common::v1::Role role = common::v1::ROLE_UNSPECIFIED;
  std::string scope_id;  // an AdminNode id
  common::v1::Actor ToActor() const;
};

// "grid_worker" <-> ROLE_GRID_WORKER, etc. UNSPECIFIED if unknown.
common::v1::Role RoleFromName(std::string_view name);
std::string RoleName(common::v1::Role role);

// Verifies RS256 bearer tokens with claims iss, aud, sub, role, scope, exp.
// Thread-safe. A signature check costs ~0.5 ms (key decoding in OpenSSL 3),
// so tokens that verified are remembered (up to 10,000, then forgotten all
// at once); a remembered token is still checked for expiry on every call.
class TokenVerifier {
 public:
  // `public_key_pem`: the issuer's RSA public key.
  TokenVerifier(std::string public_key_pem, std::string issuer, std::string audience,
                const Clock& clock);
  static absl::StatusOr<TokenVerifier> FromFile(const std::string& path, std::string issuer,
                                                std::string audience, const Clock& clock);

  // `authorization` is the header value "Bearer <jwt>". UNAUTHENTICATED with
  // the reason (missing, malformed, bad signature, expired, wrong issuer or
  // audience, unknown role, no scope) on any failure.
  absl::StatusOr<Caller> VerifyBearer(std::string_view authorization) const;
  absl::StatusOr<Caller> Verify(std::string_view token) const;

 private:
  struct Verified {
    Caller caller;
    absl::Time expires;
  };
  struct Cache;
  absl::StatusOr<Verified> VerifySignature(std::string_view token) const;

  std::string public_key_pem_;
  std::string issuer_;
  std::string audience_;
  const Clock& clock_;
  std::shared_ptr<Cache> cache_;
};

// Signs tokens; used by gridctl and tests, never by services.
class TokenIssuer {
 public:
  TokenIssuer(std::string private_key_pem, std::string issuer, std::string audience);
  // INVALID_ARGUMENT if the key cannot sign.
  absl::StatusOr<std::string> Issue(const Caller& caller, absl::Time now, absl::Duration ttl) const;

 private:
  std::string private_key_pem_;
  std::string issuer_;
  std::string audience_;
};

// The one question handlers ask: may this caller act on that grid?
// Holds a reference to the tree, which must outlive it. Thread-safe.
class Authorizer {
 public:
  explicit Authorizer(const AdminTree& tree) : tree_(tree) {}

  // OK if `unit_id` (a grid, village or any node) lies in the caller's
  // scope. NOT_FOUND if the unit is unknown; PERMISSION_DENIED if it is out
  // of scope or if the caller's role may not hold a scope at that level
  // (a grid worker scoped to a whole district, say).
  absl::Status CheckAccess(const Caller& caller, std::string_view unit_id) const;
  // A request's grid: INVALID_ARGUMENT "<field>: required" if empty, else
  // CheckAccess.
  absl::Status CheckGridAccess(const Caller& caller, std::string_view grid_id,
                               std::string_view field = "grid_id") const;

  // Analysts see aggregates only; every other role may see the personal
  // data of the units in its scope.
  static bool MaySeePersonalData(const Caller& caller);

 private:
  const AdminTree& tree_;
};

}  // namespace gridbridge::platform
