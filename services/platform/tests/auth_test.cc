#include "auth.h"

#include "dev_keys.h"
#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

using common::v1::Role;

constexpr char kTree[] = R"({"nodes":[
  {"id":"d1","level":"district","name":"D"},
  {"id":"s1","level":"street","name":"S","parent":"d1"},
  {"id":"c1","level":"community","name":"C1","parent":"s1"},
  {"id":"c2","level":"community","name":"C2","parent":"s1"},
  {"id":"g1","level":"grid","name":"G1","parent":"c1"},
  {"id":"g2","level":"grid","name":"G2","parent":"c2"},
  {"id":"k1","level":"county","name":"K"},
  {"id":"t1","level":"town","name":"T","parent":"k1"},
  {"id":"v1","level":"village","name":"V","parent":"t1"}]})";

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto keys = GenerateRsaKeyPair();
    ASSERT_TRUE(keys.ok());
    keys_ = new PemKeyPair(*keys);
    auto other = GenerateRsaKeyPair();
    ASSERT_TRUE(other.ok());
    other_keys_ = new PemKeyPair(*other);
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete other_keys_;
  }

  std::string Mint(const Caller& c, absl::Duration ttl = absl::Hours(1),
                   const std::string& issuer = "gridbridge") {
    TokenIssuer issuer_obj(keys_->private_pem, issuer, "gridbridge");
    auto token = issuer_obj.Issue(c, clock_.Now(), ttl);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }

  static PemKeyPair* keys_;
  static PemKeyPair* other_keys_;
  FakeClock clock_{absl::Now()};
  TokenVerifier verifier_{keys_->public_pem, "gridbridge", "gridbridge", clock_};
};

PemKeyPair* AuthTest::keys_ = nullptr;
PemKeyPair* AuthTest::other_keys_ = nullptr;

TEST_F(AuthTest, ValidTokenYieldsTheCaller) {
  auto caller =
      verifier_.VerifyBearer("Bearer " + Mint({"worker-7", common::v1::ROLE_GRID_WORKER, "g1"}));
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->subject, "worker-7");
  EXPECT_EQ(caller->role, common::v1::ROLE_GRID_WORKER);
  EXPECT_EQ(caller->scope_id, "g1");
}

TEST_F(AuthTest, MissingOrMalformedHeaderIsUnauthenticated) {
  EXPECT_EQ(verifier_.VerifyBearer("").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier_.VerifyBearer("Basic abc").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier_.VerifyBearer("Bearer not.a.jwt").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier_.VerifyBearer("Bearer ").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, TokenSignedByAnotherKeyIsRejected) {
  TokenIssuer forger(other_keys_->private_pem, "gridbridge", "gridbridge");
  auto token =
      forger.Issue({"x", common::v1::ROLE_DISTRICT_ADMIN, "d1"}, clock_.Now(), absl::Hours(1));
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(verifier_.Verify(*token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, ExpiryFollowsTheInjectedClock) {
  std::string token = Mint({"w", common::v1::ROLE_GRID_WORKER, "g1"}, absl::Minutes(10));
  EXPECT_TRUE(verifier_.Verify(token).ok());
  clock_.Advance(absl::Minutes(11));
  auto after = verifier_.Verify(token);
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, WrongIssuerIsRejected) {
  EXPECT_FALSE(
      verifier_
          .Verify(Mint({"w", common::v1::ROLE_GRID_WORKER, "g1"}, absl::Hours(1), "someone-else"))
          .ok());
}

TEST_F(AuthTest, RoleNamesRoundTrip) {
  for (Role r : {common::v1::ROLE_GRID_WORKER, common::v1::ROLE_COMMUNITY_COMMITTEE,
                 common::v1::ROLE_STREET_OFFICE, common::v1::ROLE_DISTRICT_ADMIN,
                 common::v1::ROLE_PARTNER_SYSTEM, common::v1::ROLE_ANALYST}) {
    EXPECT_EQ(RoleFromName(RoleName(r)), r);
  }
  EXPECT_EQ(RoleFromName("mayor"), common::v1::ROLE_UNSPECIFIED);
}

class AuthorizerTest : public ::testing::Test {
 protected:
  AdminTree tree_ = *AdminTree::Parse(kTree);
  Authorizer auth_{tree_};
};

TEST_F(AuthorizerTest, GridWorkerActsOnlyOnItsOwnGrid) {
  Caller w{"w", common::v1::ROLE_GRID_WORKER, "g1"};
  EXPECT_TRUE(auth_.CheckAccess(w, "g1").ok());
  EXPECT_EQ(auth_.CheckAccess(w, "g2").code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthorizerTest, OfficesAboveSeeTheGridsBelow) {
  EXPECT_TRUE(auth_.CheckAccess({"c", common::v1::ROLE_COMMUNITY_COMMITTEE, "c1"}, "g1").ok());
  EXPECT_FALSE(auth_.CheckAccess({"c", common::v1::ROLE_COMMUNITY_COMMITTEE, "c1"}, "g2").ok());
  EXPECT_TRUE(auth_.CheckAccess({"s", common::v1::ROLE_STREET_OFFICE, "s1"}, "g2").ok());
  EXPECT_TRUE(auth_.CheckAccess({"a", common::v1::ROLE_DISTRICT_ADMIN, "d1"}, "g2").ok());
  EXPECT_FALSE(auth_.CheckAccess({"a", common::v1::ROLE_DISTRICT_ADMIN, "d1"}, "v1").ok());
  EXPECT_TRUE(auth_.CheckAccess({"a", common::v1::ROLE_DISTRICT_ADMIN, "k1"}, "v1").ok());
}

TEST_F(AuthorizerTest, RoleMayNotHoldAScopeAboveItsLevel) {
  auto s = auth_.CheckAccess({"w", common::v1::ROLE_GRID_WORKER, "d1"}, "g1");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("may not hold"), std::string::npos);
}

TEST_F(AuthorizerTest, UnknownUnitIsNotFoundAndUnknownScopeIsDenied) {
  EXPECT_EQ(auth_.CheckAccess({"a", common::v1::ROLE_DISTRICT_ADMIN, "d1"}, "g9").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(auth_.CheckAccess({"a", common::v1::ROLE_DISTRICT_ADMIN, "d9"}, "g1").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthorizerTest, AnalystsSeeNoPersonalData) {
  EXPECT_FALSE(Authorizer::MaySeePersonalData({"x", common::v1::ROLE_ANALYST, "d1"}));
  EXPECT_TRUE(Authorizer::MaySeePersonalData({"x", common::v1::ROLE_GRID_WORKER, "g1"}));
  EXPECT_TRUE(auth_.CheckAccess({"x", common::v1::ROLE_ANALYST, "d1"}, "g1").ok());
}

}  // namespace
}  // namespace gridbridge::platform
