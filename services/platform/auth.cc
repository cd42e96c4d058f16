#include "auth.h"

#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "jwt/jwt.hpp"

namespace gridbridge::platform {

using common::v1::Role;

namespace {

constexpr std::pair<const char*, Role> kRoleNames[] = {
    {"grid_worker", common::v1::ROLE_GRID_WORKER},
    {"community_committee", common::v1::ROLE_COMMUNITY_COMMITTEE},
    {"street_office", common::v1::ROLE_STREET_OFFICE},
    {"district_admin", common::v1::ROLE_DISTRICT_ADMIN},
    {"partner_system", common::v1::ROLE_PARTNER_SYSTEM},
    {"analyst", common::v1::ROLE_ANALYST},
};

// The levels a role's scope may sit at. Partners and analysts may be scoped
// anywhere (a hospital serving one district, an analyst of one county).
bool ScopeLevelFits(Role role, common::v1::AdminLevel level) {
  using namespace common::v1;
  switch (role) {
    case ROLE_GRID_WORKER:
      return level == ADMIN_LEVEL_GRID || level == ADMIN_LEVEL_VILLAGE ||
             level == ADMIN_LEVEL_VILLAGER_GROUP;
    case ROLE_COMMUNITY_COMMITTEE:
      return level == ADMIN_LEVEL_COMMUNITY || level == ADMIN_LEVEL_VILLAGE;
    case ROLE_STREET_OFFICE:
      return level == ADMIN_LEVEL_STREET || level == ADMIN_LEVEL_TOWN;
    case ROLE_DISTRICT_ADMIN:
      return level == ADMIN_LEVEL_DISTRICT || level == ADMIN_LEVEL_COUNTY;
    case ROLE_PARTNER_SYSTEM:
    case ROLE_ANALYST:
      return true;
    default:
      return false;
  }
}

}  // namespace

common::v1::Actor Caller::ToActor() const {
  common::v1::Actor actor;
  actor.set_subject(subject);
  actor.set_role(role);
  actor.set_scope_id(scope_id);
  return actor;
}

Role RoleFromName(std::string_view name) {
  for (const auto& [n, role] : kRoleNames) {
    if (name == n) return role;
  }
  return common::v1::ROLE_UNSPECIFIED;
}

std::string RoleName(Role role) {
  for (const auto& [n, r] : kRoleNames) {
    if (r == role) return n;
  }
  return "unspecified";
}

struct TokenVerifier::Cache {
  static constexpr size_t kMaxEntries = 10000;
  std::mutex mu;
  std::unordered_map<std::string, Verified> tokens;
};

TokenVerifier::TokenVerifier(std::string public_key_pem, std::string issuer, std::string audience,
                             const Clock& clock)
    : public_key_pem_(std::move(public_key_pem)),
      issuer_(std::move(issuer)),
      audience_(std::move(audience)),
      clock_(clock),
      cache_(std::make_shared<Cache>()) {}

absl::StatusOr<TokenVerifier> TokenVerifier::FromFile(const std::string& path, std::string issuer,
                                                      std::string audience, const Clock& clock) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read JWT public key " + path);
  std::stringstream pem;
  pem << in.rdbuf();
  return TokenVerifier(pem.str(), std::move(issuer), std::move(audience), clock);
}

absl::StatusOr<Caller> TokenVerifier::VerifyBearer(std::string_view authorization) const {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.empty()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  if (authorization.substr(0, kPrefix.size()) != kPrefix) {
    return absl::UnauthenticatedError("authorization metadata must be 'Bearer <token>'");
  }
  return Verify(authorization.substr(kPrefix.size()));
}

absl::StatusOr<Caller> TokenVerifier::Verify(std::string_view token) const {
  std::optional<Verified> verified;
  {
    std::lock_guard lock(cache_->mu);
    auto it = cache_->tokens.find(std::string(token));
    if (it != cache_->tokens.end()) verified = it->second;
  }
  if (!verified) {
    auto fresh = VerifySignature(token);
    if (!fresh.ok()) return fresh.status();
    verified = *fresh;
    std::lock_guard lock(cache_->mu);
    if (cache_->tokens.size() >= Cache::kMaxEntries) cache_->tokens.clear();
    cache_->tokens.emplace(std::string(token), *verified);
  }
  if (verified->expires <= clock_.Now()) return absl::UnauthenticatedError("token expired");
  return verified->caller;
}

