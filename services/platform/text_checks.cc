#include "text_checks.h"

#include <cctype>
#include <string>

#include "fmt/format.h"

namespace gridbridge::platform {
namespace {

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("{}: {}", field, why));
}

}  // namespace

long CountUtf8Chars(std::string_view s) {
  long count = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return -1;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return -1;
    }
    // Overlong forms and surrogates are invalid too.
    if (len == 2 && c < 0xC2) return -1;
    if (len == 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return -1;
    }
    if (len == 4) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) return -1;
    }
    i += len;
    ++count;
  }
  return count;
}

absl::Status CheckText(std::string_view field, std::string_view value, size_t min, size_t max,
                       bool multiline) {
  long chars = CountUtf8Chars(value);
  if (chars < 0) return Invalid(field, "not valid UTF-8");
  if (static_cast<size_t>(chars) < min || static_cast<size_t>(chars) > max) {
    if (min > 0 && value.empty()) return Invalid(field, "required");
    return Invalid(field, fmt::format("must be {}..{} characters, got {}", min, max, chars));
  }
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      if (multiline && (c == '\n' || c == '\t' || c == '\r')) continue;
      return Invalid(field, "contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(std::string_view field, std::string_view value) {
  if (value.empty()) return Invalid(field, "required (a client-chosen idempotency key)");
  if (value.size() > 64) return Invalid(field, "at most 64 characters");
  for (char c : value) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
          c == '-')) {
      return Invalid(field, "only letters, digits and . _ : - are allowed");
    }
  }
  return absl::OkStatus();
}

}  // namespace gridbridge::platform
