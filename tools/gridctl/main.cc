// gridctl: the command line for partners and operations.
//
//   gridctl keygen --out_dir DIR
//   gridctl token --role grid_worker --scope 431102001001g01 --subject worker-1
//                 --private_key_file DIR/jwt-private.pem [--ttl_minutes 720]
//   gridctl health --target HOST:PORT [--service NAME]
//   gridctl services --target HOST:PORT
//   gridctl echo whoami --target HOST:PORT [--grid ID]     (token: --token or $GRIDBRIDGE_TOKEN)
//   gridctl intake RPC --target HOST:PORT --json '{...}'   (or --json @FILE, --json - for stdin)
//     RPC: register-resident, record-arrival, record-health-status, record-visit,
//          request-help, report-dispute-lead, get-resident, list-residents, get-grid-ledger
//   gridctl intake import FILE.csv --target HOST:PORT [--report FILE.jsonl] [--no_progress]
//                                 [--retries N]
//   gridctl screening RPC --target HOST:PORT --json '{...}'
//     RPC: screen-arrival, set-risk-areas, get-risk-areas, get-person-status,
//          list-measures, get-grid-screening, change-measure, register-venue, scan-venue
//   gridctl screening risk-areas set FILE.json --target HOST:PORT [--request_id ID]
//
// Every command prints one JSON object on stdout and exits 0 on success,
// 1 when the server answered with an error (the JSON says which), 2 on bad
// usage.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "auth.h"
#include "dev_keys.h"
#include "gridbridge/testing/v1/echo.grpc.pb.h"
#include "intake_commands.h"
#include "intake_import.h"
#include "nlohmann/json.hpp"
#include "openssl/evp.h"
#include "screening_commands.h"
#include "server_probe.h"

namespace {

using nlohmann::json;
using namespace gridbridge;

int Print(const json& j, int code = 0) {
  std::cout << j.dump() << std::endl;
  return code;
}

int PrintError(const std::string& code, const std::string& message) {
  return Print({{"error", {{"code", code}, {"message", message}}}}, 1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// --json VALUE: the JSON itself, @FILE, or - for stdin.
std::string ReadJsonArg(const std::string& value) {
  if (value == "-") {
    std::stringstream in;
    in << std::cin.rdbuf();
    return in.str();
  }
  if (!value.empty() && value[0] == '@') return ReadFile(value.substr(1));
  return value;
}

// The first 16 hex digits of the SHA-256 of `text`.
std::string ContentDigest(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size))
      .substr(0, 16);
}

std::shared_ptr<grpc::Channel> Connect(const std::string& target) {
  return grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gridctl: command line for gridbridge partners and operations.\n"
      "Every command prints one JSON object. Start with `gridctl keygen` and\n"
      "`gridctl token` to get a bearer token, then call a service."};
  app.require_subcommand(1);

  std::string out_dir = ".";
  auto* keygen = app.add_subcommand(
      "keygen", "write a development RSA key pair (jwt-private.pem, jwt-public.pem)");
  keygen->add_option("--out_dir", out_dir, "directory for the PEM files")->capture_default_str();

  std::string role, scope, subject, private_key_file, issuer = "gridbridge",
                                                      audience = "gridbridge";
  int ttl_minutes = 720;
  auto* token =
      app.add_subcommand("token", "mint a bearer token for a role and scope (development)");
  token
      ->add_option(
          "--role", role,
          "grid_worker|community_committee|street_office|district_admin|partner_system|analyst")
      ->required();
  token->add_option("--scope", scope, "administrative unit id the caller is responsible for")
      ->required();
  token->add_option("--subject", subject, "who the caller is, e.g. worker-0192")->required();
  token->add_option("--private_key_file", private_key_file, "PEM signing key")
      ->required()
      ->envname("GRIDBRIDGE_JWT_PRIVATE_KEY_FILE");
  token->add_option("--ttl_minutes", ttl_minutes, "lifetime")->capture_default_str();
  token->add_option("--issuer", issuer)->capture_default_str();
  token->add_option("--audience", audience)->capture_default_str();

  std::string target, service, bearer, grid;
  auto* health =
      app.add_subcommand("health", "grpc.health.v1 status of a server (exit 1 unless SERVING)");
  health->add_option("--target", target, "host:port")->required();
  health->add_option("--service", service, "service name; empty for the server");