absl::StatusOr<TokenVerifier::Verified> TokenVerifier::VerifySignature(
    std::string_view token) const {
  std::error_code ec;
  jwt::jwt_object obj;
  try {
    obj = jwt::decode(jwt::string_view(token.data(), token.size()),
                      jwt::params::algorithms({"RS256"}), ec, jwt::params::secret(public_key_pem_),
                      jwt::params::issuer(issuer_), jwt::params::aud(audience_),
                      jwt::params::verify(true));
  } catch (const std::exception& e) {
    return absl::UnauthenticatedError(std::string("bad token: ") + e.what());
  }
  if (ec) return absl::UnauthenticatedError("bad token: " + ec.message());
  const auto& claims = obj.payload();
  if (!claims.has_claim("exp")) return absl::UnauthenticatedError("token has no exp claim");
  // The library checked exp against the system clock; Verify checks it
  // against ours on every call, so tests with an injected clock see expiry.
  int64_t exp = claims.get_claim_value<int64_t>("exp");
  Caller caller;
  try {
    caller.subject = claims.get_claim_value<std::string>("sub");
    caller.role = RoleFromName(claims.get_claim_value<std::string>("role"));
    caller.scope_id = claims.get_claim_value<std::string>("scope");
  } catch (const std::exception&) {
    return absl::UnauthenticatedError("token lacks string claims sub, role and scope");
  }
  if (caller.subject.empty()) return absl::UnauthenticatedError("token has an empty sub");
  if (caller.role == common::v1::ROLE_UNSPECIFIED) {
    return absl::UnauthenticatedError(
        "token role is not one of grid_worker, community_committee, "
        "street_office, district_admin, partner_system, analyst");
  }
  if (caller.scope_id.empty()) return absl::UnauthenticatedError("token has an empty scope");
  return Verified{caller, absl::FromUnixSeconds(exp)};
}

TokenIssuer::TokenIssuer(std::string private_key_pem, std::string issuer, std::string audience)
    : private_key_pem_(std::move(private_key_pem)),
      issuer_(std::move(issuer)),
      audience_(std::move(audience)) {}

absl::StatusOr<std::string> TokenIssuer::Issue(const Caller& caller, absl::Time now,
                                               absl::Duration ttl) const {
  try {
    jwt::jwt_object obj{jwt::params::algorithm("RS256"), jwt::params::secret(private_key_pem_)};
    obj.add_claim("iss", issuer_)
        .add_claim("aud", audience_)
        .add_claim("sub", caller.subject)
        .add_claim("role", RoleName(caller.role))
        .add_claim("scope", caller.scope_id)
        .add_claim("iat", absl::ToUnixSeconds(now))
        .add_claim("exp", absl::ToUnixSeconds(now + ttl));
    std::error_code ec;
    std::string token = obj.signature(ec);
    if (ec) return absl::InvalidArgumentError("cannot sign token: " + ec.message());
    return token;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string("cannot sign token: ") + e.what());
  }
}

absl::Status Authorizer::CheckGridAccess(const Caller& caller, std::string_view grid_id,
                                         std::string_view field) const {
  if (grid_id.empty()) return absl::InvalidArgumentError(std::string(field) + ": required");
  return CheckAccess(caller, grid_id);
}

absl::Status Authorizer::CheckAccess(const Caller& caller, std::string_view unit_id) const {
  if (tree_.Find(unit_id) == nullptr) {
    return absl::NotFoundError("unknown administrative unit '" + std::string(unit_id) + "'");
  }
  const common::v1::AdminNode* scope = tree_.Find(caller.scope_id);
  if (scope == nullptr) {
    return absl::PermissionDeniedError("token scope '" + caller.scope_id +
                                       "' is not a known administrative unit");
  }
  if (!ScopeLevelFits(caller.role, scope->level())) {
    return absl::PermissionDeniedError("role " + RoleName(caller.role) +
                                       " may not hold a scope at the level of '" + caller.scope_id +
                                       "'");
  }
  if (!tree_.Contains(caller.scope_id, unit_id)) {
    return absl::PermissionDeniedError("'" + std::string(unit_id) + "' is outside scope '" +
                                       caller.scope_id + "' of " + caller.subject);
  }
  return absl::OkStatus();
}

bool Authorizer::MaySeePersonalData(const Caller& caller) {
  return caller.role != common::v1::ROLE_ANALYST && caller.role != common::v1::ROLE_UNSPECIFIED;
}

}  // namespace gridbridge::platform
