#include "screening_service.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cloud_events.h"
#include "decision_recorder.h"
#include "event_records.h"
#include "google/protobuf/util/time_util.h"
#include "gridbridge/screening/v1/events.pb.h"
#include "grpc_auth.h"
#include "grpc_server.h"
#include "measure_lifecycle.h"
#include "metrics.h"
#include "paging.h"
#include "text_checks.h"

namespace gridbridge::screening {
namespace {

// Where a checkpoint call's time goes, for the dashboards: recording the
// arrivals through intake, then deciding and committing.
prometheus::Histogram& CheckpointStage(const std::string& stage) {
  static auto& family = prometheus::BuildHistogram()
                            .Name("gridbridge_screening_checkpoint_stage_seconds")
                            .Help(
                                "ScreenArrival time per stage: intake (recording the arrivals "
                                "through intake), decide (reads, decisions and the commit)")
                            .Register(platform::Metrics());
  static auto& intake = family.Add({{"stage", "intake"}}, platform::LatencyBuckets());
  static auto& decide = family.Add({{"stage", "decide"}}, platform::LatencyBuckets());
  return stage == "intake" ? intake : decide;
}

double SecondsSince(absl::Time t) { return absl::ToDoubleSeconds(absl::Now() - t); }

using platform::Caller;
using platform::GridTransaction;
using Outcome = GridTransaction::Outcome;
using google::protobuf::util::TimeUtil;

constexpr int kMaxPeople = 60;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}
google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

absl::Status WriteAllowed(const Caller& caller) {
  if (!platform::Authorizer::MaySeePersonalData(caller)) {
    return absl::PermissionDeniedError("analysts may read screening figures only");
  }
  return absl::OkStatus();
}

std::string RequestField(const Caller& caller, const std::string& request_id) {
  return caller.subject + ":" + request_id;
}

absl::Status Prefixed(const std::string& prefix, const absl::Status& s) {
  return absl::Status(s.code(), prefix + std::string(s.message()));
}

// The bearer credentials of the call, forwarded to intake.
std::string Authorization(const grpc::ServerContext& context) {
  auto it = context.client_metadata().find("authorization");
  return it == context.client_metadata().end() ? ""
                                               : std::string(it->second.data(), it->second.size());
}

}  // namespace

