#include "policy.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace gridbridge::screening {
namespace {

using google::protobuf::TextFormat;

// Keeps the parser's first error (0-based line and column).
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!message_.empty()) return;
    line_ = line + 1;
    message_ = absl::StrCat(message, " (column ", column + 1, ")");
  }
  int line() const { return line_; }
  const std::string& message() const { return message_; }

 private:
  int line_ = 0;
  std::string message_;
};

// Validation with the line of what is wrong: `tree` tells where each field
// of `msg` was written; a missing field is reported at its parent's line.
class Checker {
 public:
  Checker(const TextFormat::ParseInfoTree* tree, int line, std::string path)
      : tree_(tree), line_(line), path_(std::move(path)) {}

  // The checker of a nested message field (index -1 for singular).
  Checker Nested(const google::protobuf::Message& msg, const char* field, int index = -1) const {
    const auto* fd = msg.GetDescriptor()->FindFieldByName(field);
    std::string path = absl::StrCat(path_, path_.empty() ? "" : ".", field);
    if (index >= 0) absl::StrAppend(&path, "[", index, "]");
    const TextFormat::ParseInfoTree* sub = tree_ ? tree_->GetTreeForNested(fd, index) : nullptr;
    return Checker(sub, LineOf(msg, field, index), path);
  }

  // The line where `field` (element `index`) was written, or this message's.
  int LineOf(const google::protobuf::Message& msg, const char* field, int index = -1) const {
    if (tree_ == nullptr) return line_;
    const auto* fd = msg.GetDescriptor()->FindFieldByName(field);
    if (fd->is_repeated() && index < 0) {
      // The whole list: where its first element was written, if anywhere.
      if (msg.GetReflection()->FieldSize(msg, fd) == 0) return line_;
      index = 0;
    }
    auto loc = tree_->GetLocation(fd, index);
    return loc.line >= 0 ? loc.line + 1 : line_;
  }

  absl::Status Error(const google::protobuf::Message& msg, const char* field, std::string_view why,
                     int index = -1) const {
    std::string path = absl::StrCat(path_, path_.empty() ? "" : ".", field);
    if (index >= 0) absl::StrAppend(&path, "[", index, "]");
    return absl::InvalidArgumentError(absl::StrCat("policy line ", LineOf(msg, field, index), ": ",
                                                   path, ": ", std::string(why)));
  }

 private:
  const TextFormat::ParseInfoTree* tree_;
  int line_;
  std::string path_;
};

bool IsRuleName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Ascending, each in [lo, hi].
template <typename Days>
bool AscendingWithin(const Days& days, int lo, int hi) {
  int last = lo - 1;
  for (int d : days) {
    if (d < lo || d > hi || d <= last) return false;
    last = d;
  }
  return true;
}

