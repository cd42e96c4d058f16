#include "screening_store.h"

#include <array>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "event_records.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wire_format_lite.h"
#include "gridbridge/screening/v1/events.pb.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

const char* CounterOf(v1::MeasureType type) {
  switch (type) {
    case v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION:
      return "centralized_observation";
    case v1::MEASURE_TYPE_HOME_ISOLATION:
      return "home_isolation";
    case v1::MEASURE_TYPE_HEALTH_MONITORING:
      return "health_monitoring";
    default:
      return "unknown_measure";
  }
}

// The measure type a person is under now, or UNSPECIFIED.
v1::MeasureType CurrentType(const v1::Measure* m) {
  if (m == nullptr || m->status() != v1::MEASURE_STATUS_ACTIVE) {
    return v1::MEASURE_TYPE_UNSPECIFIED;
  }
  return m->plan().stages(m->stage_index()).type();
}

}  // namespace

namespace {

// A {v, p} record from the reply to HMGET key v p.
template <typename Message>
absl::StatusOr<ScreeningStore::Versioned<Message>> ParseRecord(const platform::RedisReply& reply,
                                                               const std::string& key) {
  if (reply.is_error() || reply.elements.size() != 2) {
    return absl::InternalError("reading " + key + ": " + reply.str);
  }
  ScreeningStore::Versioned<Message> out;
  if (reply.elements[0].is_nil()) return out;
  out.version = std::stoll(reply.elements[0].str);
  if (!out.value.ParseFromString(reply.elements[1].str)) {
    return absl::DataLossError(key + " does not parse");
  }
  return out;
}

template <typename Message>
absl::StatusOr<ScreeningStore::Versioned<Message>> ReadRecord(platform::RedisClient& redis,
                                                              const std::string& key) {
  auto reply = redis.Command({"HMGET", key, "v", "p"});
  if (!reply.ok()) return reply.status();
  return ParseRecord<Message>(*reply, key);
}

std::string DirectoryKey(std::string_view resident_id) {
  std::string key = "{screening:dir:";
  key += resident_id.substr(resident_id.empty() ? 0 : resident_id.size() - 1);
  key += "}:resident-grid";
  return key;
}

// Remembers that each resident is in its grid ((resident id, grid) pairs):
// one variadic HSET per directory hash, in the order the hashes first
// appear, the pairs in their order within it (a resident named twice keeps
// the later grid, as with one command each). A batch's thousands of people
// take a command per hash rather than one each: Redis pays per command for
// its dispatch, its reply and its AOF entry. CheckDirectoryWrites checks the
// replies of `count` such writes from `first` on.
std::vector<platform::RedisArgs> DirectoryWrites(
    const std::vector<std::pair<std::string_view, std::string_view>>& residents) {
  std::vector<platform::RedisArgs> commands;
  absl::flat_hash_map<std::string, size_t> command_of;  // directory hash -> its command
  for (const auto& [rid, grid] : residents) {
    auto [it, added] = command_of.try_emplace(DirectoryKey(rid), commands.size());
    if (added) commands.push_back({"HSET", it->first});
    commands[it->second].emplace_back(rid);
    commands[it->second].emplace_back(grid);
  }
  return commands;
}
absl::Status CheckDirectoryWrites(const std::vector<platform::RedisReply>& replies, size_t first,
                                  size_t count) {
  for (size_t c = first; c < first + count; ++c) {
    if (replies[c].is_error()) return absl::InternalError("screening directory: " + replies[c].str);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ScreeningStore::Versioned<v1::PersonStatus>> ScreeningStore::GetPerson(
    const std::string& grid_id, const std::string& resident_id) {
  return ReadRecord<v1::PersonStatus>(redis_, PersonKey(grid_id, resident_id));
}

absl::StatusOr<std::vector<ScreeningStore::PersonRead>> ScreeningStore::GetPersons(
    const std::vector<std::pair<std::string, std::string>>& people,
    const std::vector<std::string>& fields, absl::Time now, bool remember_grids) {
  std::vector<platform::RedisArgs> commands;
  commands.reserve(people.size() * (remember_grids ? 2 : 1));
  for (const auto& [grid, rid] : people)
    commands.push_back({"HMGET", PersonKey(grid, rid), "v", "p"});
  // After the reads (their replies keep the people's indices); Redis runs
  // a connection's commands in order, so the grids are remembered before
  // any decision the caller commits next.
  const size_t first_remember = commands.size();
  size_t remember_commands = 0;
  if (remember_grids) {
    std::vector<std::pair<std::string_view, std::string_view>> residents;
    residents.reserve(people.size());
    for (const auto& [grid, rid] : people) residents.emplace_back(rid, grid);
    for (auto& write : DirectoryWrites(residents)) {
      commands.push_back(std::move(write));
      ++remember_commands;
    }
  }
  // One HMGET per grid and request bucket (current, previous) for the
  // fields asked, in the order the grids first appear; (command, element)
  // of each person's field in the current bucket (the previous one's
  // command follows it).
  std::vector<std::pair<size_t, size_t>> field_at(people.size(), {0, 0});
  absl::flat_hash_map<std::string_view, size_t> grid_command;
  for (size_t i = 0; i < people.size() && i < fields.size(); ++i) {
    if (fields[i].empty()) continue;
    auto [it, added] = grid_command.try_emplace(people[i].first, commands.size());
    if (added) {
      auto [current, previous] =
          platform::GridTransaction::RequestBuckets(Keys(people[i].first), now);
      commands.push_back({"HMGET", std::move(current)});
      commands.push_back({"HMGET", std::move(previous)});
    }
    field_at[i] = {it->second, commands[it->second].size()};
    commands[it->second].push_back(fields[i]);
    commands[it->second + 1].push_back(fields[i]);
  }
  auto replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (absl::Status st = CheckDirectoryWrites(*replies, first_remember, remember_commands);
      !st.ok()) {
    return st;
  }
  std::vector<PersonRead> out(people.size());
  for (size_t i = 0; i < people.size(); ++i) {
    auto person = ParseRecord<v1::PersonStatus>((*replies)[i], commands[i][1]);
    if (!person.ok()) return person.status();
    out[i].person = std::move(*person);
    const auto [command, element] = field_at[i];
    if (command == 0) continue;
    // HMGET answers one element per field, after the command and key.
    for (size_t c : {command, command + 1}) {
      const auto& reply = (*replies)[c];
      if (reply.type != platform::RedisReply::Type::kArray ||
          reply.elements.size() != commands[c].size() - 2) {
        return absl::InternalError("unexpected reply to " + commands[c][1]);
      }
      const auto& value = reply.elements[element - 2];
      if (!value.is_nil()) {
        out[i].remembered = value.str;
        break;
      }
    }
  }
  return out;
}

absl::StatusOr<ScreeningStore::Versioned<v1::RiskAreaList>> ScreeningStore::GetRiskAreas() {
  return ReadRecord<v1::RiskAreaList>(redis_, RiskAreasKey());
}

absl::StatusOr<std::optional<std::string>> ScreeningStore::FindGrid(
    const std::string& resident_id) {
  auto reply = redis_.Command({"HGET", DirectoryKey(resident_id), resident_id});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(reply->str);
}

absl::StatusOr<std::vector<bool>> ScreeningStore::HasArrivals(
    const std::vector<std::pair<std::string, std::string>>& grid_members) {
  std::vector<platform::RedisArgs> commands;
  commands.reserve(grid_members.size());
  for (const auto& [grid, member] : grid_members) {
    commands.push_back({"ZSCORE", Keys(grid).Key("arrivals"), member});
  }
  auto replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<bool> out;
  out.reserve(replies->size());
  for (const auto& reply : *replies) out.push_back(!reply.is_nil());
  return out;
}

absl::Status ScreeningStore::RememberGrids(
    const std::vector<std::pair<std::string, std::string>>& people) {
  const std::vector<platform::RedisArgs> commands = DirectoryWrites({people.begin(), people.end()});
  auto replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  return CheckDirectoryWrites(*replies, 0, commands.size());
}

absl::StatusOr<std::vector<v1::Measure>> ScreeningStore::ListActiveMeasures(
    const std::string& grid_id, const std::string& cursor, int limit) {
  long long after_ms = -1;
  std::string after_id;
  if (!cursor.empty()) {
    size_t colon = cursor.find(':');
    after_ms = std::stoll(cursor.substr(0, colon));
    after_id = cursor.substr(colon + 1);
  }
  std::vector<std::pair<std::string, std::string>> ids;
  // Many measures end at the same midnight: skip the ties up to the cursor.
  long long offset = 0;
  while (static_cast<int>(ids.size()) < limit) {
    const int chunk = 500;
    auto reply =
        redis_.Command({"ZRANGEBYSCORE", Keys(grid_id).Key("due"),
                        after_ms < 0 ? "-inf" : std::to_string(after_ms), "+inf", "WITHSCORES",
                        "LIMIT", std::to_string(offset), std::to_string(chunk)});
    if (!reply.ok()) return reply.status();
    const auto& e = reply->elements;
    for (size_t i = 0; i + 1 < e.size() && static_cast<int>(ids.size()) < limit; i += 2) {
      const long long score = std::stoll(e[i + 1].str);
      if (score == after_ms && e[i].str <= after_id) continue;
      ids.emplace_back(grid_id, e[i].str);
    }
    if (static_cast<int>(e.size()) < 2 * chunk) break;
    offset += chunk;
  }
  auto measures = GetMeasures(ids);
  if (!measures.ok()) return measures.status();
  std::vector<v1::Measure> out;
  for (auto& m : *measures) {
    if (m.has_value()) out.push_back(std::move(*m));
  }
  return out;
}

namespace {

// Starts every `arrivals` member that holds the record itself; an arrival
// id (the members written before) never starts with it.
constexpr char kArrivalMemberMarker = '\x01';

}  // namespace

std::string ScreeningStore::ArrivalMember(const intake::v1::Arrival& arrival) {
  std::string member(1, kArrivalMemberMarker);
  arrival.AppendToString(&member);
  return member;
}

std::string ScreeningStore::ArrivalMember(std::string_view serialized_arrival) {
  std::string member;
  member.reserve(1 + serialized_arrival.size());
  member.push_back(kArrivalMemberMarker);
  member.append(serialized_arrival);
  return member;
}

absl::StatusOr<std::vector<ScreeningStore::ArrivalToRescreen>> ScreeningStore::ArrivalsSince(
    const std::vector<std::string>& grids, absl::Time since) {
  std::vector<platform::RedisArgs> ranges;
  for (const auto& g : grids) {
    ranges.push_back({"ZRANGEBYSCORE", Keys(g).Key("arrivals"),
                      std::to_string(absl::ToUnixMillis(since)), "+inf"});
  }
  auto members = redis_.Pipeline(ranges);
  if (!members.ok()) return members.status();
  std::vector<ArrivalToRescreen> out;
  std::vector<std::string> grid_of;  // per arrival of `out`
  // Members that are ids (written before records became members): their
  // records are read from their keys in one more round trip.
  std::vector<platform::RedisArgs> legacy_reads;
  std::vector<std::string> legacy_grid_of;
  for (size_t i = 0; i < grids.size(); ++i) {
    for (const auto& m : (*members)[i].elements) {
      if (m.str.empty() || m.str[0] != kArrivalMemberMarker) {
        legacy_reads.push_back({"HGET", Keys(grids[i]).Key("arrival", m.str), "p"});
        legacy_grid_of.push_back(grids[i]);
        continue;
      }
      ArrivalToRescreen a;
      if (!a.arrival.ParseFromArray(m.str.data() + 1, static_cast<int>(m.str.size() - 1))) {
        return absl::DataLossError("an arrival of grid " + grids[i] + " does not parse");
      }
      out.push_back(std::move(a));
      grid_of.push_back(grids[i]);
    }
  }
  if (!legacy_reads.empty()) {
    auto records = redis_.Pipeline(legacy_reads);
    if (!records.ok()) return records.status();
    for (size_t i = 0; i < records->size(); ++i) {
      if ((*records)[i].is_nil()) continue;
      ArrivalToRescreen a;
      if (!a.arrival.ParseFromString((*records)[i].str)) {
        return absl::DataLossError("an arrival record of grid " + legacy_grid_of[i] +
                                   " does not parse");
      }
      out.push_back(std::move(a));
      grid_of.push_back(legacy_grid_of[i]);
    }
  }
  // Each arrival once: the same arrival may be a member twice (written in
  // both forms across an upgrade, or serialized differently by another
  // version of the service).
  absl::flat_hash_set<std::string> seen;
  size_t kept = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!seen.insert(out[i].arrival.arrival_id()).second) continue;
    if (kept != i) {
      out[kept] = std::move(out[i]);
      grid_of[kept] = std::move(grid_of[i]);
    }
    ++kept;
  }
  out.resize(kept);
  grid_of.resize(kept);
  // The records of their people.
  std::vector<platform::RedisArgs> people;
  for (size_t i = 0; i < out.size(); ++i) {
    people.push_back({"HMGET", PersonKey(grid_of[i], out[i].arrival.resident_id()), "v", "p"});
  }
  auto records = redis_.Pipeline(people);
  if (!records.ok()) return records.status();
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& r = (*records)[i];
    if (r.elements.size() != 2 || r.elements[0].is_nil()) continue;
    out[i].person.version = std::stoll(r.elements[0].str);
    out[i].person.value.ParseFromString(r.elements[1].str);
  }
  return out;
}