  auto* services = app.add_subcommand("services", "list a server's services through reflection");
  services->add_option("--target", target, "host:port")->required();

  auto* echo = app.add_subcommand("echo", "the platform's reference echo server");
  echo->require_subcommand(1);
  auto* whoami =
      echo->add_subcommand("whoami", "who the server thinks you are; --grid checks scope");
  whoami->add_option("--target", target, "host:port")->required();
  whoami->add_option("--token", bearer, "bearer token")->envname("GRIDBRIDGE_TOKEN")->required();
  whoami->add_option("--grid", grid, "a unit id to check access to");

  // Its own variable: CLI11 applies an option's environment variable even
  // when its subcommand is not the one run, so a shared one would let
  // GRIDBRIDGE_INTAKE_TARGET override `health --target`.
  std::string request_json, intake_target;
  auto* intake_cmd = app.add_subcommand(
      "intake", "call the intake service; the request is JSON (protobuf JSON mapping)");
  intake_cmd->require_subcommand(1);
  for (const auto& rpc : gridctl::IntakeRpcNames()) {
    auto* sub =
        intake_cmd->add_subcommand(rpc, "IntakeService RPC (see proto/gridbridge/intake/v1)");
    sub->add_option("--target", intake_target, "host:port")
        ->required()
        ->envname("GRIDBRIDGE_INTAKE_TARGET");
    sub->add_option("--token", bearer, "bearer token")->envname("GRIDBRIDGE_TOKEN")->required();
    sub->add_option("--json", request_json, "request as JSON, @FILE, or - for stdin")->required();
  }

  std::string screening_target;
  auto* screening_cmd = app.add_subcommand(
      "screening", "call the screening service; the request is JSON (protobuf JSON mapping)");
  screening_cmd->require_subcommand(1);
  for (const auto& rpc : gridctl::ScreeningRpcNames()) {
    auto* sub = screening_cmd->add_subcommand(
        rpc, "ScreeningService RPC (see proto/gridbridge/screening/v1)");
    sub->add_option("--target", screening_target, "host:port")
        ->required()
        ->envname("GRIDBRIDGE_SCREENING_TARGET");
    sub->add_option("--token", bearer, "bearer token")->envname("GRIDBRIDGE_TOKEN")->required();
    sub->add_option("--json", request_json, "request as JSON, @FILE, or - for stdin")->required();
  }
  std::string risk_areas_file, risk_request_id;
  auto* risk_areas = screening_cmd->add_subcommand("risk-areas", "manage the risk-area list");
  risk_areas->require_subcommand(1);
  auto* risk_set = risk_areas->add_subcommand(
      "set", "replace the list with FILE (JSON RiskAreaList: {\"areas\": [...]})");
  risk_set->add_option("file", risk_areas_file, "JSON file")->required();
  risk_set->add_option("--target", screening_target, "host:port")
      ->required()
      ->envname("GRIDBRIDGE_SCREENING_TARGET");
  risk_set->add_option("--token", bearer, "bearer token (a district admin's)")
      ->envname("GRIDBRIDGE_TOKEN")
      ->required();
  risk_set->add_option("--request_id", risk_request_id,
                       "idempotency key; default: derived from the file's content, so setting "
                       "the same file again changes nothing");

