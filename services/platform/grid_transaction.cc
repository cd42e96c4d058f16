#include "grid_transaction.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "outbox.h"
#include "redis_keys.h"

namespace gridbridge::platform {

// ARGV layout: [1] response, [2] ttl, [3] guard count, then guard pairs
// (key index, version), then ops; each op starts with a code:
//   R ki version payload | Z ki score member | T ki max | C ki field delta |
//   O ki <outbox args...> (see kOutboxLua)
// KEYS[1] is the outbox, KEYS[2] the idempotency key ("" slot if unused is
// still the outbox key, so that every key shares the tag).
const RedisScript& GridTransaction::Script() {
  static const RedisScript script(std::string(kOutboxLua) + R"lua(
local use_idem = KEYS[2] ~= KEYS[1]
if use_idem then
  local prior = redis.call('GET', KEYS[2])
  if prior then return {'DUPLICATE', prior} end
end
local i = 4
for g = 1, tonumber(ARGV[3]) do
  local key = KEYS[tonumber(ARGV[i])]
  local have = redis.call('HGET', key, 'v') or '0'
  if have ~= ARGV[i + 1] then return {'CONFLICT', key} end
  i = i + 2
end
while i <= #ARGV do
  local op = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  if op == 'R' then
    redis.call('HSET', key, 'v', ARGV[i + 2], 'p', ARGV[i + 3]); i = i + 4
  elseif op == 'Z' then
    redis.call('ZADD', key, ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'T' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[i + 2]); i = i + 3
  elseif op == 'C' then
    redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'O' then
    i = gb_outbox_xadd(key, i + 2)
  else
    return redis.error_reply('grid transaction: unknown op ' .. tostring(op))
  end
end
if use_idem then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) end
return {'COMMITTED'}
)lua");
  return script;
}

GridTransaction::GridTransaction(std::string outbox_key, std::string idempotency_key,
                                 std::string response, int idempotency_ttl_seconds)
    : response_(std::move(response)), ttl_(idempotency_ttl_seconds) {
  keys_.push_back(outbox_key);
  keys_.push_back(idempotency_key.empty() ? outbox_key : idempotency_key);
}

int GridTransaction::KeyIndex(const std::string& key) {
  auto it = std::find(keys_.begin(), keys_.end(), key);
  if (it != keys_.end()) return static_cast<int>(it - keys_.begin()) + 1;
  keys_.push_back(key);
  return static_cast<int>(keys_.size());
}

GridTransaction& GridTransaction::ExpectVersion(const std::string& key, long long version) {
  guards_.push_back(std::to_string(KeyIndex(key)));
  guards_.push_back(std::to_string(version));
  return *this;
}

GridTransaction& GridTransaction::PutRecord(const std::string& key, long long version,
                                            const std::string& payload) {
  for (std::string a :
       {std::string("R"), std::to_string(KeyIndex(key)), std::to_string(version), payload}) {
    ops_.push_back(std::move(a));
  }
  return *this;
}

GridTransaction& GridTransaction::ZAdd(const std::string& key, long long score,
                                       const std::string& member) {
  for (std::string a :
       {std::string("Z"), std::to_string(KeyIndex(key)), std::to_string(score), member}) {
    ops_.push_back(std::move(a));
  }
  return *this;
}

GridTransaction& GridTransaction::ZRemoveBelow(const std::string& key, long long max_score) {
  for (std::string a :
       {std::string("T"), std::to_string(KeyIndex(key)), std::to_string(max_score)}) {
    ops_.push_back(std::move(a));
  }
  return *this;
}

GridTransaction& GridTransaction::HashIncrement(const std::string& key, const std::string& field,
                                                long long delta) {
  if (delta == 0) return *this;
  for (std::string a :
       {std::string("C"), std::to_string(KeyIndex(key)), field, std::to_string(delta)}) {
    ops_.push_back(std::move(a));
  }
  return *this;
}

GridTransaction& GridTransaction::Publish(const KafkaRecord& record) {
  ops_.push_back("O");
  ops_.push_back("1");
  for (auto& a : OutboxLuaArgs(record)) ops_.push_back(std::move(a));
  return *this;
}

absl::StatusOr<std::pair<RedisArgs, RedisArgs>> GridTransaction::Build() const {
  std::string_view tag = HashTagOf(keys_.front());
  for (const auto& k : keys_) {
    if (HashTagOf(k) != tag) {
      return absl::InvalidArgumentError(
          absl::StrCat("grid transaction spans hash tags: ", keys_.front(), " and ", k));
    }
  }
  RedisArgs args{response_, std::to_string(ttl_), std::to_string(guards_.size() / 2)};
  args.insert(args.end(), guards_.begin(), guards_.end());
  args.insert(args.end(), ops_.begin(), ops_.end());
  return std::make_pair(keys_, std::move(args));
}

absl::StatusOr<GridTransaction::Outcome> GridTransaction::ParseReply(const RedisReply& reply) {
  if (reply.is_error()) return absl::InternalError("grid transaction failed: " + reply.str);
  if (reply.type != RedisReply::Type::kArray || reply.elements.empty()) {
    return absl::InternalError("grid transaction: unexpected reply");
  }
  Outcome out;
  const std::string& kind = reply.elements[0].str;
  if (kind == "COMMITTED") return out;
  if (kind == "DUPLICATE" && reply.elements.size() == 2) {
    out.kind = Outcome::Kind::kDuplicate;
    out.prior_response = reply.elements[1].str;
    return out;
  }
  if (kind == "CONFLICT" && reply.elements.size() == 2) {
    out.kind = Outcome::Kind::kConflict;
    out.conflict_key = reply.elements[1].str;
    return out;
  }
  return absl::InternalError("grid transaction: unexpected reply " + kind);
}

}  // namespace gridbridge::platform
