#include "intake_store.h"

#include "ledger_rules.h"

namespace gridbridge::intake {

std::string IntakeStore::DirectoryKey(const std::string& resident_id) {
  char shard = resident_id.empty() ? '0' : resident_id.back();
  return std::string("{intake:dir:") + shard + "}:resident-grid";
}

absl::StatusOr<std::optional<std::string>> IntakeStore::FindResidentGrid(
    const std::string& resident_id) {
  if (auto owner = directory_cache_.Find(resident_id)) return owner;
  auto reply = redis_.Command({"HGET", DirectoryKey(resident_id), resident_id});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  directory_cache_.Remember(resident_id, reply->str);
  return std::optional<std::string>(reply->str);
}

absl::StatusOr<IntakeStore::Claim> IntakeStore::ClaimResidentGrid(const std::string& resident_id,
                                                                  const std::string& grid_id) {
  auto claims = ClaimResidentGrids({{resident_id, grid_id}});
  if (!claims.ok()) return claims.status();
  return std::move(claims->front());
}

absl::StatusOr<std::vector<IntakeStore::Claim>> IntakeStore::ClaimResidentGrids(
    const std::vector<std::pair<std::string, std::string>>& claims) {
  std::vector<Claim> out(claims.size());
  std::vector<size_t> asked;  // claims not answered by the cache
  std::vector<platform::RedisArgs> commands;
  for (size_t i = 0; i < claims.size(); ++i) {
    const auto& [rid, grid] = claims[i];
    if (auto owner = directory_cache_.Find(rid)) {
      out[i].owner = std::move(*owner);  // an existing claim: never fresh
      continue;
    }
    asked.push_back(i);
    commands.push_back({"HSETNX", DirectoryKey(rid), rid, grid});
  }
  auto replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  // A claim this call made names the caller's grid; only the people
  // someone had claimed before need a second look (usually none: new
  // people, or known ones the cache answered).
  std::vector<size_t> taken;
  std::vector<platform::RedisArgs> owners;
  for (size_t k = 0; k < asked.size(); ++k) {
    const auto& set = (*replies)[k];
    if (set.is_error()) return absl::InternalError("resident directory: " + set.str);
    const auto& [rid, grid] = claims[asked[k]];
    if (set.integer == 1) {
      out[asked[k]] = {grid, true};
      directory_cache_.Remember(rid, grid);
    } else {
      taken.push_back(asked[k]);
      owners.push_back({"HGET", DirectoryKey(rid), rid});
    }
  }
  if (taken.empty()) return out;
  auto found = redis_.Pipeline(owners);
  if (!found.ok()) return found.status();
  for (size_t k = 0; k < taken.size(); ++k) {
    const auto& get = (*found)[k];
    if (get.is_error() || get.is_nil())
      return absl::InternalError("resident directory: " + get.str);
    out[taken[k]] = {get.str, false};
    directory_cache_.Remember(claims[taken[k]].first, get.str);
  }
  return out;
}

absl::StatusOr<std::vector<std::optional<v1::Resident>>> IntakeStore::GetResidents(
    const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<platform::RedisArgs> gets;
  for (const auto& [grid, rid] : keys) gets.push_back({"HGET", ResidentKey(grid, rid), "p"});
  auto replies = redis_.Pipeline(gets);
  if (!replies.ok()) return replies.status();
  std::vector<std::optional<v1::Resident>> out;
  out.reserve(replies->size());
  for (const auto& reply : *replies) {
    if (reply.is_nil()) {
      out.emplace_back();
      continue;
    }
    v1::Resident r;
    if (!r.ParseFromString(reply.str))
      return absl::DataLossError("a stored resident does not parse");
    out.emplace_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::optional<v1::Resident>> IntakeStore::GetResident(
    const std::string& grid_id, const std::string& resident_id) {
  auto reply = redis_.Command({"HGET", ResidentKey(grid_id, resident_id), "p"});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<v1::Resident>();
  v1::Resident r;
  if (!r.ParseFromString(reply->str)) {
    return absl::DataLossError("stored resident " + resident_id + " does not parse");
  }
  return std::optional<v1::Resident>(std::move(r));
}

absl::StatusOr<std::vector<v1::Resident>> IntakeStore::ListResidents(const std::string& grid_id,
                                                                     const std::string& after,
                                                                     int limit) {
  auto ids =
      redis_.Command({"ZRANGEBYLEX", Keys(grid_id).Key("residents"),
                      after.empty() ? "-" : "(" + after, "+", "LIMIT", "0", std::to_string(limit)});
  if (!ids.ok()) return ids.status();
  std::vector<platform::RedisArgs> gets;
  for (const auto& id : ids->elements) gets.push_back({"HGET", ResidentKey(grid_id, id.str), "p"});
  auto payloads = redis_.Pipeline(gets);
  if (!payloads.ok()) return payloads.status();
  std::vector<v1::Resident> out;
  out.reserve(payloads->size());
  for (const auto& p : *payloads) {
    if (p.is_nil()) continue;
    v1::Resident r;
    if (!r.ParseFromString(p.str)) return absl::DataLossError("a stored resident does not parse");
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<v1::GridLedger> IntakeStore::GetLedger(const std::string& grid_id, absl::Time now) {
  platform::GridKeys k = Keys(grid_id);
  const long long secs = absl::ToUnixSeconds(now);
  auto replies = redis_.Pipeline({
      {"HGETALL", k.Key("counts")},
      {"ZCOUNT", k.Key("tested"), std::to_string(secs - 7 * 86400), "+inf"},
      {"ZCOUNT", k.Key("visits"), std::to_string(absl::ToUnixSeconds(StartOfWeek(now))), "+inf"},
      {"ZCOUNT", k.Key("arrivals"), std::to_string(secs - 14 * 86400), "+inf"},
  });
  if (!replies.ok()) return replies.status();
  v1::GridLedger ledger;
  ledger.set_grid_id(grid_id);
  ledger.mutable_as_of()->set_seconds(secs);
  const auto& counts = (*replies)[0].elements;
  for (size_t i = 0; i + 1 < counts.size(); i += 2) {
    const std::string& field = counts[i].str;
    long long value = std::stoll(counts[i + 1].str);
    if (field == "residents")
      ledger.set_residents(value);
    else if (field == "vaccinated")
      ledger.set_vaccinated(value);
    else if (field == "key_population")
      ledger.set_key_population(value);
    else if (field == "open_help_requests")
      ledger.set_open_help_requests(value);
    else if (field == "open_dispute_leads")
      ledger.set_open_dispute_leads(value);
  }
  ledger.set_tested_last_7_days((*replies)[1].integer);
  ledger.set_visits_this_week((*replies)[2].integer);
  ledger.set_arrivals_last_14_days((*replies)[3].integer);
  return ledger;
}

absl::StatusOr<platform::GridTransaction::Outcome> IntakeStore::Commit(
    const platform::GridTransaction& txn) {
  return platform::GridTransaction::Commit(redis_, txn);
}

absl::StatusOr<platform::GridTransaction::Outcomes> IntakeStore::CommitPrepared(
    platform::GridTransaction::PreparedCommit& prepared) {
  return prepared.Send(redis_);
}

}  // namespace gridbridge::intake