grpc::Status ScreeningServiceImpl::ScreenArrival(grpc::ServerContext* context,
                                                 const v1::ScreenArrivalRequest* request,
                                                 v1::ScreenArrivalResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    if (absl::Status s = platform::CheckRequestId("request_id", request->request_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    if (request->people_size() < 1 || request->people_size() > kMaxPeople) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "people: 1..60 people per check");
    }
    const absl::Time now = deps_.clock.Now();
    // Everything that can be checked without intake, before anything is
    // recorded: scope, divisions, dates.
    for (int i = 0; i < request->people_size(); ++i) {
      const auto& person = request->people(i);
      const std::string at = absl::StrCat("people[", i, "].");
      if (absl::Status s =
              deps_.authorizer.CheckGridAccess(caller, person.grid_id(), at + "grid_id");
          !s.ok()) {
        return platform::ToGrpcStatus(s);
      }
      if (!person.has_arrival_time()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, at + "arrival_time: required");
      }
      if (absl::Status s = CheckSituation(ArrivalSituation(person), now, deps_.divisions);
          !s.ok()) {
        return platform::ToGrpcStatus(Prefixed(at, s));
      }
    }
    // The list as last confirmed, without a round trip: the fence read
    // after the commit (below) catches a change since.
    auto risk_areas = deps_.risk_areas.Recent(deps_.list_max_age);
    if (!risk_areas.ok()) return platform::ToGrpcStatus(risk_areas.status());
    const std::shared_ptr<const v1::Policy> policy = deps_.policy.Current();
    const std::string authorization = Authorization(*context);

    // Record each arrival through intake (registering new people; a
    // vehicle's occupants all at once), then decide and commit per person.
    std::vector<intake::v1::RecordArrivalResponse> recorded;
    std::vector<Situation> situations;
    const absl::Time intake_start = absl::Now();
    // Marked, so that the arrival events do not race this check's decisions.
    google::protobuf::RepeatedPtrField<intake::v1::RecordArrivalRequest> people = request->people();
    for (auto& person : people) person.set_screened_at_checkpoint(true);
    auto all_recorded = deps_.intake.RecordArrivals(authorization, people);
    for (int i = 0; i < request->people_size(); ++i) {
      const std::string at = absl::StrCat("people[", i, "]: ");
      auto& r = all_recorded[i];
      if (!r.ok()) return platform::ToGrpcStatus(Prefixed(at, r.status()));
      // Decided with the health intake has on record for the person.
      Situation s = ArrivalSituation(request->people(i));
      s.doses = r->doses_size();
      if (r->has_latest_test()) AddTest(r->latest_test(), &s);
      situations.push_back(std::move(s));
      recorded.push_back(std::move(*r));
    }
    CheckpointStage("intake").Observe(SecondsSince(intake_start));
    const absl::Time decide_start = absl::Now();
    // Everyone in the vehicle decided in one commit round trip; people
    // intake has just registered are not read first. The list's version is
    // read in it, after the commit (see below).
    DecisionRecorder::ReadAfter list_after{RiskAreaCache::VersionRead(), std::nullopt};
    std::vector<const intake::v1::Arrival*> arrivals;
    std::vector<bool> newly_registered;
    for (const auto& r : recorded) {
      arrivals.push_back(&r.arrival());
      newly_registered.push_back(r.resident_created());
    }
    auto decided = deps_.decisions.RecordAll(
        caller.ToActor(), arrivals,
        [&](size_t k, const v1::PersonStatus&) {
          return Screen(*policy, **risk_areas, deps_.divisions, situations[k], now);
        },
        now, newly_registered, &list_after);
    CheckpointStage("decide").Observe(SecondsSince(decide_start));
    for (size_t i = 0; i < decided.size(); ++i) {
      if (!decided[i].ok()) {
        return platform::ToGrpcStatus(
            Prefixed(absl::StrCat("people[", i, "]: "), decided[i].status()));
      }
      decided[i]->set_resident_created(recorded[i].resident_created());
      *response->add_decisions() = std::move(*decided[i]);
    }
    // The list may have changed while this check was under way (a slow or
    // retried call to intake), and its re-screen passed these grids before
    // the commit: see Rescreener::RescreenIfListChanged. A retried check
    // runs this again for its remembered decisions.
    if (!deps_.rescreen_if_list_changed) return grpc::Status::OK;
    int64_t oldest = response->decisions(0).risk_list_version();
    std::vector<std::string> grids;
    for (const auto& d : response->decisions()) oldest = std::min(oldest, d.risk_list_version());
    for (const auto* a : arrivals) grids.push_back(a->grid_id());
    std::optional<long long> version_after;
    if (list_after.reply.has_value()) {
      auto version = RiskAreaCache::VersionOf(*list_after.reply);
      if (!version.ok()) return platform::ToGrpcStatus(version.status());
      version_after = *version;
      deps_.risk_areas.Observe(*version);
    }
    auto again = deps_.rescreen_if_list_changed(oldest, grids, version_after);
    if (!again.ok()) {
      return platform::ToGrpcStatus(
          Prefixed("the risk-area list changed during this check; re-screening its grids: ",
                   again.status()));
    }
    if (*again) {
      if (absl::Status s = TakeRescreenedDecisions(grids, response); !s.ok()) {
        return platform::ToGrpcStatus(s);
      }
    }
    return grpc::Status::OK;
  });
}

absl::Status ScreeningServiceImpl::TakeRescreenedDecisions(const std::vector<std::string>& grids,
                                                           v1::ScreenArrivalResponse* response) {
  std::vector<std::pair<std::string, std::string>> people;
  for (int i = 0; i < response->decisions_size(); ++i) {
    people.emplace_back(grids[static_cast<size_t>(i)], response->decisions(i).resident_id());
  }
  auto persons = deps_.store.GetPersons(people, {}, deps_.clock.Now());
  if (!persons.ok()) return persons.status();
  // A re-screen's decision is kept without its measure (it answered no
  // one): the answer gets the measure as it stands.
  std::vector<int> measured;
  std::vector<std::pair<std::string, std::string>> measure_keys;
  for (int i = 0; i < response->decisions_size(); ++i) {
    v1::PersonDecision* d = response->mutable_decisions(i);
    const v1::PersonStatus& person = (*persons)[static_cast<size_t>(i)].person.value;
    const v1::PersonDecision& last = person.last_decision();
    if (!last.rescreened() || last.arrival_id() != d->arrival_id()) continue;
    const bool created = d->resident_created();
    *d = last;
    d->set_resident_created(created);
    if (d->decision() == v1::DECISION_MEASURE && !person.measure().measure_id().empty()) {
      measured.push_back(i);
      measure_keys.emplace_back(grids[static_cast<size_t>(i)], person.measure().measure_id());
    }
  }
  auto measures = deps_.store.GetMeasures(measure_keys);
  if (!measures.ok()) return measures.status();
  for (size_t k = 0; k < measured.size(); ++k) {
    if ((*measures)[k].has_value()) {
      *response->mutable_decisions(measured[k])->mutable_measure() = std::move(*(*measures)[k]);
    }
  }
  return absl::OkStatus();
}

