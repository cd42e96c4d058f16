#include "background_arena.h"

#include <cstddef>
#include <mutex>

#include "spdlog/spdlog.h"

// jemalloc's control interface, declared weak: the platform library is
// linked into executables with jemalloc (servers) and without (sanitizer
// builds, tests, tools), where the symbol stays null.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace gridbridge::platform {
namespace {

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

std::optional<unsigned> ThisThreadArena() {
  if (mallctl == nullptr) return std::nullopt;
  unsigned index = 0;
  size_t size = sizeof index;
  if (mallctl("thread.arena", &index, &size, nullptr, 0) != 0) return std::nullopt;
  return index;
}

}  // namespace gridbridge::platform
