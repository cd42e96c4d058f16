// The outbox's record format (outbox.h): frames written by commits, read
// back by the relay. Frames are written and read field by field with
// protobuf's wire-format primitives rather than through OutboxBatch
// messages: every record of every commit passes through here twice, and
// building a message to serialize it (or parsing one to move its strings
// out) copied each string once more and allocated per header
// (~10 % of intake's CPU in a BulkImport). The bytes are exactly
// OutboxBatch's (tests compare them), so either side may still use the
// generated class.
#include <cstring>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "outbox.h"

namespace gridbridge::platform {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using Wire = google::protobuf::internal::WireFormatLite;

// Field numbers of gridbridge.common.v1.OutboxBatch / OutboxRecord /
// OutboxHeader (proto/gridbridge/common/v1/outbox.proto).
constexpr int kBatchRecords = 1;
constexpr int kRecordTopic = 1, kRecordKey = 2, kRecordValue = 3, kRecordHeaders = 4;
constexpr int kHeaderName = 1, kHeaderValue = 2;

constexpr uint32_t Tag(int field) { return Wire::MakeTag(field, Wire::WIRETYPE_LENGTH_DELIMITED); }

// Bytes of a length-delimited field of `n` bytes (field numbers < 16: a
// one-byte tag).
size_t FieldSize(size_t n) { return 1 + CodedOutputStream::VarintSize32(n) + n; }
// proto3 leaves out empty strings.
size_t StringSize(size_t n) { return n == 0 ? 0 : FieldSize(n); }
size_t HeaderSize(std::string_view name, std::string_view value) {
  return StringSize(name.size()) + StringSize(value.size());
}

uint8_t* PutLength(int field, size_t n, uint8_t* p) {
  p = CodedOutputStream::WriteVarint32ToArray(Tag(field), p);
  return CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(n), p);
}

uint8_t* PutString(int field, std::string_view s, uint8_t* p) {
  if (s.empty()) return p;
  p = PutLength(field, s.size(), p);
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Frames are read as views of the bytes given (the relay publishes them
// from the XRANGE reply without copying).
class FrameReader {
 public:
  explicit FrameReader(std::string_view bytes)
      : bytes_(bytes),
        in_(reinterpret_cast<const uint8_t*>(bytes.data()), static_cast<int>(bytes.size())) {}

  absl::StatusOr<std::vector<KafkaRecordView>> Records() {
    std::vector<KafkaRecordView> out;
    while (uint32_t tag = in_.ReadTag()) {
      if (tag != Tag(kBatchRecords)) {
        if (!Wire::SkipField(&in_, tag)) return Corrupt();
        continue;
      }
      KafkaRecordView& record = out.emplace_back();
      if (!ReadNested([&] { return ReadRecord(record); })) return Corrupt();
      if (record.topic.empty()) return absl::DataLossError("outbox record has no topic");
    }
    if (in_.CurrentPosition() != static_cast<int>(bytes_.size())) return Corrupt();
    return out;
  }

 private:
  static absl::Status Corrupt() { return absl::DataLossError("outbox batch does not parse"); }

  // A length-delimited field's bytes, as a view.
  bool ReadView(std::string_view* out) {
    uint32_t length = 0;
    if (!in_.ReadVarint32(&length)) return false;
    const int at = in_.CurrentPosition();
    if (!in_.Skip(static_cast<int>(length))) return false;
    *out = bytes_.substr(at, length);
    return true;
  }

  // Reads a length-delimited field's contents with `read` (which reads
  // tags until the limit); false if they do not parse or do not end at
  // the limit.
  template <typename Read>
  bool ReadNested(Read&& read) {
    uint32_t length = 0;
    if (!in_.ReadVarint32(&length)) return false;
    const auto limit = in_.PushLimit(static_cast<int>(length));
    const bool ok = read() && in_.BytesUntilLimit() == 0;
    in_.PopLimit(limit);
    return ok;
  }

  bool ReadHeader(std::vector<HeaderView>& headers) {
    auto& [name, value] = headers.emplace_back();
    while (uint32_t tag = in_.ReadTag()) {
      bool ok = tag == Tag(kHeaderName)    ? ReadView(&name)
                : tag == Tag(kHeaderValue) ? ReadView(&value)
                                           : Wire::SkipField(&in_, tag);
      if (!ok) return false;
    }
    return true;
  }

  bool ReadRecord(KafkaRecordView& r) {
    while (uint32_t tag = in_.ReadTag()) {
      bool ok = false;
      switch (tag) {
        case Tag(kRecordTopic):
          ok = ReadView(&r.topic);
          break;
        case Tag(kRecordKey):
          ok = ReadView(&r.key);
          break;
        case Tag(kRecordValue):
          ok = ReadView(&r.value);
          break;
        case Tag(kRecordHeaders):
          ok = ReadNested([&] { return ReadHeader(r.headers); });
          break;
        default:
          ok = Wire::SkipField(&in_, tag);
      }
      if (!ok) return false;
    }
    return true;
  }

  std::string_view bytes_;
  CodedInputStream in_;
};

// A frame whose value has `value_size` bytes, which `write_value` writes
// at the pointer it is given.
template <typename WriteValue, typename Headers>
std::string EncodeFrame(std::string_view topic, std::string_view key, size_t value_size,
                        WriteValue&& write_value, const Headers& headers) {
  size_t record = StringSize(topic.size()) + StringSize(key.size()) + StringSize(value_size);
  for (const auto& [name, value] : headers) record += FieldSize(HeaderSize(name, value));
  std::string out(FieldSize(record), '\0');
  uint8_t* p = reinterpret_cast<uint8_t*>(out.data());
  p = PutLength(kBatchRecords, record, p);
  p = PutString(kRecordTopic, topic, p);
  p = PutString(kRecordKey, key, p);
  if (value_size > 0) p = write_value(PutLength(kRecordValue, value_size, p));
  for (const auto& [name, value] : headers) {
    p = PutLength(kRecordHeaders, HeaderSize(name, value), p);
    p = PutString(kHeaderName, name, p);
    p = PutString(kHeaderValue, value, p);
  }
  return out;
}

}  // namespace

std::string OutboxFrame(const KafkaRecord& r) {
  return EncodeFrame(
      r.topic, r.key, r.value.size(),
      [&](uint8_t* p) {
        std::memcpy(p, r.value.data(), r.value.size());
        return p + r.value.size();
      },
      r.headers);
}

std::string OutboxFrame(std::string_view topic, std::string_view key,
                        const google::protobuf::MessageLite& value,
                        std::span<const HeaderView> headers) {
  return EncodeFrame(
      topic, key, value.ByteSizeLong(),
      [&](uint8_t* p) { return value.SerializeWithCachedSizesToArray(p); }, headers);
}

std::string OutboxFrame(std::string_view topic, std::string_view key, std::string_view value,
                        std::span<const HeaderView> headers) {
  return EncodeFrame(
      topic, key, value.size(),
      [&](uint8_t* p) {
        std::memcpy(p, value.data(), value.size());
        return p + value.size();
      },
      headers);
}

absl::StatusOr<std::vector<KafkaRecordView>> DecodeOutboxFrameViews(std::string_view bytes) {
  return FrameReader(bytes).Records();
}

absl::StatusOr<std::vector<KafkaRecord>> DecodeOutboxFrames(const std::string& bytes) {
  auto views = DecodeOutboxFrameViews(bytes);
  if (!views.ok()) return views.status();
  return Owned(*views);
}

}  // namespace gridbridge::platform
