#include "config.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace gridbridge::platform {
namespace {

ServerConfig ValidConfig() {
  ServerConfig c;
  c.service_name = "test";
  c.redis_addr = "127.0.0.1:6379";
  c.kafka_bootstrap = "127.0.0.1:9092,127.0.0.1:9093";
  c.jwt_public_key_file = std::string(GRIDBRIDGE_SOURCE_DIR) + "/data/admin-tree.json";
  c.admin_tree_file = std::string(GRIDBRIDGE_SOURCE_DIR) + "/data/admin-tree.json";
  return c;
}

TEST(Config, HostPortShapes) {
  EXPECT_TRUE(IsHostPort("127.0.0.1:0"));
  EXPECT_TRUE(IsHostPort("redis.svc:6379"));
  EXPECT_FALSE(IsHostPort("127.0.0.1"));
  EXPECT_FALSE(IsHostPort(":80"));
  EXPECT_FALSE(IsHostPort("h:70000"));
  EXPECT_FALSE(IsHostPort("h:8a"));
}

TEST(Config, ValidConfigPasses) { EXPECT_EQ(ValidateServerConfig(ValidConfig()), ""); }

TEST(Config, BadValueIsNamedByItsVariable) {
  ServerConfig c = ValidConfig();
  c.kafka_bootstrap = "127.0.0.1:9092,nope";
  EXPECT_NE(ValidateServerConfig(c).find("GRIDBRIDGE_KAFKA_BOOTSTRAP"), std::string::npos);
  c = ValidConfig();
  c.jwt_public_key_file = "/no/such/key.pem";
  EXPECT_NE(ValidateServerConfig(c).find("GRIDBRIDGE_JWT_PUBLIC_KEY_FILE"), std::string::npos);
  c = ValidConfig();
  c.log_level = "loud";
  EXPECT_NE(ValidateServerConfig(c).find("GRIDBRIDGE_LOG_LEVEL"), std::string::npos);
  c = ValidConfig();
  c.kafka_fetch_wait_ms = 0;
  EXPECT_NE(ValidateServerConfig(c).find("GRIDBRIDGE_KAFKA_FETCH_WAIT_MS"), std::string::npos);
  c = ValidConfig();
  c.background_nice = 20;  // above Linux's lowest priority
  EXPECT_NE(ValidateServerConfig(c).find("GRIDBRIDGE_BACKGROUND_NICE"), std::string::npos);
  c.background_nice = -1;  // above request threads' priority: needs privilege
  EXPECT_NE(ValidateServerConfig(c).find("GRIDBRIDGE_BACKGROUND_NICE"), std::string::npos);
  c.background_nice = 0;
  EXPECT_EQ(ValidateServerConfig(c), "");
}

TEST(Config, EnvironmentFillsFlagsAndFlagsWin) {
  setenv("GRIDBRIDGE_REDIS_ADDR", "10.0.0.1:6379", 1);
  setenv("GRIDBRIDGE_KAFKA_BOOTSTRAP", "k:9092", 1);
  setenv("GRIDBRIDGE_JWT_PUBLIC_KEY_FILE", "/k.pem", 1);
  setenv("GRIDBRIDGE_ADMIN_TREE_FILE", "/t.json", 1);
  setenv("GRIDBRIDGE_KAFKA_FETCH_WAIT_MS", "10", 1);
  CLI::App app;
  ServerConfig c;
  AddServerFlags(app, c);
  const char* argv[] = {"svc", "--redis_addr", "127.0.0.1:7000"};
  app.parse(3, const_cast<char**>(argv));
  EXPECT_EQ(c.redis_addr, "127.0.0.1:7000");
  EXPECT_EQ(c.kafka_bootstrap, "k:9092");
  EXPECT_EQ(c.kafka_fetch_wait_ms, 10);
  unsetenv("GRIDBRIDGE_KAFKA_FETCH_WAIT_MS");
  unsetenv("GRIDBRIDGE_REDIS_ADDR");
  unsetenv("GRIDBRIDGE_KAFKA_BOOTSTRAP");
  unsetenv("GRIDBRIDGE_JWT_PUBLIC_KEY_FILE");
  unsetenv("GRIDBRIDGE_ADMIN_TREE_FILE");
}

TEST(Config, MissingRequiredValueFailsParsing) {
  CLI::App app;
  ServerConfig c;
  AddServerFlags(app, c);
  const char* argv[] = {"svc"};
  EXPECT_THROW(app.parse(1, const_cast<char**>(argv)), CLI::RequiredError);
}

}  // namespace
}  // namespace gridbridge::platform
