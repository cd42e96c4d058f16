#include "measure_lifecycle.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "calendar.h"
#include "google/protobuf/util/time_util.h"
#include "text_checks.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}
absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

constexpr char kService[] = "screening";

// Higher is stricter.
int Severity(v1::MeasureType type) {
  switch (type) {
    case v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION:
      return 3;
    case v1::MEASURE_TYPE_HOME_ISOLATION:
      return 2;
    case v1::MEASURE_TYPE_HEALTH_MONITORING:
      return 1;
    default:
      return 0;
  }
}

const char* TypeName(v1::MeasureType type) {
  switch (type) {
    case v1::MEASURE_TYPE_CENTRALIZED_OBSERVATION:
      return "集中医学观察";
    case v1::MEASURE_TYPE_HOME_ISOLATION:
      return "居家隔离";
    case v1::MEASURE_TYPE_HEALTH_MONITORING:
      return "居家健康监测";
    default:
      return "措施";
  }
}

void Record(v1::Measure* m, v1::MeasureChangeKind kind, absl::Time at, const std::string& by,
            const std::string& reason) {
  m->set_version(m->version() + 1);
  v1::MeasureChange* c = m->add_history();
  c->set_kind(kind);
  *c->mutable_at() = ToProto(at);
  c->set_by(by);
  c->set_reason(reason);
  c->set_stage_index(m->stage_index());
  *c->mutable_stage_ends_at() = m->stage_ends_at();
}

void BeginStage(v1::Measure* m, int index, absl::Time start) {
  m->set_stage_index(index);
  *m->mutable_stage_started_at() = ToProto(start);
  *m->mutable_stage_ends_at() = ToProto(PeriodEnd(start, m->plan().stages(index).days()));
}

absl::Status CheckActive(const v1::Measure& m) {
  if (m.status() != v1::MEASURE_STATUS_ACTIVE) {
    return absl::FailedPreconditionError("measure " + m.measure_id() + " was already released");
  }
  return absl::OkStatus();
}

absl::Status CheckRequest(const ChangeRequest& r, int days) {
  if (days < 1 || days > 60) return absl::InvalidArgumentError("days: must be 1..60");
  return platform::CheckText("reason", r.reason, 1, 200);
}

void ApplyVerdict(v1::Measure* m, const Verdict& v) {
  *m->mutable_plan() = v.plan;
  m->set_policy_version(v.policy_version);
  m->set_rule(v.rule);
  m->mutable_reasons()->Assign(v.reasons.begin(), v.reasons.end());
}

}  // namespace

v1::Measure StartMeasure(const std::string& measure_id, const std::string& resident_id,
                         const std::string& grid_id, const Verdict& verdict, absl::Time start) {
  v1::Measure m;
  m.set_measure_id(measure_id);
  m.set_resident_id(resident_id);
  m.set_grid_id(grid_id);
  m.set_status(v1::MEASURE_STATUS_ACTIVE);
  ApplyVerdict(&m, verdict);
  *m.mutable_started_at() = ToProto(start);
  BeginStage(&m, 0, start);
  Record(&m, v1::MEASURE_CHANGE_KIND_STARTED, start, kService,
         absl::StrCat(verdict.explanation, "：", TypeName(verdict.plan.stages(0).type()),
                      verdict.plan.stages(0).days(), "天"));
  return m;
}

v1::Measure AdvanceDue(const v1::Measure& m, absl::Time now) {
  v1::Measure out = m;
  while (out.status() == v1::MEASURE_STATUS_ACTIVE && FromProto(out.stage_ends_at()) <= now) {
    const absl::Time end = FromProto(out.stage_ends_at());
    const int next = out.stage_index() + 1;
    if (next < out.plan().stages_size()) {
      const v1::MeasureType from = out.plan().stages(out.stage_index()).type();
      BeginStage(&out, next, end);
      const v1::MeasureStage& stage = out.plan().stages(next);
      Record(&out, v1::MEASURE_CHANGE_KIND_STAGE_CHANGED, end, kService,
             absl::StrCat(TypeName(from), "期满，转", TypeName(stage.type()), stage.days(), "天"));
    } else {
      out.set_status(v1::MEASURE_STATUS_RELEASED);
      *out.mutable_released_at() = out.stage_ends_at();
      Record(&out, v1::MEASURE_CHANGE_KIND_RELEASED, end, kService, "措施期满，解除");
    }
  }
  return out;
}

absl::StatusOr<v1::Measure> Extend(const v1::Measure& m, int days, absl::Time now,
                                   const ChangeRequest& request) {
  if (absl::Status s = CheckActive(m); !s.ok()) return s;
  if (absl::Status s = CheckRequest(request, days); !s.ok()) return s;
  v1::Measure out = m;
  *out.mutable_stage_ends_at() = ToProto(FromProto(m.stage_ends_at()) + absl::Hours(24) * days);
  Record(&out, v1::MEASURE_CHANGE_KIND_EXTENDED, now, request.by, request.reason);
  return out;
}

