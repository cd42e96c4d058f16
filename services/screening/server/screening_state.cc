#include "screening_state.h"

#include "absl/strings/numbers.h"
#include "policy.h"

namespace gridbridge::screening {

absl::Status PolicyHolder::Reload(std::string_view text) {
  auto policy = LoadPolicy(text);
  if (!policy.ok()) return policy.status();
  auto next = std::make_shared<const v1::Policy>(std::move(*policy));
  std::lock_guard lock(mu_);
  current_ = std::move(next);
  return absl::OkStatus();
}

platform::RedisArgs RiskAreaCache::VersionRead() {
  return {"HGET", ScreeningStore::RiskAreasKey(), "v"};
}

absl::StatusOr<long long> RiskAreaCache::VersionOf(const platform::RedisReply& reply) {
  if (reply.is_nil()) return 0;
  long long version = 0;
  if (reply.type != platform::RedisReply::Type::kString || !absl::SimpleAtoi(reply.str, &version)) {
    return absl::InternalError("risk-area list version: unexpected reply " + reply.str);
  }
  return version;
}

absl::StatusOr<std::shared_ptr<const RiskAreaIndex>> RiskAreaCache::Current() {
  auto reply = redis_.Command(VersionRead());
  if (!reply.ok()) return reply.status();
  auto version_read = VersionOf(*reply);
  if (!version_read.ok()) return version_read.status();
  const long long version = *version_read;
  {
    std::lock_guard lock(mu_);
    if (version == version_) {
      confirmed_ = std::chrono::steady_clock::now();
      return index_;
    }
  }
  auto list = store_.GetRiskAreas();
  if (!list.ok()) return list.status();
  auto index = std::make_shared<const RiskAreaIndex>(list->value, divisions_);
  std::lock_guard lock(mu_);
  if (list->version >= version_) {
    version_ = list->version;
    index_ = index;
    confirmed_ = std::chrono::steady_clock::now();
  }
  return index;
}

absl::StatusOr<std::shared_ptr<const RiskAreaIndex>> RiskAreaCache::Recent(absl::Duration max_age) {
  {
    std::lock_guard lock(mu_);
    if (index_ != nullptr &&
        std::chrono::steady_clock::now() - confirmed_ <= absl::ToChronoNanoseconds(max_age)) {
      return index_;
    }
  }
  return Current();
}

void RiskAreaCache::Observe(long long version) {
  std::lock_guard lock(mu_);
  if (version == version_) {
    confirmed_ = std::chrono::steady_clock::now();
  } else if (version > version_) {
    confirmed_ = {};
  }
}

}  // namespace gridbridge::screening