  gridctl::ImportOptions import_options;
  auto* import_cmd = intake_cmd->add_subcommand(
      "import",
      "import residents from a CSV file through BulkImport (columns: name, "
      "id_card_number, phone, estate, building, unit, room, household_id, grid_id, tags)");
  import_cmd->add_option("file", import_options.csv_path, "CSV file with a header row")->required();
  import_cmd->add_option("--target", import_options.target, "host:port")
      ->required()
      ->envname("GRIDBRIDGE_INTAKE_TARGET");
  import_cmd->add_option("--token", import_options.token, "bearer token")
      ->envname("GRIDBRIDGE_TOKEN")
      ->required();
  import_cmd->add_option("--report", import_options.report_path,
                         "write one JSON line per row here");
  import_cmd->add_flag("!--no_progress", import_options.progress, "no progress bar on stderr");
  import_cmd
      ->add_option("--retries", import_options.retries,
                   "times to send the rows not answered again after UNAVAILABLE or "
                   "RESOURCE_EXHAUSTED (waiting 1, 2, 4, 8, 16 s ...)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  const auto timeout = std::chrono::seconds(5);

  if (*keygen) {
    auto keys = platform::GenerateRsaKeyPair();
    if (!keys.ok()) return PrintError("INTERNAL", keys.status().ToString());
    std::ofstream(out_dir + "/jwt-private.pem") << keys->private_pem;
    std::ofstream(out_dir + "/jwt-public.pem") << keys->public_pem;
    return Print({{"private_key_file", out_dir + "/jwt-private.pem"},
                  {"public_key_file", out_dir + "/jwt-public.pem"}});
  }
  if (*token) {
    common::v1::Role r = platform::RoleFromName(role);
    if (r == common::v1::ROLE_UNSPECIFIED)
      return PrintError("INVALID_ARGUMENT", "unknown --role " + role);
    std::string pem = ReadFile(private_key_file);
    if (pem.empty())
      return PrintError("INVALID_ARGUMENT", "cannot read --private_key_file " + private_key_file);
    platform::TokenIssuer issuer_obj(pem, issuer, audience);
    absl::Time now = absl::Now();
    auto t = issuer_obj.Issue({subject, r, scope}, now, absl::Minutes(ttl_minutes));
    if (!t.ok()) return PrintError("INVALID_ARGUMENT", t.status().ToString());
    return Print(
        {{"token", *t},
         {"subject", subject},
         {"role", role},
         {"scope", scope},
         {"expires_at", absl::FormatTime(absl::RFC3339_sec, now + absl::Minutes(ttl_minutes),
                                         absl::UTCTimeZone())}});
  }
  if (*health) {
    auto status = gridctl::CheckHealth(Connect(target), service, timeout);
    if (!status.ok())
      return PrintError(absl::StatusCodeToString(status.status().code()),
                        std::string(status.status().message()));
    return Print({{"target", target}, {"service", service}, {"status", *status}},
                 *status == "SERVING" ? 0 : 1);
  }
  if (*services) {
    auto names = gridctl::ListServices(Connect(target), timeout);
    if (!names.ok())
      return PrintError(absl::StatusCodeToString(names.status().code()),
                        std::string(names.status().message()));
    return Print({{"target", target}, {"services", *names}});
  }
  if (*import_cmd) {
    int code = 0;
    std::cout << gridctl::ImportCsv(import_options, &code).dump() << std::endl;
    return code;
  }
  if (*intake_cmd) {
    const std::string rpc = intake_cmd->get_subcommands().front()->get_name();
    auto result =
        gridctl::CallIntake(intake_target, rpc, bearer, ReadJsonArg(request_json), timeout);
    std::cout << result.json << std::endl;
    return result.exit_code;
  }
  if (*risk_set) {
    const std::string list = ReadFile(risk_areas_file);
    if (list.empty()) return PrintError("INVALID_ARGUMENT", "cannot read " + risk_areas_file);
    if (risk_request_id.empty()) risk_request_id = "risk-areas-" + ContentDigest(list);
    auto result = gridctl::CallScreening(
        screening_target, "set-risk-areas", bearer,
        "{\"request_id\":" + nlohmann::json(risk_request_id).dump() + ",\"list\":" + list + "}",
        timeout);
    std::cout << result.json << std::endl;
    return result.exit_code;
  }
  if (*screening_cmd) {
    const std::string rpc = screening_cmd->get_subcommands().front()->get_name();
    auto result =
        gridctl::CallScreening(screening_target, rpc, bearer, ReadJsonArg(request_json), timeout);
    std::cout << result.json << std::endl;
    return result.exit_code;
  }
  if (*whoami) {
    auto stub = testing::v1::EchoService::NewStub(Connect(target));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    context.AddMetadata("authorization", "Bearer " + bearer);
    testing::v1::WhoAmIRequest request;
    request.set_grid_id(grid);
    testing::v1::WhoAmIResponse response;
    grpc::Status s = stub->WhoAmI(&context, request, &response);
    if (!s.ok()) return PrintError(gridctl::StatusCodeName(s.error_code()), s.error_message());
    return Print({{"subject", response.actor().subject()},
                  {"role", platform::RoleName(response.actor().role())},
                  {"scope", response.actor().scope_id()}});
  }
  return 2;
}