absl::StatusOr<v1::GridScreening> ScreeningStore::GetGridScreening(const std::string& grid_id) {
  auto reply = redis_.Command({"HGETALL", Keys(grid_id).Key("counts")});
  if (!reply.ok()) return reply.status();
  v1::GridScreening out;
  out.set_grid_id(grid_id);
  const auto& e = reply->elements;
  for (size_t i = 0; i + 1 < e.size(); i += 2) {
    const long long n = std::stoll(e[i + 1].str);
    const std::string& f = e[i].str;
    if (f == "centralized_observation") out.set_centralized_observation(n);
    if (f == "home_isolation") out.set_home_isolation(n);
    if (f == "health_monitoring") out.set_health_monitoring(n);
    if (f == "measures_started") out.set_measures_started(n);
    if (f == "released") out.set_released(n);
    if (f == "decisions") out.set_decisions(n);
  }
  return out;
}

absl::StatusOr<std::vector<std::optional<v1::Measure>>> ScreeningStore::GetMeasures(
    const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<platform::RedisArgs> commands;
  for (const auto& [grid, id] : keys) commands.push_back({"HGET", MeasureKey(grid, id), "p"});
  auto replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  std::vector<std::optional<v1::Measure>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& r = (*replies)[i];
    if (r.is_error()) return absl::InternalError("reading a measure: " + r.str);
    if (r.is_nil()) continue;
    v1::Measure m;
    if (!m.ParseFromString(r.str)) {
      return absl::DataLossError("measure " + keys[i].second + " does not parse");
    }
    out[i] = std::move(m);
  }
  return out;
}

