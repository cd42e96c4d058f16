#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gridbridge::bench {

// The sum of the samples of metric `name` whose labels include `label`
// (e.g. `group="screening"`), scraped from http://<admin>/metrics (the
// services' admin endpoint); nothing if the endpoint did not answer. A
// metric with no such sample sums to 0.
std::optional<double> ScrapeSum(const std::string& admin, std::string_view name,
                                std::string_view label);

// The same over a scrape's text (Prometheus text format).
double SumOfSamples(std::string_view text, std::string_view name, std::string_view label);

}  // namespace gridbridge::bench
