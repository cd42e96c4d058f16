#include "background_thread.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "background_arena.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {
namespace {

std::atomic<int> background_niceness{0};

}  // namespace

void SetBackgroundNiceness(int nice) { background_niceness.store(nice); }

void NameThisThread(std::string_view name) {
  // The kernel keeps 16 bytes with the terminator; longer names fail.
  const std::string truncated(name.substr(0, 15));
  pthread_setname_np(pthread_self(), truncated.c_str());
}

void BecomeBackgroundThread(std::string_view name) {
  NameThisThread(name);
  UseBackgroundArena();
  const int nice = background_niceness.load();
  if (nice == 0) return;
  // PRIO_PROCESS with a thread id sets that thread's nice value alone.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) != 0) {
    // Not fatal: the work runs as before, only without yielding.
    spdlog::warn("background thread {}: nice {} not applied: {}", name, nice, std::strerror(errno));
  }
}

void RunOnBackgroundThread(std::string_view name, const std::function<void()>& fn) {
  std::thread([&] {
    BecomeBackgroundThread(name);
    fn();
  }).join();
}

}  // namespace gridbridge::platform
