#include "load.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <unordered_map>

namespace gridbridge::bench {
namespace {

using Clock = std::chrono::steady_clock;

LoadResult Summarize(std::vector<double>& latencies_ms, long long errors, double seconds) {
  LoadResult r;
  r.calls = static_cast<long long>(latencies_ms.size());
  r.errors = errors;
  r.calls_per_s = seconds > 0 ? r.calls / seconds : 0;
  if (!latencies_ms.empty()) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
    r.p50_ms = latencies_ms[latencies_ms.size() / 2];
    r.p99_ms = latencies_ms[std::min(latencies_ms.size() - 1, latencies_ms.size() * 99 / 100)];
  }
  return r;
}

// The calls a loop has in flight on its completion queue, and what the
// ended ones measured: latency from each call's time zero (its start in
// the closed loop, its scheduled start in the open loop).
class CallsInFlight {
 public:
  ~CallsInFlight() {
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }
  bool empty() const { return calls_.empty(); }
  void Start(const StartFn& start, long long i, Clock::time_point zero) {
    std::unique_ptr<StartedCall> call = start(i, cq_);
    StartedCall* tag = call.get();
    calls_.emplace(tag, Call{std::move(call), zero});
  }
  // Takes the next call to end, waiting at most until `deadline` (none:
  // until one ends); false if none ended.
  bool TakeOne(std::optional<Clock::time_point> deadline = std::nullopt) {
    void* tag = nullptr;
    bool ok = false;
    if (deadline.has_value()) {
      // gRPC's deadlines are on the system clock.
      const auto at = std::chrono::system_clock::now() + (*deadline - Clock::now());
      if (cq_.AsyncNext(&tag, &ok, at) != grpc::CompletionQueue::GOT_EVENT) return false;
    } else if (!cq_.Next(&tag, &ok)) {
      return false;
    }
    auto it = calls_.find(tag);
    if (it == calls_.end()) return false;  // only this loop's calls use the queue
    latencies_ms_.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - it->second.zero).count());
    if (!ok || !it->second.call->Succeeded()) ++errors_;
    calls_.erase(it);
    return true;
  }
  LoadResult Result(Clock::time_point begin) {
    return Summarize(latencies_ms_, errors_,
                     std::chrono::duration<double>(Clock::now() - begin).count());
  }

 private:
  struct Call {
    std::unique_ptr<StartedCall> call;
    Clock::time_point zero;
  };
  grpc::CompletionQueue cq_;
  std::unordered_map<void*, Call> calls_;
  std::vector<double> latencies_ms_;
  long long errors_ = 0;
};

}  // namespace

LoadResult RunSaturated(const StartFn& start, int concurrency, std::chrono::milliseconds duration,
                        long long first_call) {
  CallsInFlight calls;
  long long next = first_call;
  const auto begin = Clock::now();
  const auto end = begin + duration;
  for (int c = 0; c < concurrency; ++c) calls.Start(start, next++, Clock::now());
  // An ended call is replaced by the next until the time is up.
  while (!calls.empty()) {
    if (calls.TakeOne() && Clock::now() < end) calls.Start(start, next++, Clock::now());
  }
  return calls.Result(begin);
}

LoadResult RunAtRate(const StartFn& start, double rate, std::chrono::milliseconds duration,
                     long long first_call) {
  const long long total = static_cast<long long>(rate * duration.count() / 1000.0);
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  CallsInFlight calls;
  const auto begin = Clock::now();
  auto scheduled = [&](long long k) {
    return begin + std::chrono::duration_cast<Clock::duration>(interval * k);
  };
  long long k = 0;
  while (k < total || !calls.empty()) {
    for (const auto now = Clock::now(); k < total && scheduled(k) <= now; ++k) {
      calls.Start(start, first_call + k, scheduled(k));
    }
    // Until the next call is due or one ends.
    calls.TakeOne(k < total ? scheduled(k) : Clock::now() + std::chrono::seconds(1));
  }
  return calls.Result(begin);
}

SaturationAndHalf RunSaturatedThenHalf(const char* name, const StartFn& start, int concurrency,
                                       std::chrono::milliseconds duration,
                                       const std::function<double()>& settle, double open_rate) {
  SaturationAndHalf r;
  r.saturated = RunSaturated(start, concurrency, duration, 0);
  std::fprintf(stderr, "%s saturated: %.0f calls/s, p50 %.2f ms, p99 %.2f ms, %lld errors\n", name,
               r.saturated.calls_per_s, r.saturated.p50_ms, r.saturated.p99_ms, r.saturated.errors);
  r.settle_s = settle();
  std::fprintf(stderr, "%s: the stack worked off the saturated phase in %.1f s\n", name,
               r.settle_s);
  r.half_rate = open_rate > 0 ? open_rate : r.saturated.calls_per_s / 2;
  r.half_machine.Start();
  r.half = RunAtRate(start, r.half_rate, duration, r.saturated.calls + 1000);
  r.half_machine.Stop();
  std::fprintf(stderr, "%s at %.0f calls/s: p50 %.2f ms, p99 %.2f ms, %lld errors\n", name,
               r.half_rate, r.half.p50_ms, r.half.p99_ms, r.half.errors);
  return r;
}

}  // namespace gridbridge::bench
