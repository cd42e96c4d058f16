#include "gtest/gtest.h"
#include "outbox.h"

namespace gridbridge::platform {
namespace {

RedisReply Str(const std::string& s) {
  RedisReply r;
  r.type = RedisReply::Type::kString;
  r.str = s;
  return r;
}

TEST(OutboxFields, LuaArgsCarryTopicKeyValueAndHeaders) {
  KafkaRecord r{"t1", "k1", std::string("v\0x", 3), {{"ce_id", "1"}, {"ce_type", "T"}}};
  EXPECT_EQ(OutboxLuaArgs(r),
            (RedisArgs{"t1", "k1", std::string("v\0x", 3), "2", "ce_id", "1", "ce_type", "T"}));
}

TEST(OutboxFields, DecodesWhatTheScriptWrites) {
  RedisReply fields;
  fields.type = RedisReply::Type::kArray;
  for (const char* s : {"t", "topic", "k", "key", "v", "value", "h:ce_id", "42"}) {
    fields.elements.push_back(Str(s));
  }
  auto r = DecodeOutboxFields(fields);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->topic, "topic");
  EXPECT_EQ(r->key, "key");
  EXPECT_EQ(r->value, "value");
  ASSERT_EQ(r->headers.size(), 1u);
  EXPECT_EQ(r->headers[0], (std::pair<std::string, std::string>{"ce_id", "42"}));
}

TEST(OutboxFields, EntryWithoutTopicIsDataLoss) {
  RedisReply fields;
  fields.type = RedisReply::Type::kArray;
  fields.elements = {Str("k"), Str("key")};
  EXPECT_EQ(DecodeOutboxFields(fields).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gridbridge::platform