grpc::Status ScreeningServiceImpl::SetRiskAreas(grpc::ServerContext* context,
                                                const v1::SetRiskAreasRequest* request,
                                                v1::RiskAreaList* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (caller.role != common::v1::ROLE_DISTRICT_ADMIN) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "only district admins manage the risk-area list");
    }
    if (absl::Status s = platform::CheckRequestId("request_id", request->request_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    if (absl::Status s = ValidateRiskAreas(request->list(), deps_.divisions); !s.ok()) {
      return platform::ToGrpcStatus(Prefixed("list.", s));
    }
    const absl::Time now = deps_.clock.Now();
    const std::string unit = ScreeningStore::kRiskAreasUnit;
    std::function<absl::StatusOr<GridTransaction>(v1::RiskAreaList*)> build =
        [&](v1::RiskAreaList* next) -> absl::StatusOr<GridTransaction> {
      auto current = deps_.store.GetRiskAreas();
      if (!current.ok()) return current.status();
      *next = request->list();
      next->set_version(current->version + 1);
      *next->mutable_updated_at() = ToProto(now);
      next->set_updated_by(caller.subject);
      GridTransaction txn(ScreeningStore::Keys(unit), RequestField(caller, request->request_id()),
                          next->SerializeAsString(), now);
      txn.ExpectVersion(ScreeningStore::RiskAreasKey(), current->version);
      txn.PutRecord(ScreeningStore::RiskAreasKey(), next->version(), next->SerializeAsString());
      v1::RiskAreasChanged event;
      *event.mutable_meta() =
          platform::NewEventMeta("risk-areas", next->version(), "", caller.ToActor(), now);
      *event.mutable_list() = *next;
      txn.PublishFrame(
          platform::EventFrame(kRiskAreasTopic, "risk-areas", event, event.meta(), kEventSource));
      return txn;
    };
    return platform::ToGrpcStatus(platform::CommitWithRetry(
        [&](const GridTransaction& txn) { return deps_.store.Commit(txn); }, build, response,
        [&] {
          if (deps_.notify_outbox) deps_.notify_outbox(unit);
          deps_.risk_areas.Observe(response->version());  // this replica's next check reads it
          if (deps_.risk_areas_changed) deps_.risk_areas_changed();
        }));
  });
}

grpc::Status ScreeningServiceImpl::GetRiskAreas(grpc::ServerContext* context,
                                                const v1::GetRiskAreasRequest*,
                                                v1::RiskAreaList* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller&) {
    auto list = deps_.store.GetRiskAreas();
    if (!list.ok()) return platform::ToGrpcStatus(list.status());
    *response = std::move(list->value);
    return grpc::Status::OK;
  });
}