absl::StatusOr<ScreeningStore::Due> ScreeningStore::DueMeasures(
    const std::vector<std::string>& grids, absl::Time now, int limit_per_grid) {
  std::vector<platform::RedisArgs> commands;
  const std::string until = std::to_string(absl::ToUnixMillis(now));
  for (const auto& grid : grids) {
    commands.push_back({"ZRANGEBYSCORE", Keys(grid).Key("due"), "-inf", until, "WITHSCORES",
                        "LIMIT", "0", std::to_string(limit_per_grid)});
  }
  auto replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  Due out;
  for (size_t i = 0; i < grids.size(); ++i) {
    const auto& pairs = (*replies)[i].elements;  // id, score (Unix ms), id, score, ...
    if (pairs.size() % 2 != 0) return absl::InternalError("due timers: odd WITHSCORES reply");
    for (size_t k = 0; k < pairs.size(); k += 2) {
      out.measures.emplace_back(grids[i], pairs[k].str);
      double ms = 0;
      if (!absl::SimpleAtod(pairs[k + 1].str, &ms)) {
        return absl::InternalError("due timers: score " + pairs[k + 1].str);
      }
      const absl::Time due = absl::FromUnixMillis(static_cast<int64_t>(ms));
      if (!out.oldest || due < *out.oldest) out.oldest = due;
    }
  }
  return out;
}

