#pragma once

#include <chrono>
#include <functional>
#include <vector>

namespace gridbridge::bench {

struct LoadResult {
  double calls_per_s = 0;
  long long calls = 0;
  long long errors = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// One call of the workload; `i` is a globally unique call number. Returns
// false on error. Must be thread-safe.
using CallFn = std::function<bool(long long i)>;

// Closed loop: `threads` callers back to back for `duration`.
LoadResult RunSaturated(const CallFn& call, int threads, std::chrono::milliseconds duration,
                        long long first_call = 0);

// Open loop: calls start on a fixed schedule at `rate` per second, spread
// over `threads`; latency counts from the scheduled start, so queueing shows.
LoadResult RunAtRate(const CallFn& call, double rate, int threads,
                     std::chrono::milliseconds duration, long long first_call = 0);

// Saturation (closed loop) and then half of its rate (open loop), each
// printed to stderr as "<name> saturated: ..." / "<name> at N calls/s: ...".
// `settle` runs between the two (waits for the stack to work off the
// saturated phase) and returns the seconds it took.
struct SaturationAndHalf {
  LoadResult saturated, half;
  double settle_s = 0;
};
SaturationAndHalf RunSaturatedThenHalf(const char* name, const CallFn& call, int threads,
                                       std::chrono::milliseconds duration,
                                       const std::function<double()>& settle);

}  // namespace gridbridge::bench
