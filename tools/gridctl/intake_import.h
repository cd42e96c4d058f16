#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace gridbridge::gridctl {

// Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote).
std::vector<std::string> SplitCsvLine(const std::string& line);

struct ImportOptions {
  std::string target;
  std::string token;
  std::string csv_path;
  std::string report_path;  // per-row results as JSON lines; empty: none
  int rows_per_request = 500;
  bool progress = true;  // a progress bar on stderr
};

// `gridctl intake import FILE.csv`: streams the file's rows to BulkImport.
// Columns (header row required, any order): name, id_card_number, phone,
// estate, building, unit, room, household_id, grid_id, tags (names joined
// by '|', e.g. elderly|key_population). Each row's request_id is derived
// from the file's content and the row number, so importing the same file
// again is safe. Returns the summary; exit_code 0 if the stream completed
// (rows may still be rejected: see "rejected"), 1 otherwise.
nlohmann::json ImportCsv(const ImportOptions& options, int* exit_code);

}  // namespace gridbridge::gridctl
