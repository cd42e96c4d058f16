// Loading the screening policy file: the shipped policy loads; every kind
// of malformed file is rejected with its line and reason.
#include "policy.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace gridbridge::screening {
namespace {

std::string ShippedPolicy() {
  std::ifstream in(std::string(GRIDBRIDGE_SOURCE_DIR) + "/data/screening-policy.textproto");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Message(std::string_view text) {
  auto p = LoadPolicy(text);
  EXPECT_FALSE(p.ok()) << "loaded:\n" << text;
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(p.status().message());
}

constexpr char kHead[] = "version: \"v1\"\nlookback_days: 14\n";  // lines 1-2
constexpr char kDefault[] =
    "rules { name: \"default\" explanation: \"x\" decision: DECISION_PASS }\n";

TEST(Policy, TheShippedPolicyLoads) {
  auto p = LoadPolicy(ShippedPolicy());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->version(), "2022-04-11.1");
  EXPECT_EQ(p->lookback_days(), 14);
  EXPECT_EQ(p->rules(p->rules_size() - 1).name(), "default");
}

TEST(Policy, SyntaxErrorsNameTheLine) {
  // protobuf's parser reports where it stopped: just after the bad token.
  EXPECT_EQ(Message(std::string(kHead) + "rules {\n  name: \"a\"\n  decision: DECISION_NOPE }\n"),
            "policy line 5: Unknown enumeration value of \"DECISION_NOPE\" for field "
            "\"decision\". (column 27)");
  EXPECT_EQ(Message(std::string(kHead) + "\nrulez {}\n"),
            "policy line 4: Message type \"gridbridge.screening.v1.Policy\" has no field named "
            "\"rulez\". (column 7)");
  EXPECT_EQ(Message("version: \"v1\n"),
            "policy line 1: String literals cannot cross line "
            "boundaries. (column 13)");
}

TEST(Policy, MissingTopLevelFields) {
  EXPECT_EQ(Message(std::string("lookback_days: 14\n") + kDefault),
            "policy line 1: version: required, at most 64 characters");
  EXPECT_EQ(Message(std::string("version: \"v\"\nlookback_days: 31\n") + kDefault),
            "policy line 2: lookback_days: must be 1..30");
  EXPECT_EQ(Message(kHead), "policy line 1: rules: at least one rule");
  EXPECT_EQ(Message(std::string(kHead) + "exposure_window_minutes: 2000\n" + kDefault),
            "policy line 3: exposure_window_minutes: must be 0..1440 (0: off)");
}

TEST(Policy, RuleErrorsNameTheLineOfTheField) {
  // A measure without a plan: reported at the rule (line 3).
  EXPECT_EQ(Message(std::string(kHead) +
                    "rules {\n  name: \"m\"\n  explanation: \"x\"\n  decision: DECISION_MEASURE\n"
                    "}\n" +
                    kDefault),
            "policy line 3: rules[0].plan: required for DECISION_MEASURE");
  // A stage of 0 days: the line of `days`.
  EXPECT_EQ(Message(std::string(kHead) +
                    "rules {\n  name: \"m\"\n  explanation: \"x\"\n  decision: DECISION_MEASURE\n"
                    "  plan {\n    stages {\n      type: MEASURE_TYPE_HOME_ISOLATION\n"
                    "      days: 0\n    }\n  }\n}\n" +
                    kDefault),
            "policy line 10: rules[0].plan.stages[0].days: must be 1..60");
  EXPECT_EQ(Message(std::string(kHead) +
                    "rules { name: \"t\" explanation: \"x\" decision: DECISION_PASS_WITH_TEST\n"
                    "  test_days: [2, 1] }\n" +
                    kDefault),
            "policy line 4: rules[0].test_days: must be ascending, each 0..30");
  EXPECT_EQ(Message(std::string(kHead) +
                    "rules { name: \"t\" explanation: \"x\" decision: DECISION_PASS_WITH_TEST }\n" +
                    kDefault),
            "policy line 3: rules[0].test_days: required for DECISION_PASS_WITH_TEST");
  EXPECT_EQ(Message(std::string(kHead) + kDefault + "\n" + kDefault),
            "policy line 5: rules[1].name: another rule has this name");
  EXPECT_EQ(Message(std::string(kHead) + "rules { name: \"Bad Name\" }\n" + kDefault),
            "policy line 3: rules[0].name: must match [a-z0-9-]{1,64}");
  EXPECT_EQ(Message(std::string(kHead) +
                    "rules { name: \"w\" explanation: \"x\" decision: DECISION_PASS\n"
                    "  when {\n    visited_within_days: 15\n"
                    "    visited_risk_at_least: RISK_LEVEL_HIGH\n  }\n}\n" +
                    kDefault),
            "policy line 5: rules[0].when.visited_within_days: must be 0..lookback_days");
}

TEST(Policy, TheLastRuleMustDecideForEveryone) {
  EXPECT_EQ(Message(std::string(kHead) + "rules {\n  name: \"y\"\n  explanation: \"x\"\n"
                                         "  when { health_code_in: HEALTH_CODE_COLOR_YELLOW }\n"
                                         "  decision: DECISION_PASS\n}\n"),
            "policy line 6: rules[0].when: the last rule must have no condition, so that every "
            "person gets a decision");
}

}  // namespace
}  // namespace gridbridge::screening