absl::StatusOr<platform::GridTransaction::Outcomes> ScreeningStore::CommitAll(
    const std::vector<platform::GridTransaction>& txns) {
  return platform::GridTransaction::CommitAll(redis_, txns);
}

absl::StatusOr<platform::GridTransaction::Outcomes> ScreeningStore::CommitAll(
    std::vector<platform::GridTransaction>&& txns) {
  return platform::GridTransaction::CommitAll(redis_, std::move(txns));
}

absl::StatusOr<platform::GridTransaction::Outcomes> ScreeningStore::CommitAllWith(
    std::vector<platform::GridTransaction>&& txns,
    const std::vector<std::pair<std::string, std::string>>& remember,
    const std::vector<platform::RedisArgs>& reads,
    std::vector<platform::RedisReply>* read_replies) {
  return platform::GridTransaction::Prepare(txns).Send(
      redis_, DirectoryWrites({remember.begin(), remember.end()}), reads, read_replies);
}

std::string MeasureIdFor(const std::string& grid_id, const std::string& arrival_id) {
  return "m." + grid_id + "." + arrival_id;
}

std::string VenueIdFor(const std::string& grid_id, const std::string& suffix) {
  return "v." + grid_id + "." + suffix;
}

std::string GridOfScopedId(char kind, const std::string& id) {
  std::vector<std::string> parts = absl::StrSplit(id, '.');
  if (parts.size() != 3 || parts[0] != std::string(1, kind) || parts[1].empty() ||
      parts[2].empty()) {
    return "";
  }
  return parts[1];
}