absl::Status CheckPlan(const Checker& at, const v1::MeasurePlan& plan) {
  if (plan.stages_size() < 1 || plan.stages_size() > 5) {
    return at.Error(plan, "stages", "a plan has 1 to 5 stages");
  }
  for (int i = 0; i < plan.stages_size(); ++i) {
    const v1::MeasureStage& s = plan.stages(i);
    Checker st = at.Nested(plan, "stages", i);
    if (s.type() == v1::MEASURE_TYPE_UNSPECIFIED) return st.Error(s, "type", "required");
    if (s.days() < 1 || s.days() > 60) return st.Error(s, "days", "must be 1..60");
    if (!AscendingWithin(s.test_days(), 0, s.days())) {
      return st.Error(s, "test_days", "must be ascending, each 0..days");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCondition(const Checker& at, const v1::Condition& c, int lookback) {
  for (int i = 0; i < c.health_code_in_size(); ++i) {
    if (c.health_code_in(i) == intake::v1::HEALTH_CODE_COLOR_UNSPECIFIED) {
      return at.Error(c, "health_code_in", "UNSPECIFIED is not a colour", i);
    }
  }
  if (c.visited_within_days() < 0 || c.visited_within_days() > lookback) {
    return at.Error(c, "visited_within_days", "must be 0..lookback_days");
  }
  if (c.visited_within_days() > 0 && c.visited_risk_at_least() == v1::RISK_LEVEL_UNSPECIFIED &&
      c.visited_city_risk_at_least() == v1::RISK_LEVEL_UNSPECIFIED) {
    return at.Error(c, "visited_within_days",
                    "only meaningful with visited_risk_at_least or visited_city_risk_at_least");
  }
  if (c.doses_below() < 0 || c.doses_below() > 10) {
    return at.Error(c, "doses_below", "must be 1..10 (0: not checked)");
  }
  if (c.no_negative_test_within_hours() < 0 || c.no_negative_test_within_hours() > 720) {
    return at.Error(c, "no_negative_test_within_hours", "must be 1..720 (0: not checked)");
  }
  return absl::OkStatus();
}

bool IsEmpty(const v1::Condition& c) { return c.ByteSizeLong() == 0; }

}  // namespace

absl::StatusOr<v1::Policy> LoadPolicy(std::string_view text) {
  v1::Policy policy;
  TextFormat::Parser parser;
  TextFormat::ParseInfoTree tree;
  FirstError errors;
  parser.WriteLocationsTo(&tree);
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &policy)) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy line ", errors.line(), ": ", errors.message()));
  }
  Checker top(&tree, 1, "");
  if (policy.version().empty() || policy.version().size() > 64) {
    return top.Error(policy, "version", "required, at most 64 characters");
  }
  if (policy.lookback_days() < 1 || policy.lookback_days() > 30) {
    return top.Error(policy, "lookback_days", "must be 1..30");
  }
  if (policy.exposure_window_minutes() < 0 || policy.exposure_window_minutes() > 1440) {
    return top.Error(policy, "exposure_window_minutes", "must be 0..1440 (0: off)");
  }
  if (policy.rules_size() == 0) return top.Error(policy, "rules", "at least one rule");
  std::set<std::string> names;
  for (int i = 0; i < policy.rules_size(); ++i) {
    const v1::Rule& r = policy.rules(i);
    Checker rule = top.Nested(policy, "rules", i);
    if (!IsRuleName(r.name())) return rule.Error(r, "name", "must match [a-z0-9-]{1,64}");
    if (!names.insert(r.name()).second) return rule.Error(r, "name", "another rule has this name");
    if (r.explanation().empty() || Utf8Length(r.explanation()) > 200) {
      return rule.Error(r, "explanation", "required, at most 200 characters");
    }
    if (absl::Status s = CheckCondition(rule.Nested(r, "when"), r.when(), policy.lookback_days());
        !s.ok()) {
      return s;
    }
    switch (r.decision()) {
      case v1::DECISION_UNSPECIFIED:
        return rule.Error(r, "decision", "required");
      case v1::DECISION_MEASURE:
        if (!r.has_plan()) return rule.Error(r, "plan", "required for DECISION_MEASURE");
        if (absl::Status s = CheckPlan(rule.Nested(r, "plan"), r.plan()); !s.ok()) return s;
        break;
      default:
        if (r.has_plan()) return rule.Error(r, "plan", "only for DECISION_MEASURE");
        break;
    }
    const bool with_test = r.decision() == v1::DECISION_PASS_WITH_TEST;
    if (with_test && r.test_days_size() == 0) {
      return rule.Error(r, "test_days", "required for DECISION_PASS_WITH_TEST");
    }
    if (!with_test && r.test_days_size() > 0) {
      return rule.Error(r, "test_days", "only for DECISION_PASS_WITH_TEST");
    }
    if (!AscendingWithin(r.test_days(), 0, 30)) {
      return rule.Error(r, "test_days", "must be ascending, each 0..30");
    }
  }
  const int last = policy.rules_size() - 1;
  if (!IsEmpty(policy.rules(last).when())) {
    return top.Nested(policy, "rules", last)
        .Error(policy.rules(last), "when",
               "the last rule must have no condition, so that every person gets a decision");
  }
  return policy;
}

}  // namespace gridbridge::screening
