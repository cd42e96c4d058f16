#include "load.h"

#include <algorithm>
#include <cstdio>
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

}  // namespace

LoadResult RunSaturated(const StartFn& start, int concurrency, std::chrono::milliseconds duration,
                        long long first_call) {
  grpc::CompletionQueue cq;
  struct InFlight {
    std::unique_ptr<StartedCall> call;
    Clock::time_point started;
  };
  std::unordered_map<void*, InFlight> in_flight;
  std::vector<double> all;
  long long errors = 0;
  long long next = first_call;
  const auto begin = Clock::now();
  const auto end = begin + duration;
  auto launch = [&] {
    const auto started = Clock::now();
    std::unique_ptr<StartedCall> call = start(next++, cq);
    StartedCall* tag = call.get();
    in_flight.emplace(tag, InFlight{std::move(call), started});
  };
  for (int c = 0; c < concurrency; ++c) launch();
  // An ended call is replaced by the next until the time is up.
  void* tag = nullptr;
  bool ok = false;
  while (!in_flight.empty() && cq.Next(&tag, &ok)) {
    auto it = in_flight.find(tag);
    if (it == in_flight.end()) continue;  // only this loop's calls use the queue
    all.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - it->second.started).count());
    if (!ok || !it->second.call->Succeeded()) ++errors;
    in_flight.erase(it);
    if (Clock::now() < end) launch();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return Summarize(all, errors, seconds);
}

LoadResult RunAtRate(const StartFn& start, double rate, std::chrono::milliseconds duration,
                     long long first_call) {
  const long long total = static_cast<long long>(rate * duration.count() / 1000.0);
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  grpc::CompletionQueue cq;
  struct InFlight {
    std::unique_ptr<StartedCall> call;
    Clock::time_point scheduled;
  };
  std::unordered_map<void*, InFlight> in_flight;
  std::vector<double> all;
  all.reserve(static_cast<size_t>(std::max(0LL, total)));
  long long errors = 0;
  const auto begin = Clock::now();
  auto scheduled = [&](long long k) {
    return begin + std::chrono::duration_cast<Clock::duration>(interval * k);
  };
  long long k = 0;
  while (k < total || !in_flight.empty()) {
    for (const auto now = Clock::now(); k < total && scheduled(k) <= now; ++k) {
      std::unique_ptr<StartedCall> call = start(first_call + k, cq);
      StartedCall* tag = call.get();
      in_flight.emplace(tag, InFlight{std::move(call), scheduled(k)});
    }
    // Until the next call is due or one ends (gRPC's deadlines are on the
    // system clock).
    const auto wait =
        (k < total ? scheduled(k) : Clock::now() + std::chrono::seconds(1)) - Clock::now();
    void* tag = nullptr;
    bool ok = false;
    if (cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + wait) !=
        grpc::CompletionQueue::GOT_EVENT) {
      continue;
    }
    auto it = in_flight.find(tag);
    if (it == in_flight.end()) continue;  // only this loop's calls use the queue
    all.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - it->second.scheduled).count());
    if (!ok || !it->second.call->Succeeded()) ++errors;
    in_flight.erase(it);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  return Summarize(all, errors, seconds);
}

SaturationAndHalf RunSaturatedThenHalf(const char* name, const StartFn& start, int concurrency,
                                       std::chrono::milliseconds duration,
                                       const std::function<double()>& settle) {
  SaturationAndHalf r;
  r.saturated = RunSaturated(start, concurrency, duration, 0);
  std::fprintf(stderr, "%s saturated: %.0f calls/s, p50 %.2f ms, p99 %.2f ms, %lld errors\n", name,
               r.saturated.calls_per_s, r.saturated.p50_ms, r.saturated.p99_ms, r.saturated.errors);
  r.settle_s = settle();
  std::fprintf(stderr, "%s: the stack worked off the saturated phase in %.1f s\n", name,
               r.settle_s);
  r.half = RunAtRate(start, r.saturated.calls_per_s / 2, duration, r.saturated.calls + 1000);
  std::fprintf(stderr, "%s at %.0f calls/s: p50 %.2f ms, p99 %.2f ms, %lld errors\n", name,
               r.saturated.calls_per_s / 2, r.half.p50_ms, r.half.p99_ms, r.half.errors);
  return r;
}

}  // namespace gridbridge::bench