std::string GridOfMeasureId(const std::string& measure_id) {
  return GridOfScopedId('m', measure_id);
}

absl::StatusOr<ScreeningStore::Versioned<v1::Venue>> ScreeningStore::GetVenue(
    const std::string& venue_id) {
  const std::string grid = GridOfScopedId('v', venue_id);
  if (grid.empty()) return Versioned<v1::Venue>();
  return ReadRecord<v1::Venue>(redis_, Keys(grid).Key("venue", venue_id));
}

absl::Status ScreeningStore::RecordScan(const VenueScan& scan, absl::Time now) {
  const std::string ms = std::to_string(absl::ToUnixMillis(scan.at));
  const std::string trim = "(" + std::to_string(absl::ToUnixMillis(now - absl::Hours(24 * 15)));
  const std::string venue_grid = GridOfScopedId('v', scan.venue_id);
  const std::string at_venue = Keys(venue_grid).Key("scans", scan.venue_id);
  const std::string of_person = Keys(scan.person_grid).Key("venue-visits", scan.resident_id);
  // Two grids, two slots: plain idempotent ZADDs (the same scan is the same
  // member), no script. Scans carry no event: they are evidence kept 15
  // days, not changes anyone subscribes to.
  auto replies = redis_.Pipeline({
      {"ZADD", at_venue, ms, scan.person_grid + "|" + scan.resident_id + "|" + ms},
      {"ZREMRANGEBYSCORE", at_venue, "-inf", trim},
      {"ZADD", of_person, ms, venue_grid + "|" + scan.venue_id + "|" + ms},
      {"ZREMRANGEBYSCORE", of_person, "-inf", trim},
  });
  if (!replies.ok()) return replies.status();
  for (const auto& r : *replies) {
    if (r.is_error()) return absl::InternalError("recording a scan: " + r.str);
  }
  return absl::OkStatus();
}

