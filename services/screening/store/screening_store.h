#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grid_transaction.h"
#include "gridbridge/common/v1/actor.pb.h"
#include "gridbridge/common/v1/event.pb.h"
#include "gridbridge/intake/v1/ledger.pb.h"
#include "gridbridge/screening/v1/measure.pb.h"
#include "gridbridge/screening/v1/risk_area.pb.h"
#include "gridbridge/screening/v1/screening_service.pb.h"
#include "redis_client.h"
#include "redis_keys.h"

namespace gridbridge::screening {

inline constexpr char kMeasureTopic[] = "gridbridge.screening.measure.v1";
inline constexpr char kCareRequestTopic[] = "gridbridge.screening.care-request.v1";
inline constexpr char kDecisionTopic[] = "gridbridge.screening.decision.v1";
inline constexpr char kRiskAreasTopic[] = "gridbridge.screening.risk-areas.v1";
inline constexpr char kExposureTopic[] = "gridbridge.screening.exposure.v1";
inline constexpr char kEventSource[] = "/gridbridge/screening";

// Screening's Redis keyspace. Per grid (hash tag {grid:<id>}, service
// "screening"):
//   measure:<id>   hash {v, p}: the Measure
//   due            zset measure id -> unix ms when its current stage ends;
//                  ACTIVE measures only: the timers (see MeasureTimer)
//   counts         hash: people per current measure type
//                  (centralized_observation, home_isolation,
//                  health_monitoring) and measures_started, released,
//                  decisions (decision events recorded)
//   person:<rid>   hash {v, p}: PersonStatus (measure holds the id only)
//   arrivals       zset of intake's Arrivals as screened (no plate, no
//                  destination), each member a marker byte and the
//                  serialized Arrival (ArrivalMember), scored by arrival
//                  time (unix ms), trimmed to 30 days: what a risk-area
//                  change re-screens. Written before session 10 as the
//                  arrival id with the record in arrival:<id> (hash {v, p},
//                  expiring 31 days after the arrival): still read, so
//                  those are re-screened until they leave the window.
//   rescreened     (unit risk-areas only) the list version last re-screened
//   requests:<day>, outbox, outbox-lease   see platform/grid_transaction.h
// The risk-area list lives in the unit "risk-areas" ({grid:risk-areas}:
// screening:list, hash {v, p}), with its own outbox. Outside the units, a
// directory of the people screening has seen: {screening:dir:<c>}:
// resident-grid, hash resident id -> grid, sharded by the id's last
// character (so GetPersonStatus needs only the resident id).
//
// Thread-safe (RedisClient is). Errors: UNAVAILABLE when Redis is down.
class ScreeningStore {
 public:
  static constexpr char kService[] = "screening";

  explicit ScreeningStore(platform::RedisClient& redis) : redis_(redis) {}

  static platform::GridKeys Keys(const std::string& grid_id) {
    return platform::GridKeys(kService, grid_id);
  }
  static std::string MeasureKey(const std::string& grid_id, const std::string& measure_id) {
    return Keys(grid_id).Key("measure", measure_id);
  }
  static std::string PersonKey(const std::string& grid_id, const std::string& resident_id) {
    return PersonKey(Keys(grid_id), resident_id);
  }
  static std::string PersonKey(const platform::GridKeys& keys, const std::string& resident_id) {
    return keys.Key("person", resident_id);
  }
  // An arrival as its grid's `arrivals` member: the record itself, so that
  // deciding an arrival writes one sorted-set member (no key of its own,
  // no expiry) and a re-screen reads the records with the range.
  static std::string ArrivalMember(const intake::v1::Arrival& arrival);
  // The same of an arrival already serialized.
  static std::string ArrivalMember(std::string_view serialized_arrival);
  // The unit holding the risk-area list and its outbox.
  static constexpr char kRiskAreasUnit[] = "risk-areas";
  static std::string RiskAreasKey() { return Keys(kRiskAreasUnit).Key("list"); }

  // A record with the version it was read at (0: absent).
  template <typename Message>
  struct Versioned {
    long long version = 0;
    Message value;
  };

  absl::StatusOr<Versioned<v1::PersonStatus>> GetPerson(const std::string& grid_id,
                                                        const std::string& resident_id);
  // Many (grid_id, resident_id) records in one round trip, each with the
  // response its grid's request log remembers at `now` for `fields[i]`
  // (nullopt: none, or an empty field): a decision made before (a retried
  // check, the event of an arrival decided at the checkpoint) is answered
  // from it, without building and committing another.
  struct PersonRead {
    Versioned<v1::PersonStatus> person;
    std::optional<std::string> remembered;
  };
  // With `remember_grids`, each person's grid is also remembered (see
  // RememberGrids), in the same round trip, before anything the caller
  // commits next.
  absl::StatusOr<std::vector<PersonRead>> GetPersons(
      const std::vector<std::pair<std::string, std::string>>& people,
      const std::vector<std::string>& fields, absl::Time now, bool remember_grids = false);
  absl::StatusOr<Versioned<v1::RiskAreaList>> GetRiskAreas();

  // The grid screening has seen the person in, if any.
  absl::StatusOr<std::optional<std::string>> FindGrid(const std::string& resident_id);
  // Remembers (resident id, grid) pairs, in one round trip.
  absl::Status RememberGrids(const std::vector<std::pair<std::string, std::string>>& people);

