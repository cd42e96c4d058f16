#include "intake_import.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "gridbridge/intake/v1/intake_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "json_call.h"

namespace gridbridge::gridctl {
namespace {

using intake::v1::BulkImportRequest;
using intake::v1::BulkImportResponse;

std::string ShortDigest(const std::string& content) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest);
  char hex[13];
  for (int i = 0; i < 6; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 12);
}

intake::v1::ResidentTag TagFromName(const std::string& name) {
  intake::v1::ResidentTag tag = intake::v1::RESIDENT_TAG_UNSPECIFIED;
  std::string upper = "RESIDENT_TAG_";
  for (char c : name)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  intake::v1::ResidentTag_Parse(upper, &tag);
  return tag;  // UNSPECIFIED for unknown names: the server rejects the row
}

void DrawProgress(size_t done, size_t total, double seconds) {
  const int width = 30;
  int filled = total == 0 ? width : static_cast<int>(width * done / total);
  std::fprintf(stderr, "\r[%s%s] %zu/%zu rows  %.0f rows/s ", std::string(filled, '=').c_str(),
               std::string(width - filled, ' ').c_str(), done, total,
               seconds > 0 ? done / seconds : 0.0);
}

// Waits between attempts double from 1 s up to this.
constexpr int kMaxBackoffSeconds = 16;

// After these the rows not answered are sent again on a new stream: intake
// was unreachable or restarting (UNAVAILABLE) or had no room for them yet
// (RESOURCE_EXHAUSTED). Sending a row again is safe: its request id derives
// from the file and the row, so a row committed but not answered gets its
// first answer.
bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