namespace {

// Parses "<grid>|<id>|<ms>" members.
std::vector<std::array<std::string, 3>> Members(const platform::RedisReply& reply) {
  std::vector<std::array<std::string, 3>> out;
  for (const auto& e : reply.elements) {
    std::vector<std::string> parts = absl::StrSplit(e.str, '|');
    if (parts.size() == 3) out.push_back({parts[0], parts[1], parts[2]});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ScreeningStore::VenueScan>> ScreeningStore::ScansBy(
    const std::string& person_grid, const std::string& resident_id, absl::Time since) {
  auto reply = redis_.Command({"ZRANGEBYSCORE", Keys(person_grid).Key("venue-visits", resident_id),
                               std::to_string(absl::ToUnixMillis(since)), "+inf"});
  if (!reply.ok()) return reply.status();
  std::vector<VenueScan> out;
  for (const auto& [grid, venue, ms] : Members(*reply)) {
    out.push_back({venue, person_grid, resident_id, absl::FromUnixMillis(std::stoll(ms))});
  }
  return out;
}

absl::StatusOr<std::vector<ScreeningStore::VenueScan>> ScreeningStore::ScansAt(
    const std::string& venue_id, absl::Time from, absl::Time to) {
  const std::string grid = GridOfScopedId('v', venue_id);
  auto reply = redis_.Command({"ZRANGEBYSCORE", Keys(grid).Key("scans", venue_id),
                               std::to_string(absl::ToUnixMillis(from)),
                               std::to_string(absl::ToUnixMillis(to))});
  if (!reply.ok()) return reply.status();
  std::vector<VenueScan> out;
  for (const auto& [person_grid, rid, ms] : Members(*reply)) {
    out.push_back({venue_id, person_grid, rid, absl::FromUnixMillis(std::stoll(ms))});
  }
  return out;
}

std::string MeasureChangedBytes(const common::v1::EventMeta& meta, std::string_view measure,
                                const v1::MeasureChange& change) {
  using google::protobuf::io::CodedOutputStream;
  using Wire = google::protobuf::internal::WireFormatLite;
  // Fields 1 meta, 2 measure, 3 change (events.proto), in that order as the
  // generated code writes them; each length-delimited with a one-byte tag.
  const size_t meta_size = meta.ByteSizeLong(), change_size = change.ByteSizeLong();
  auto field = [](size_t n) { return 1 + CodedOutputStream::VarintSize64(n) + n; };
  auto head = [](int number, size_t n, uint8_t* p) {
    p = Wire::WriteTagToArray(number, Wire::WIRETYPE_LENGTH_DELIMITED, p);
    return CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(n), p);
  };
  std::string out(field(meta_size) + field(measure.size()) + field(change_size), '\0');
  uint8_t* p = reinterpret_cast<uint8_t*>(out.data());
  p = meta.SerializeWithCachedSizesToArray(head(1, meta_size, p));
  p = head(2, measure.size(), p);
  std::memcpy(p, measure.data(), measure.size());
  change.SerializeWithCachedSizesToArray(head(3, change_size, p + measure.size()));
  return out;
}

void AddMeasureChange(platform::GridTransaction& txn, const v1::Measure* before,
                      const v1::Measure& after, const common::v1::Actor& actor, absl::Time now) {
  const std::string& grid = after.grid_id();
  const platform::GridKeys k = ScreeningStore::Keys(grid);
  const std::string key = ScreeningStore::MeasureKey(grid, after.measure_id());
  const std::string measure = after.SerializeAsString();  // the record's and the events'
  txn.ExpectVersion(key, before == nullptr ? 0 : before->version());
  txn.PutRecord(key, after.version(), measure);
  if (after.status() == v1::MEASURE_STATUS_ACTIVE) {
    txn.ZAdd(k.Key("due"), TimeUtil::TimestampToMilliseconds(after.stage_ends_at()),
             after.measure_id());
  } else {
    txn.ZRemove(k.Key("due"), after.measure_id());
  }
  const v1::MeasureType was = CurrentType(before), is = CurrentType(&after);
  if (was != is) {
    if (was != v1::MEASURE_TYPE_UNSPECIFIED) txn.HashIncrement(k.Key("counts"), CounterOf(was), -1);
    if (is != v1::MEASURE_TYPE_UNSPECIFIED) txn.HashIncrement(k.Key("counts"), CounterOf(is), 1);
  }
  if (before == nullptr) txn.HashIncrement(k.Key("counts"), "measures_started", 1);
  if (after.status() == v1::MEASURE_STATUS_RELEASED &&
      (before == nullptr || before->status() != v1::MEASURE_STATUS_RELEASED)) {
    txn.HashIncrement(k.Key("counts"), "released", 1);
  }

  // One event per change this transaction made, each with the version it
  // produced, so consumers can order and dedupe them.
  const int first_new = before == nullptr ? 0 : before->history_size();
  const long long first_version = after.version() - (after.history_size() - first_new) + 1;
  for (int i = first_new; i < after.history_size(); ++i) {
    const long long version = first_version + (i - first_new);
    const common::v1::EventMeta meta =
        platform::NewEventMeta(after.measure_id(), version, grid, actor, now);
    txn.PublishFrame(platform::EventFrame(
        kMeasureTopic, after.resident_id(), v1::MeasureChanged::descriptor()->full_name(),
        MeasureChangedBytes(meta, measure, after.history(i)), meta, kEventSource));
    const v1::MeasureChange& c = after.history(i);
    const bool begins_stage = c.kind() == v1::MEASURE_CHANGE_KIND_STARTED ||
                              c.kind() == v1::MEASURE_CHANGE_KIND_STAGE_CHANGED ||
                              c.kind() == v1::MEASURE_CHANGE_KIND_ESCALATED;
    if (!begins_stage) continue;
    const v1::MeasureType type = after.plan().stages(c.stage_index()).type();
    if (type != v1::MEASURE_TYPE_HOME_ISOLATION) continue;
    v1::CareRequested care;
    *care.mutable_meta() = platform::NewEventMeta(after.measure_id(), version, grid, actor, now);
    care.set_resident_id(after.resident_id());
    care.set_grid_id(grid);
    care.set_measure_id(after.measure_id());
    care.set_measure_type(type);
    *care.mutable_starts_at() = c.at();
    *care.mutable_ends_at() = c.stage_ends_at();
    txn.PublishFrame(
        platform::EventFrame(kCareRequestTopic, grid, care, care.meta(), kEventSource));
  }
}

}  // namespace gridbridge::screening
