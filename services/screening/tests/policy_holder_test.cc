// The policy in force when its file changes (PolicyHolder::Reload, which
// the policy watcher calls): a file that does not load is rejected with its
// line and reason and the old policy stays in force; one that loads
// replaces it, and a check that took the old one keeps it to its end.
#include <fstream>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "screening_state.h"
#include "stack.h"

namespace gridbridge::screening {
namespace {

std::string ShippedPolicyText() {
  std::ifstream in(gridbridge::testing::SourcePath("data/screening-policy.textproto"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class PolicyHolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(holder_.Reload(shipped_).ok());
    ASSERT_EQ(holder_.Current()->version(), "2022-04-11.1");
  }
  const std::string shipped_ = ShippedPolicyText();
  PolicyHolder holder_{v1::Policy()};
};

TEST_F(PolicyHolderTest, AMalformedFileIsRejectedWithItsLineAndTheOldPolicyStays) {
  const auto before = holder_.Current();
  const absl::Status s = holder_.Reload("version: \"2022-04-26.1\"\nlookback_days: 14\nrulez {}\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().substr(0, 14), "policy line 3:") << s.message();
  EXPECT_EQ(holder_.Current(), before);  // the same policy, not a copy
  EXPECT_EQ(holder_.Current()->version(), "2022-04-11.1");
  // A file that parses but breaks a rule of the policy is rejected alike.
  EXPECT_FALSE(holder_.Reload("version: \"2022-04-26.1\"\nlookback_days: 31\n").ok());
  EXPECT_EQ(holder_.Current(), before);
}

TEST_F(PolicyHolderTest, AFileThatLoadsReplacesThePolicyAndATakenOneStaysWholeWithItsTaker) {
  const auto taken = holder_.Current();  // as a check in progress holds it
  const std::string next =
      absl::StrReplaceAll(shipped_, {{"\"2022-04-11.1\"", "\"2022-04-26.1\""}});
  ASSERT_NE(next, shipped_);
  ASSERT_TRUE(holder_.Reload(next).ok());
  EXPECT_EQ(holder_.Current()->version(), "2022-04-26.1");
  EXPECT_EQ(taken->version(), "2022-04-11.1");
  EXPECT_EQ(taken->rules_size(), holder_.Current()->rules_size());
}

}  // namespace
}  // namespace gridbridge::screening
