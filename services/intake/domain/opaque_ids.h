#pragma once

#include <memory>
#include <string>

namespace gridbridge::intake {

// Opaque, stable ids for personal identifiers: HMAC-SHA256 under a secret
// key, so the same ID-card number always yields the same resident_id, but
// nobody without the key can test a guessed number against an id (the ID
// number space is small enough to enumerate). Thread-safe.
//
// The keyed HMAC state is prepared once and copied per id: OpenSSL 3's
// one-shot HMAC() fetches the digest and re-keys on every call, which cost
// ~40 us per call under concurrent load (it was the largest item in
// RecordArrival's own CPU).
class OpaqueIds {
 public:
  explicit OpaqueIds(std::string key);
  ~OpaqueIds();
  OpaqueIds(const OpaqueIds&) = delete;
  OpaqueIds& operator=(const OpaqueIds&) = delete;

  // "r" + 24 hex characters, from a normalized ID-card number.
  std::string ResidentId(const std::string& id_card_number) const;
  // "v" + 24 hex characters, from a normalized plate.
  std::string VehicleId(const std::string& plate) const;

 private:
  std::string Mac(const std::string& domain, const std::string& value) const;
  struct Keyed;
  std::unique_ptr<Keyed> keyed_;
};

}  // namespace gridbridge::intake
