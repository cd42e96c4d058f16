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
  // Times the rows not answered are sent again after UNAVAILABLE or
  // RESOURCE_EXHAUSTED, waiting 1, 2, 4, 8, 16, 16 ... s before each.
  int retries = 5;
};

// `gridctl intake import FILE.csv`: streams the file's rows to BulkImport.
// Columns (header row required, any order): name, id_card_number, phone,
// estate, building, unit, room, household_id, grid_id, tags (names joined
// by '|', e.g. elderly|key_population). Each row's request_id is derived
// from the file's content and the row number, so importing the same file
// again is safe, and so is sending the rows a failed stream left unanswered
// again, which it does (options.retries). Returns the summary ("attempts":
// streams used); exit_code 0 if every row was answered (rows may still be
// rejected: see "rejected"), 1 otherwise.
nlohmann::json ImportCsv(const ImportOptions& options, int* exit_code);

}  // namespace gridbridge::gridctl
