#pragma once

#include <string>

namespace gridbridge::intake {

// Opaque, stable ids for personal identifiers: HMAC-SHA256 under a secret
// key, so the same ID-card number always yields the same resident_id, but
// nobody without the key can test a guessed number against an id (the ID
// number space is small enough to enumerate). Thread-safe.
class OpaqueIds {
 public:
  explicit OpaqueIds(std::string key) : key_(std::move(key)) {}
  // "r" + 24 hex characters, from a normalized ID-card number.
  std::string ResidentId(const std::string& id_card_number) const;
  // "v" + 24 hex characters, from a normalized plate.
  std::string VehicleId(const std::string& plate) const;

 private:
  std::string Mac(const std::string& domain, const std::string& value) const;
  std::string key_;
};

}  // namespace gridbridge::intake