absl::StatusOr<v1::Measure> Shorten(const v1::Measure& m, int days, absl::Time now,
                                    const ChangeRequest& request) {
  if (absl::Status s = CheckActive(m); !s.ok()) return s;
  if (absl::Status s = CheckRequest(request, days); !s.ok()) return s;
  v1::Measure out = m;
  const absl::Time end = std::max(FromProto(m.stage_ends_at()) - absl::Hours(24) * days, now);
  *out.mutable_stage_ends_at() = ToProto(end);
  Record(&out, v1::MEASURE_CHANGE_KIND_SHORTENED, now, request.by, request.reason);
  return out;
}

absl::StatusOr<v1::Measure> Release(const v1::Measure& m, absl::Time now,
                                    const ChangeRequest& request) {
  if (absl::Status s = CheckActive(m); !s.ok()) return s;
  if (absl::Status s = platform::CheckText("reason", request.reason, 1, 200); !s.ok()) return s;
  v1::Measure out = m;
  out.set_status(v1::MEASURE_STATUS_RELEASED);
  *out.mutable_released_at() = ToProto(now);
  Record(&out, v1::MEASURE_CHANGE_KIND_RELEASED, now, request.by, request.reason);
  return out;
}

absl::Time PlanEnd(const v1::Measure& m) {
  if (m.status() == v1::MEASURE_STATUS_RELEASED) return FromProto(m.released_at());
  absl::Time end = FromProto(m.stage_ends_at());
  for (int i = m.stage_index() + 1; i < m.plan().stages_size(); ++i) {
    end += absl::Hours(24) * m.plan().stages(i).days();
  }
  return end;
}

namespace {

// Where a plan begun at `start` is at `now`: the stage (stages_size() once
// over) with its start and end.
struct PlanPosition {
  int index = 0;
  absl::Time stage_start, stage_end;
};

PlanPosition PositionAt(const v1::MeasurePlan& plan, absl::Time start, absl::Time now) {
  PlanPosition p{0, start, PeriodEnd(start, plan.stages(0).days())};
  while (p.stage_end <= now && p.index < plan.stages_size()) {
    if (++p.index == plan.stages_size()) break;
    p.stage_start = p.stage_end;
    p.stage_end = PeriodEnd(p.stage_start, plan.stages(p.index).days());
  }
  return p;
}

}  // namespace

bool CallsForMore(const v1::Measure& m, const Verdict& verdict, absl::Time start, absl::Time now) {
  if (verdict.decision != v1::DECISION_MEASURE || verdict.plan.stages_size() == 0) return false;
  // What the new plan asks of the person now: the stage it would be in.
  const PlanPosition p = PositionAt(verdict.plan, start, now);
  if (p.index == verdict.plan.stages_size()) return false;  // it would be over already
  if (m.status() != v1::MEASURE_STATUS_ACTIVE) return true;
  const int now_severity = Severity(m.plan().stages(m.stage_index()).type());
  const int new_severity = Severity(verdict.plan.stages(p.index).type());
  if (new_severity != now_severity) return new_severity > now_severity;
  absl::Time new_end = p.stage_end;
  for (int i = p.index + 1; i < verdict.plan.stages_size(); ++i) {
    new_end += absl::Hours(24) * verdict.plan.stages(i).days();
  }
  return new_end > PlanEnd(m);
}

absl::StatusOr<v1::Measure> Escalate(const v1::Measure& m, const Verdict& verdict, absl::Time start,
                                     absl::Time now, const std::string& by) {
  if (absl::Status s = CheckActive(m); !s.ok()) return s;
  if (!CallsForMore(m, verdict, start, now)) {
    return absl::FailedPreconditionError("the new decision does not call for more than " +
                                         m.measure_id() + " already requires");
  }
  v1::Measure out = m;
  ApplyVerdict(&out, verdict);
  // The new plan as it stands now (a past arrival: maybe a later stage).
  const PlanPosition p = PositionAt(verdict.plan, start, now);
  out.set_stage_index(p.index);
  *out.mutable_stage_started_at() = ToProto(p.stage_start);
  *out.mutable_stage_ends_at() = ToProto(p.stage_end);
  const v1::MeasureStage& stage = verdict.plan.stages(p.index);
  Record(&out, v1::MEASURE_CHANGE_KIND_ESCALATED, std::max(start, now), by,
         absl::StrCat(verdict.explanation, "：改为", TypeName(stage.type()), stage.days(), "天"));
  return out;
}

}  // namespace gridbridge::screening