// One BulkImport stream of `rows`, in requests of options.rows_per_request;
// `answered` gets each response. Returns the stream's status.
grpc::Status SendRows(intake::v1::IntakeService::Stub& stub, const ImportOptions& options,
                      const std::vector<const intake::v1::BulkImportRow*>& rows,
                      const std::function<void(const BulkImportResponse&)>& answered) {
  grpc::ClientContext context;
  if (!options.token.empty()) context.AddMetadata("authorization", "Bearer " + options.token);
  auto stream = stub.BulkImport(&context);
  const size_t per_request = static_cast<size_t>(std::max(1, options.rows_per_request));
  std::thread writer([&] {
    for (size_t i = 0; i < rows.size(); i += per_request) {
      BulkImportRequest request;
      for (size_t k = i; k < std::min(rows.size(), i + per_request); ++k) {
        *request.add_rows() = *rows[k];
      }
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  BulkImportResponse response;
  while (stream->Read(&response)) answered(response);
  writer.join();
  return stream->Finish();
}

}  // namespace

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  return fields;
}

nlohmann::json ImportCsv(const ImportOptions& options, int* exit_code) {
  *exit_code = 1;
  std::ifstream in(options.csv_path, std::ios::binary);
  if (!in)
    return {
        {"error", {{"code", "INVALID_ARGUMENT"}, {"message", "cannot read " + options.csv_path}}}};
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string content = buffer.str();
  const std::string file_id = ShortDigest(content);

  // Parse every row first: the request ids depend on the row numbers.
  std::vector<intake::v1::BulkImportRow> rows;
  std::istringstream lines(content);
  std::string line;
  std::map<std::string, size_t> column;
  int64_t line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    auto fields = SplitCsvLine(line);
    if (column.empty()) {
      for (size_t i = 0; i < fields.size(); ++i) column[fields[i]] = i;
      if (!column.count("id_card_number") || !column.count("grid_id")) {
        return {{"error",
                 {{"code", "INVALID_ARGUMENT"},
                  {"message", "header row must name at least id_card_number and grid_id"}}}};
      }
      continue;
    }
    auto get = [&](const char* name) -> std::string {
      auto it = column.find(name);
      return it == column.end() || it->second >= fields.size() ? "" : fields[it->second];
    };
    intake::v1::BulkImportRow row;
    row.set_row_number(line_number);
    auto* r = row.mutable_resident();
    r->set_request_id("import-" + file_id + "-" + std::to_string(line_number));
    r->set_name(get("name"));
    r->set_id_card_number(get("id_card_number"));
    r->set_phone(get("phone"));
    r->mutable_address()->set_estate(get("estate"));
    r->mutable_address()->set_building(get("building"));
    r->mutable_address()->set_unit(get("unit"));
    r->mutable_address()->set_room(get("room"));
    r->set_household_id(get("household_id"));
    r->set_grid_id(get("grid_id"));
    std::string tags = get("tags");
    if (!tags.empty()) {
      std::stringstream split(tags);
      for (std::string tag; std::getline(split, tag, '|');) r->add_tags(TagFromName(tag));
    }
    rows.push_back(std::move(row));
  }

  // Reconnects within a second of intake coming back (gRPC's default backoff
  // grows to two minutes): an import waits on it.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 250);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  auto channel =
      grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args);
  auto stub = intake::v1::IntakeService::NewStub(channel);
  std::map<int64_t, size_t> index_of;  // row number -> index in rows
  for (size_t i = 0; i < rows.size(); ++i) index_of[rows[i].row_number()] = i;
  std::vector<bool> answered(rows.size(), false);
  std::ofstream report;
  if (!options.report_path.empty()) report.open(options.report_path, std::ios::trunc);
  size_t done = 0, accepted = 0, created = 0;
  nlohmann::json rejected = nlohmann::json::array();
  const auto start = std::chrono::steady_clock::now();
  auto record = [&](const intake::v1::BulkImportRowResult& r) {
    auto it = index_of.find(r.row_number());
    if (it == index_of.end() || answered[it->second]) return;  // not ours, or already
    answered[it->second] = true;
    ++done;
    if (r.accepted()) {
      ++accepted;
      created += r.created();
    } else if (rejected.size() < 100) {
      rejected.push_back(
          {{"row", r.row_number()}, {"code", r.error_code()}, {"message", r.error_message()}});
    }
    if (report.is_open()) {
      report << nlohmann::json{{"row", r.row_number()},          {"accepted", r.accepted()},
                               {"resident_id", r.resident_id()}, {"created", r.created()},
                               {"code", r.error_code()},         {"message", r.error_message()}}
                    .dump()
             << "\n";
    }
  };

  grpc::Status status;
  int attempts = 0;
  auto backoff = std::chrono::seconds(1);
  while (true) {
    ++attempts;
    std::vector<const intake::v1::BulkImportRow*> pending;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!answered[i]) pending.push_back(&rows[i]);
    }
    status = SendRows(*stub, options, pending, [&](const BulkImportResponse& response) {
      for (const auto& r : response.results()) record(r);
      if (options.progress) {
        DrawProgress(
            done, rows.size(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    });
    if (status.ok() || done == rows.size()) {
      status = grpc::Status::OK;  // every row has its result
      break;
    }
    if (!Retryable(status.error_code()) || attempts > options.retries) break;
    std::fprintf(stderr,
                 "\n%s: %s; sending the %zu rows not answered again (waiting up to %llds)\n",
                 StatusCodeName(status.error_code()).c_str(), status.error_message().c_str(),
                 rows.size() - done, static_cast<long long>(backoff.count()));
    if (channel->GetState(false) == GRPC_CHANNEL_READY) {
      std::this_thread::sleep_for(backoff);  // intake answered: give it the time
    } else {
      // Unreachable: go again as soon as it is back, or after the wait.
      channel->WaitForConnected(std::chrono::system_clock::now() + backoff);
    }
    backoff = std::min(backoff * 2, std::chrono::seconds(kMaxBackoffSeconds));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.progress) std::fprintf(stderr, "\n");
  nlohmann::json summary = {{"file", options.csv_path},
                            {"rows", rows.size()},
                            {"answered", done},
                            {"accepted", accepted},
                            {"created", created},
                            {"rejected", done - accepted},
                            {"attempts", attempts},
                            {"seconds", seconds},
                            {"rows_per_s", seconds > 0 ? done / seconds : 0.0},
                            {"first_rejections", rejected}};
  if (!status.ok()) {
    summary["error"] = {{"code", StatusCodeName(status.error_code())},
                        {"message", status.error_message()}};
    return summary;
  }
  *exit_code = 0;
  return summary;
}

}  // namespace gridbridge::gridctl
