#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "grpcpp/completion_queue.h"

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

// A call an open loop started on its completion queue, which yields the
// call's address as the tag once the call has ended.
class StartedCall {
 public:
  virtual ~StartedCall() = default;
  // Once the queue yielded it: whether the call succeeded.
  virtual bool Succeeded() = 0;
};
// Starts call number `i` on `cq`.
using StartFn = std::function<std::unique_ptr<StartedCall>(long long i, grpc::CompletionQueue& cq)>;

// Open loop: calls start on a fixed schedule at `rate` per second;
// latency counts from the scheduled start, so queueing shows. One thread
// starts them and takes their ends from one completion queue: the load
// generator shares the machine with what it measures, and a thread per
// call in flight (each woken by its timer and again by gRPC's poller)
// cost 55-125 us more CPU per checkpoint call (docs/performance.md,
// screening, session 28).
LoadResult RunAtRate(const StartFn& start, double rate, std::chrono::milliseconds duration,
                     long long first_call = 0);

// A workload in both loops' forms: blocking calls for the closed loop,
// started ones for the open loop.
struct Workload {
  CallFn call;
  StartFn start;
};

// Saturation (closed loop) and then half of its rate (open loop), each
// printed to stderr as "<name> saturated: ..." / "<name> at N calls/s: ...".
// `settle` runs between the two (waits for the stack to work off the
// saturated phase) and returns the seconds it took.
struct SaturationAndHalf {
  LoadResult saturated, half;
  double settle_s = 0;
};
SaturationAndHalf RunSaturatedThenHalf(const char* name, const Workload& workload, int threads,
                                       std::chrono::milliseconds duration,
                                       const std::function<double()>& settle);

}  // namespace gridbridge::bench
