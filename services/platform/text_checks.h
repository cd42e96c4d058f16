#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace gridbridge::platform {

// Number of Unicode code points, or -1 if `value` is not valid UTF-8
// (overlong forms and surrogates included).
long CountUtf8Chars(std::string_view value);

// Text of `min..max` Unicode characters, valid UTF-8, no control
// characters (newline and tab allowed when `multiline`). INVALID_ARGUMENT
// "<field>: <reason>" otherwise.
absl::Status CheckText(std::string_view field, std::string_view value, size_t min, size_t max,
                       bool multiline = false);

// A client idempotency key (request_id): 1..64 of [A-Za-z0-9._:-].
absl::Status CheckRequestId(std::string_view field, std::string_view value);

}  // namespace gridbridge::platform
