#include "metrics_scrape.h"

#include <civetweb.h>

#include <cstdlib>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace gridbridge::bench {
namespace {

// The body of GET http://<host:port>/metrics (nothing on any failure).
std::optional<std::string> Fetch(const std::string& admin) {
  static std::once_flag init;
  std::call_once(init, [] { mg_init_library(0); });
  const auto colon = admin.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string host = admin.substr(0, colon);
  const int port = std::atoi(admin.c_str() + colon + 1);
  char error[256] = "";
  mg_connection* conn = mg_download(host.c_str(), port, 0, error, sizeof error,
                                    "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", host.c_str());
  if (conn == nullptr) return std::nullopt;
  const mg_response_info* response = mg_get_response_info(conn);
  std::optional<std::string> body;
  if (response != nullptr && response->status_code == 200) {
    body.emplace();
    char buffer[16384];
    for (int n; (n = mg_read(conn, buffer, sizeof buffer)) > 0;) body->append(buffer, n);
  }
  mg_close_connection(conn);
  return body;
}

}  // namespace

std::optional<double> ScrapeSum(const std::string& admin, std::string_view name,
                                std::string_view label) {
  const auto body = Fetch(admin);
  if (!body.has_value()) return std::nullopt;
  return SumOfSamples(*body, name, label);
}

double SumOfSamples(std::string_view text, std::string_view name, std::string_view label) {
  double sum = 0;
  for (absl::string_view split :
       absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    const std::string_view line(split.data(), split.size());
    // name{labels} value
    if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
        line[name.size()] != '{') {
      continue;
    }
    const auto close = line.find('}');
    if (close == std::string_view::npos ||
        line.substr(0, close).find(label) == std::string_view::npos) {
      continue;
    }
    double value = 0;
    const std::string_view text = line.substr(close + 1);
    if (absl::SimpleAtod(absl::string_view(text.data(), text.size()), &value)) sum += value;
  }
  return sum;
}

}  // namespace gridbridge::bench
