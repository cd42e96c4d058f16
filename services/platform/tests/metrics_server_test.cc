// The /metrics server's start-up: a clear error, not a crash, when its
// address is taken.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "metrics.h"

namespace gridbridge::platform {
namespace {

TEST(MetricsServer, AnAddressInUseIsUnavailableNamingIt) {
  // Hold a loopback port.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  auto server = MetricsServer::Start(taken);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(server.status().message().find(taken), std::string::npos) << server.status();
  close(fd);

  auto free = MetricsServer::Start("127.0.0.1:0");
  ASSERT_TRUE(free.ok()) << free.status();
  EXPECT_GT((*free)->port(), 0);
}

}  // namespace
}  // namespace gridbridge::platform
