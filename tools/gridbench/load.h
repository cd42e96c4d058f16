#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "grpcpp/completion_queue.h"
#include "stack_probe.h"

namespace gridbridge::bench {

struct LoadResult {
  double calls_per_s = 0;
  long long calls = 0;
  long long errors = 0;
  double p50_ms = 0;
  double p99_ms = 0;
};

// A call a loop started on its completion queue, which yields the call's
// address as the tag once the call has ended.
class StartedCall {
 public:
  virtual ~StartedCall() = default;
  // Once the queue yielded it: whether the call succeeded.
  virtual bool Succeeded() = 0;
};
// Starts call number `i` (unique in a run) on `cq`.
using StartFn = std::function<std::unique_ptr<StartedCall>(long long i, grpc::CompletionQueue& cq)>;

// Both loops run on the calling thread: they start their calls through
// gRPC's asynchronous API and take the calls' ends from one completion
// queue, whose poller that thread is. The load generator shares the
// machine with what it measures: a blocking thread per call in flight
// (woken by gRPC's poller, in the open loop by its timer too) cost
// 55-125 us more CPU per checkpoint call at half load, and held the echo
// ceiling at 17,689 calls/s where one thread reached 22,766
// (docs/performance.md, screening, session 28).

// Closed loop: `concurrency` calls in flight for `duration`, each ended
// call replaced by the next; latency from each call's start.
LoadResult RunSaturated(const StartFn& start, int concurrency, std::chrono::milliseconds duration,
                        long long first_call = 0);

// Open loop: calls start on a fixed schedule at `rate` per second;
// latency counts from the scheduled start, so queueing shows.
LoadResult RunAtRate(const StartFn& start, double rate, std::chrono::milliseconds duration,
                     long long first_call = 0);

// Saturation (closed loop) and then half of its rate (open loop; or
// `open_rate` calls per second when it is > 0: a fixed rate compares builds
// and hours whose saturated rates differ), each printed to stderr as
// "<name> saturated: ..." / "<name> at N calls/s: ...".
// `settle` runs between the two (waits for the stack to work off the
// saturated phase) and returns the seconds it took. `half_machine` is the
// machine's CPU over the half-load phase alone: how busy "half load"
// keeps the cores, since a call costs more there than saturated (fewer
// calls share each wake-up), which is what the half-load tail waits on.
struct SaturationAndHalf {
  LoadResult saturated, half;
  double settle_s = 0;
  MachinePhase half_machine;
  double half_rate = 0;  // the open loop's calls per second
};
SaturationAndHalf RunSaturatedThenHalf(const char* name, const StartFn& start, int concurrency,
                                       std::chrono::milliseconds duration,
                                       const std::function<double()>& settle, double open_rate = 0);

}  // namespace gridbridge::bench
