#pragma once

#include <optional>
#include <string_view>

namespace gridbridge::platform {

// The bytes of length-delimited field `number` (a message, string or bytes
// field) of the serialized message `message`, without decoding either: a
// view into `message`. Nothing if the field is absent, occurs more than once
// (a parser merges a message field's occurrences, which then no single
// occurrence's bytes say), has another wire type, or `message` does not
// parse as far as the field's end.
std::optional<std::string_view> SoleLengthDelimitedField(std::string_view message, int number);

}  // namespace gridbridge::platform
