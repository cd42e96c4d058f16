#include "background_arena.h"

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "spdlog/spdlog.h"

// jemalloc's control interface, declared weak: the platform library is
// linked into executables with jemalloc (servers) and without (sanitizer
// builds, tests, tools), where the symbol stays null.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace gridbridge::platform {
namespace {

// jemalloc's control name of an arena's dirty decay.
std::string DirtyDecayName(unsigned arena) {
  return "arena." + std::to_string(arena) + ".dirty_decay_ms";
}

// jemalloc's index for "every arena" in control names (MALLCTL_ARENAS_ALL
// in jemalloc.h, not included: its declarations are not weak).
constexpr unsigned kAllArenas = 4096;

// The shared arena's index, or nullopt if it could not be made.
std::optional<unsigned> BackgroundArena() {
  static std::once_flag once;
  static std::optional<unsigned> arena;
  std::call_once(once, [] {
    unsigned index = 0;
    size_t size = sizeof index;
    if (int err = mallctl("arenas.create", &index, &size, nullptr, 0); err != 0) {
      // Not fatal: background threads keep jemalloc's arenas, as before.
      spdlog::warn("jemalloc arenas.create failed (error {}): background threads share no arena",
                   err);
      return;
    }
    arena = index;
  });
  return arena;
}

}  // namespace

void UseBackgroundArena() {
  if (mallctl == nullptr) return;
  std::optional<unsigned> arena = BackgroundArena();
  if (!arena.has_value()) return;
  unsigned index = *arena;
  if (int err = mallctl("thread.arena", nullptr, nullptr, &index, sizeof index); err != 0) {
    spdlog::warn("jemalloc thread.arena {} failed (error {})", index, err);
  }
}

absl::Status KeepFreedPagesFor(absl::Duration d) {
  if (mallctl == nullptr) return absl::UnimplementedError("jemalloc is not the allocator");
  ssize_t decay_ms = absl::ToInt64Milliseconds(d);
  // The default of arenas made from now on (jemalloc makes its automatic
  // arenas as threads first allocate)...
  if (int err = mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &decay_ms, sizeof decay_ms);
      err != 0) {
    return absl::InternalError("jemalloc arenas.dirty_decay_ms: error " + std::to_string(err));
  }
  // ...and the arenas made already. Slots of automatic arenas not made yet
  // answer EFAULT: they will take the default above.
  unsigned arenas = 0;
  size_t size = sizeof arenas;
  if (int err = mallctl("arenas.narenas", &arenas, &size, nullptr, 0); err != 0) {
    return absl::InternalError("jemalloc arenas.narenas: error " + std::to_string(err));
  }
  for (unsigned i = 0; i < arenas; ++i) {
    (void)mallctl(DirtyDecayName(i).c_str(), nullptr, nullptr, &decay_ms, sizeof decay_ms);
  }
  return absl::OkStatus();
}

void KeepFreedPagesFromStart(absl::Duration d) {
  if (absl::Status kept = KeepFreedPagesFor(d); !kept.ok() && !absl::IsUnimplemented(kept)) {
    spdlog::warn("freed pages kept as the servers' default: {}", kept.ToString());
  }
}

absl::Status ReturnFreedPages() {
  if (mallctl == nullptr) return absl::UnimplementedError("jemalloc is not the allocator");
  const std::string name = "arena." + std::to_string(kAllArenas) + ".purge";
  if (int err = mallctl(name.c_str(), nullptr, nullptr, nullptr, 0); err != 0) {
    return absl::InternalError("jemalloc " + name + ": error " + std::to_string(err));
  }
  return absl::OkStatus();
}

std::optional<size_t> FreedBytesKept() {
  if (mallctl == nullptr) return std::nullopt;
  // jemalloc's statistics are a snapshot taken when "epoch" is written.
  uint64_t epoch = 1;
  size_t size = sizeof epoch;
  if (mallctl("epoch", &epoch, &size, &epoch, size) != 0) return std::nullopt;
  size_t pages = 0;
  size = sizeof pages;
  const std::string name = "stats.arenas." + std::to_string(kAllArenas) + ".pdirty";
  if (mallctl(name.c_str(), &pages, &size, nullptr, 0) != 0) return std::nullopt;
  return pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::optional<long long> ArenaDirtyDecayMs(unsigned arena) {
  if (mallctl == nullptr) return std::nullopt;
  ssize_t decay_ms = 0;
  size_t size = sizeof decay_ms;
  if (mallctl(DirtyDecayName(arena).c_str(), &decay_ms, &size, nullptr, 0) != 0)
    return std::nullopt;
  return decay_ms;
}

std::optional<unsigned> ThisThreadArena() {
  if (mallctl == nullptr) return std::nullopt;
  unsigned index = 0;
  size_t size = sizeof index;
  if (mallctl("thread.arena", &index, &size, nullptr, 0) != 0) return std::nullopt;
  return index;
}

}  // namespace gridbridge::platform
