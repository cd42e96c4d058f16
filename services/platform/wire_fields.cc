#include "wire_fields.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace gridbridge::platform {

std::optional<std::string_view> SoleLengthDelimitedField(std::string_view message, int number) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                                            static_cast<int>(message.size()));
  std::optional<std::string_view> found;
  while (const uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) != number) {
      if (!WireFormatLite::SkipField(&in, tag)) return std::nullopt;
      continue;
    }
    uint32_t size = 0;
    if (found.has_value() ||
        WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED ||
        !in.ReadVarint32(&size)) {
      return std::nullopt;
    }
    const size_t at = static_cast<size_t>(in.CurrentPosition());
    if (size > message.size() - at || !in.Skip(static_cast<int>(size))) return std::nullopt;
    found = message.substr(at, size);
  }
  // ReadTag answers 0 at the end, and on a malformed tag before it.
  if (!in.ConsumedEntireMessage()) return std::nullopt;
  return found;
}

}  // namespace gridbridge::platform