  // Active measures of a grid ordered by stage end, after the (stage end
  // ms, measure id) cursor (empty: from the start); at most `limit`.
  absl::StatusOr<std::vector<v1::Measure>> ListActiveMeasures(const std::string& grid_id,
                                                              const std::string& cursor, int limit);
  // Arrivals of the grids at or after `since` (each once), with their
  // people's records.
  struct ArrivalToRescreen {
    intake::v1::Arrival arrival;
    Versioned<v1::PersonStatus> person;
  };
  absl::StatusOr<std::vector<ArrivalToRescreen>> ArrivalsSince(
      const std::vector<std::string>& grids, absl::Time since);
  // Whether each (grid, member) is among its grid's kept arrivals (member:
  // ArrivalMember): an arrival decided before, while its time is in the
  // kept window. One round trip.
  absl::StatusOr<std::vector<bool>> HasArrivals(
      const std::vector<std::pair<std::string, std::string>>& grid_members);

  // Venues (场所码): the record lives in the venue's grid; scans are kept
  // twice, per venue ({venue grid} scans:<venue id>) and per person
  // ({person grid} venue-visits:<resident id>), for 15 days.
  absl::StatusOr<Versioned<v1::Venue>> GetVenue(const std::string& venue_id);
  struct VenueScan {
    std::string venue_id;
    std::string person_grid;
    std::string resident_id;
    absl::Time at;
  };
  absl::Status RecordScan(const VenueScan& scan, absl::Time now);
  // A person's scans since `since`.
  absl::StatusOr<std::vector<VenueScan>> ScansBy(const std::string& person_grid,
                                                 const std::string& resident_id, absl::Time since);
  // The scans of a venue within [from, to].
  absl::StatusOr<std::vector<VenueScan>> ScansAt(const std::string& venue_id, absl::Time from,
                                                 absl::Time to);

  // The grid's counters.
  absl::StatusOr<v1::GridScreening> GetGridScreening(const std::string& grid_id);

  // Many (grid_id, measure_id) lookups in one round trip.
  absl::StatusOr<std::vector<std::optional<v1::Measure>>> GetMeasures(
      const std::vector<std::pair<std::string, std::string>>& keys);

  // Measures whose current stage ended at or before some time.
  struct Due {
    std::vector<std::pair<std::string, std::string>> measures;  // (grid_id, measure_id)
    std::optional<absl::Time> oldest;  // when the longest-waiting of them fell due
  };
  // The measures due at `now`, at most `limit_per_grid` per grid (the
  // longest-waiting first), in one round trip.
  absl::StatusOr<Due> DueMeasures(const std::vector<std::string>& grids, absl::Time now,
                                  int limit_per_grid);

  absl::StatusOr<platform::GridTransaction::Outcomes> CommitAll(
      const std::vector<platform::GridTransaction>& txns);
  // The same, moving the transactions' bytes into the command (`txns` are
  // left without them): for callers done with them.
  absl::StatusOr<platform::GridTransaction::Outcomes> CommitAll(
      std::vector<platform::GridTransaction>&& txns);
  // The moving CommitAll, with (resident id, grid) pairs remembered (as by
  // RememberGrids) in the same round trip, before anything the commit makes
  // visible, and `reads` run after the commit in it, their replies put in
  // `read_replies` (see GridTransaction::PreparedCommit::Send).
  absl::StatusOr<platform::GridTransaction::Outcomes> CommitAllWith(
      std::vector<platform::GridTransaction>&& txns,
      const std::vector<std::pair<std::string, std::string>>& remember,
      const std::vector<platform::RedisArgs>& reads = {},
      std::vector<platform::RedisReply>* read_replies = nullptr);
  // For transactions without a request field (GridTransaction::CommitWatched).
  absl::StatusOr<platform::GridTransaction::Outcomes> CommitWatched(
      const std::vector<platform::GridTransaction>& txns) {
    return platform::GridTransaction::CommitWatched(redis_, txns);
  }
  absl::StatusOr<platform::GridTransaction::Outcome> Commit(const platform::GridTransaction& txn) {
    return platform::GridTransaction::Commit(redis_, txn);
  }

 private:
  platform::RedisClient& redis_;
};

// Measure ids carry their grid ("m.<grid>.<arrival id>"), so that a
// measure is found from its id alone; clients treat them as opaque.
std::string MeasureIdFor(const std::string& grid_id, const std::string& arrival_id);
// The grid of a measure id, or empty if it is not one.
std::string GridOfMeasureId(const std::string& measure_id);
// Venue ids carry their grid too: "v.<grid>.<suffix>".
std::string VenueIdFor(const std::string& grid_id, const std::string& suffix);
// The grid of a "<kind>.<grid>.<suffix>" id, or empty.
std::string GridOfScopedId(char kind, const std::string& id);

// Adds to `txn` the change of a measure from `before` (nullptr: new) to
// `after`: the record (guarded by before's version), its timer, the
// per-type counters, one MeasureChanged event per history entry `after`
// added, and a CareRequested event when a home-isolation stage begins (the
// care link to relief). `actor` is recorded in the events' meta.
void AddMeasureChange(platform::GridTransaction& txn, const v1::Measure* before,
                      const v1::Measure& after, const common::v1::Actor& actor, absl::Time now);

// The bytes of a MeasureChanged event with `meta`, the measure whose bytes
// are `measure` and `change`: what setting the three fields and serializing
// gives, without copying the measure into the event and serializing it a
// second time (its record has the bytes already).
std::string MeasureChangedBytes(const common::v1::EventMeta& meta, std::string_view measure,
                                const v1::MeasureChange& change);

}  // namespace gridbridge::screening