grpc::Status ScreeningServiceImpl::GetPersonStatus(grpc::ServerContext* context,
                                                   const v1::GetPersonStatusRequest* request,
                                                   v1::PersonStatus* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (request->resident_id().empty() || request->resident_id().size() > 64) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "resident_id: required");
    }
    auto grid = deps_.store.FindGrid(request->resident_id());
    if (!grid.ok()) return platform::ToGrpcStatus(grid.status());
    if (!grid->has_value()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "resident_id: screening has not seen " + request->resident_id());
    }
    if (absl::Status s = deps_.authorizer.CheckAccess(caller, **grid); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    auto person = deps_.store.GetPerson(**grid, request->resident_id());
    if (!person.ok()) return platform::ToGrpcStatus(person.status());
    *response = std::move(person->value);
    if (!response->measure().measure_id().empty()) {
      auto m = deps_.store.GetMeasures({{**grid, response->measure().measure_id()}});
      if (!m.ok()) return platform::ToGrpcStatus(m.status());
      if ((*m)[0].has_value()) *response->mutable_measure() = std::move(*(*m)[0]);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ScreeningServiceImpl::ListMeasures(grpc::ServerContext* context,
                                                const v1::ListMeasuresRequest* request,
                                                v1::ListMeasuresResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = deps_.authorizer.CheckGridAccess(caller, request->grid_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    auto page = platform::PageSizeOf(request->page());
    if (!page.ok()) return platform::ToGrpcStatus(page.status());
    const int page_size = *page;
    std::string cursor;
    if (!request->page().page_token().empty()) {
      if (!absl::WebSafeBase64Unescape(request->page().page_token(), &cursor) ||
          cursor.find(':') == std::string::npos ||
          cursor.find_first_not_of("0123456789") != cursor.find(':') || cursor[0] == ':') {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "page.page_token: not a token returned by ListMeasures");
      }
    }
    auto measures = deps_.store.ListActiveMeasures(request->grid_id(), cursor, page_size + 1);
    if (!measures.ok()) return platform::ToGrpcStatus(measures.status());
    const bool more = static_cast<int>(measures->size()) > page_size;
    if (more) measures->resize(page_size);
    for (auto& m : *measures) *response->add_measures() = std::move(m);
    if (more) {
      const v1::Measure& last = response->measures(page_size - 1);
      response->mutable_page()->set_next_page_token(absl::WebSafeBase64Escape(absl::StrCat(
          TimeUtil::TimestampToMilliseconds(last.stage_ends_at()), ":", last.measure_id())));
    }
    return grpc::Status::OK;
  });
}

grpc::Status ScreeningServiceImpl::GetGridScreening(grpc::ServerContext* context,
                                                    const v1::GetGridScreeningRequest* request,
                                                    v1::GridScreening* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = deps_.authorizer.CheckGridAccess(caller, request->grid_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    auto counts = deps_.store.GetGridScreening(request->grid_id());
    if (!counts.ok()) return platform::ToGrpcStatus(counts.status());
    *response = std::move(*counts);
    *response->mutable_as_of() = ToProto(deps_.clock.Now());
    return grpc::Status::OK;
  });
}

grpc::Status ScreeningServiceImpl::ChangeMeasure(grpc::ServerContext* context,
                                                 const v1::ChangeMeasureRequest* request,
                                                 v1::Measure* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    if (absl::Status s = platform::CheckRequestId("request_id", request->request_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    const std::string grid = GridOfMeasureId(request->measure_id());
    if (grid.empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "measure_id: not a measure id returned by screening");
    }
    if (request->change_case() == v1::ChangeMeasureRequest::CHANGE_NOT_SET) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "change: one of extend_days, shorten_days, release is required");
    }
    if (absl::Status s = deps_.authorizer.CheckAccess(caller, grid); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    const absl::Time now = deps_.clock.Now();
    const ChangeRequest change{caller.subject, request->reason()};
    std::function<absl::StatusOr<GridTransaction>(v1::Measure*)> build =
        [&](v1::Measure* out) -> absl::StatusOr<GridTransaction> {
      auto got = deps_.store.GetMeasures({{grid, request->measure_id()}});
      if (!got.ok()) return got.status();
      if (!(*got)[0].has_value()) {
        return absl::NotFoundError("measure_id: no measure " + request->measure_id());
      }
      // Apply what is due first, so a change applies to the stage in force.
      const v1::Measure before = *(*got)[0];
      const v1::Measure due = AdvanceDue(before, now);
      absl::StatusOr<v1::Measure> after;
      switch (request->change_case()) {
        case v1::ChangeMeasureRequest::kExtendDays:
          after = Extend(due, request->extend_days(), now, change);
          break;
        case v1::ChangeMeasureRequest::kShortenDays:
          after = Shorten(due, request->shorten_days(), now, change);
          break;
        default:
          after = request->release() ? Release(due, now, change)
                                     : absl::InvalidArgumentError("release: must be true");
          break;
      }
      if (!after.ok()) return after.status();
      *out = *after;
      GridTransaction txn(ScreeningStore::Keys(grid), RequestField(caller, request->request_id()),
                          after->SerializeAsString(), now);
      AddMeasureChange(txn, &before, *after, caller.ToActor(), now);
      return txn;
    };
    return platform::ToGrpcStatus(platform::CommitWithRetry(
        [&](const GridTransaction& txn) { return deps_.store.Commit(txn); }, build, response,
        [&] {
          if (deps_.notify_outbox) deps_.notify_outbox(grid);
        }));
  });
}

