#include "screening_state.h"

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

absl::StatusOr<std::shared_ptr<const RiskAreaIndex>> RiskAreaCache::Current() {
  auto reply = redis_.Command({"HGET", ScreeningStore::RiskAreasKey(), "v"});
  if (!reply.ok()) return reply.status();
  const long long version = reply->is_nil() ? 0 : std::stoll(reply->str);
  {
    std::lock_guard lock(mu_);
    if (version == version_) return index_;
  }
  auto list = store_.GetRiskAreas();
  if (!list.ok()) return list.status();
  auto index = std::make_shared<const RiskAreaIndex>(list->value, divisions_);
  std::lock_guard lock(mu_);
  if (list->version >= version_) {
    version_ = list->version;
    index_ = index;
  }
  return index;
}

}  // namespace gridbridge::screening
