#pragma once

#include <string>

#include "spdlog/spdlog.h"

namespace gridbridge::platform {

// Makes spdlog's default logger write one JSON object per line to stderr:
// {"ts":"...","level":"info","service":"intake","msg":"..."}.
// The message is JSON-escaped, so any text (including user input) is safe.
// Call once at start-up, before other threads log.
void InitJsonLogging(const std::string& service_name, const std::string& level);

}  // namespace gridbridge::platform