grpc::Status ScreeningServiceImpl::RegisterVenue(grpc::ServerContext* context,
                                                 const v1::RegisterVenueRequest* request,
                                                 v1::Venue* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    if (absl::Status s = platform::CheckRequestId("request_id", request->request_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    const v1::Venue& v = request->venue();
    if (v.grid_id().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "venue.grid_id: required");
    }
    if (absl::Status s = platform::CheckText("venue.name", v.name(), 1, 64); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    if (absl::Status s = platform::CheckText("venue.address", v.address(), 0, 200); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    if (v.kind() == v1::VENUE_KIND_UNSPECIFIED || !v1::VenueKind_IsValid(v.kind())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "venue.kind: required");
    }
    if (absl::Status s = deps_.authorizer.CheckAccess(caller, v.grid_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    const absl::Time now = deps_.clock.Now();
    std::string suffix = platform::NewUuid();
    suffix.erase(std::remove(suffix.begin(), suffix.end(), '-'), suffix.end());
    v1::Venue venue = v;
    venue.set_venue_id(VenueIdFor(v.grid_id(), suffix.substr(0, 16)));
    *venue.mutable_registered_at() = ToProto(now);
    GridTransaction txn(ScreeningStore::Keys(v.grid_id()),
                        RequestField(caller, request->request_id()), venue.SerializeAsString(),
                        now);
    const std::string key = ScreeningStore::Keys(v.grid_id()).Key("venue", venue.venue_id());
    txn.ExpectVersion(key, 0);
    txn.PutRecord(key, 1, venue.SerializeAsString());
    auto outcome = deps_.store.CommitAll({txn});
    if (!outcome.ok()) return platform::ToGrpcStatus(outcome.status());
    if (!(*outcome)[0].ok()) return platform::ToGrpcStatus((*outcome)[0].status());
    if ((*outcome)[0]->kind == Outcome::Kind::kDuplicate) {
      response->ParseFromString((*outcome)[0]->prior_response);
      return grpc::Status::OK;
    }
    *response = std::move(venue);
    return grpc::Status::OK;
  });
}

grpc::Status ScreeningServiceImpl::ScanVenue(grpc::ServerContext* context,
                                             const v1::ScanVenueRequest* request,
                                             v1::ScanVenueResponse* response) {
  return platform::GuardedCall(*context, deps_.verifier, [&](const Caller& caller) {
    if (absl::Status s = WriteAllowed(caller); !s.ok()) return platform::ToGrpcStatus(s);
    if (request->resident_id().empty() || request->resident_id().size() > 64) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "resident_id: required");
    }
    const absl::Time now = deps_.clock.Now();
    if (!request->has_scan_time()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "scan_time: required");
    }
    const absl::Time at = FromProto(request->scan_time());
    if (at > now + absl::Minutes(5) || at < now - absl::Hours(24 * 14)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "scan_time: must be within the last 14 days, not in the future");
    }
    auto venue = deps_.store.GetVenue(request->venue_id());
    if (!venue.ok()) return platform::ToGrpcStatus(venue.status());
    if (venue->version == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "venue_id: no venue " + request->venue_id());
    }
    if (absl::Status s = deps_.authorizer.CheckAccess(caller, venue->value.grid_id()); !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    // The person's grid: known to screening, or asked of intake (with the
    // caller's own rights).
    auto grid = deps_.store.FindGrid(request->resident_id());
    if (!grid.ok()) return platform::ToGrpcStatus(grid.status());
    std::string person_grid = grid->value_or("");
    if (person_grid.empty()) {
      auto resident = deps_.intake.GetResident(Authorization(*context), request->resident_id());
      if (!resident.ok()) return platform::ToGrpcStatus(resident.status());
      person_grid = resident->grid_id();
      if (absl::Status s = deps_.store.RememberGrids({{request->resident_id(), person_grid}});
          !s.ok()) {
        return platform::ToGrpcStatus(s);
      }
    }
    if (absl::Status s = deps_.store.RecordScan(
            {request->venue_id(), person_grid, request->resident_id(), at}, now);
        !s.ok()) {
      return platform::ToGrpcStatus(s);
    }
    response->set_resident_id(request->resident_id());
    response->set_venue_id(request->venue_id());
    *response->mutable_scan_time() = request->scan_time();
    return grpc::Status::OK;
  });
}

}  // namespace gridbridge::screening
