// Large outbox entries are stored LZ4-packed (outbox_pack.h): what a
// commit stores, and what the relay reads back.
#include "outbox_pack.h"

#include <lz4frame.h>

#include <random>

#include "gtest/gtest.h"
#include "outbox.h"

namespace gridbridge::platform {
namespace {

RedisReply BatchEntry(const std::string& stored) {
  RedisReply fields;
  fields.type = RedisReply::Type::kArray;
  for (const std::string& s : {std::string("b"), stored}) {
    RedisReply r;
    r.type = RedisReply::Type::kString;
    r.str = s;
    fields.elements.push_back(std::move(r));
  }
  return fields;
}

// Frames of `n` records shaped like the services' events: the same topic
// and header names, ids that differ.
std::string EventFrames(int n) {
  std::string frames;
  for (int i = 0; i < n; ++i) {
    const std::string id = "0b9c2a1e-4f6d-4e7a-9c1b-" + std::to_string(100000 + i);
    frames += OutboxFrame({"gridbridge.screening.decision.v1",
                           "resident-" + std::to_string(i),
                           "decision of resident " + std::to_string(i) +
                               ": centralized observation, 14 days (arrived from a "
                               "medium-risk area within the last 14 days)",
                           {{"ce_specversion", "1.0"},
                            {"ce_id", id},
                            {"ce_source", "/gridbridge/screening"},
                            {"ce_type", "gridbridge.screening.v1.ScreeningDecided"},
                            {"content-type", "application/x-protobuf"}}});
  }
  return frames;
}

TEST(OutboxPack, ALargeEntryIsPackedSmallerAndDecodesToTheSameRecords) {
  const std::string batch = EventFrames(20);
  const std::string packed = PackOutboxEntry(batch);
  ASSERT_TRUE(IsPackedOutboxEntry(packed));
  EXPECT_FALSE(IsPackedOutboxEntry(batch)) << "an OutboxBatch starts with its field's tag";
  EXPECT_LT(packed.size() * 3, batch.size()) << batch.size() << " -> " << packed.size();
  auto unpacked = UnpackOutboxEntry(packed);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(*unpacked, batch);
  auto records = DecodeOutboxEntry(BatchEntry(packed));
  ASSERT_TRUE(records.ok()) << records.status();
  auto plain = DecodeOutboxEntry(BatchEntry(batch));
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_EQ(records->size(), 20u);
  ASSERT_EQ(plain->size(), 20u);
  for (size_t i = 0; i < records->size(); ++i) {
    EXPECT_EQ((*records)[i].topic, (*plain)[i].topic);
    EXPECT_EQ((*records)[i].key, (*plain)[i].key);
    EXPECT_EQ((*records)[i].value, (*plain)[i].value);
    EXPECT_EQ((*records)[i].headers, (*plain)[i].headers);
  }
  EXPECT_EQ((*records)[19].key, "resident-19");
}

TEST(OutboxPack, TheRelaysViewsReadAPackedEntryUnpackedInPlace) {
  const std::string batch = EventFrames(8);
  RedisReply fields = BatchEntry(PackOutboxEntry(batch));
  auto views = DecodeOutboxEntryViews(fields);
  ASSERT_TRUE(views.ok()) << views.status();
  EXPECT_EQ(fields.elements[1].str, batch);
  ASSERT_EQ(views->size(), 8u);
  EXPECT_EQ((*views)[7].key, "resident-7");
}

TEST(OutboxPack, SmallAndIncompressibleEntriesAreKeptAsTheyAre) {
  const std::string one = EventFrames(1);
  ASSERT_LT(one.size(), kPackOutboxEntriesFrom);
  EXPECT_EQ(PackOutboxEntry(one), one);
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  const std::string frame = OutboxFrame({"t", "k", noise, {}});
  EXPECT_EQ(PackOutboxEntry(frame), frame);
}

TEST(OutboxPack, DamagedPackedEntriesAreDataLossNotGarbage) {
  const std::string packed = PackOutboxEntry(EventFrames(20));
  ASSERT_TRUE(IsPackedOutboxEntry(packed));
  auto code = [](std::string_view bytes) { return UnpackOutboxEntry(bytes).status().code(); };
  EXPECT_EQ(code(packed.substr(0, packed.size() - 6)), absl::StatusCode::kDataLoss) << "truncated";
  EXPECT_EQ(code(packed.substr(0, 9)), absl::StatusCode::kDataLoss) << "a header only";
  std::string flipped = packed;
  flipped[flipped.size() / 2] ^= 0x20;
  EXPECT_EQ(code(flipped), absl::StatusCode::kDataLoss) << "the content checksum";
  EXPECT_EQ(code(packed + "x"), absl::StatusCode::kDataLoss) << "bytes after the frame";
  EXPECT_EQ(DecodeOutboxEntry(BatchEntry(flipped)).status().code(), absl::StatusCode::kDataLoss);

  // A frame that does not say its size is not one PackOutboxEntry writes.
  const std::string batch = EventFrames(4);
  std::string sizeless(LZ4F_compressFrameBound(batch.size(), nullptr), '\0');
  sizeless.resize(
      LZ4F_compressFrame(sizeless.data(), sizeless.size(), batch.data(), batch.size(), nullptr));
  ASSERT_TRUE(IsPackedOutboxEntry(sizeless));
  EXPECT_EQ(code(sizeless), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace gridbridge::platform
