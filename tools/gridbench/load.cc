#include "load.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

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

LoadResult RunSaturated(const CallFn& call, int threads, std::chrono::milliseconds duration,
                        long long first_call) {
  std::atomic<long long> next{first_call};
  std::atomic<long long> errors{0};
  std::mutex mu;
  std::vector<double> all;
  const auto start = Clock::now();
  const auto end = start + duration;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::vector<double> mine;
      while (Clock::now() < end) {
        auto t0 = Clock::now();
        bool ok = call(next++);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!ok) ++errors;
      }
      std::lock_guard lock(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : pool) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return Summarize(all, errors, seconds);
}

LoadResult RunAtRate(const CallFn& call, double rate, int threads,
                     std::chrono::milliseconds duration, long long first_call) {
  const long long total = static_cast<long long>(rate * duration.count() / 1000.0);
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  std::atomic<long long> next{0};
  std::atomic<long long> errors{0};
  std::mutex mu;
  std::vector<double> all;
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::vector<double> mine;
      for (long long k = next++; k < total; k = next++) {
        auto scheduled = start + std::chrono::duration_cast<Clock::duration>(interval * k);
        std::this_thread::sleep_until(scheduled);
        bool ok = call(first_call + k);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count());
        if (!ok) ++errors;
      }
      std::lock_guard lock(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : pool) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return Summarize(all, errors, seconds);
}

SaturationAndHalf RunSaturatedThenHalf(const char* name, const CallFn& call, int threads,
                                       std::chrono::milliseconds duration,
                                       const std::function<double()>& settle) {
  SaturationAndHalf r;
  r.saturated = RunSaturated(call, threads, duration, 0);
  std::fprintf(stderr, "%s saturated: %.0f calls/s, p50 %.2f ms, p99 %.2f ms, %lld errors\n", name,
               r.saturated.calls_per_s, r.saturated.p50_ms, r.saturated.p99_ms, r.saturated.errors);
  r.settle_s = settle();
  std::fprintf(stderr, "%s: the stack worked off the saturated phase in %.1f s\n", name,
               r.settle_s);
  r.half =
      RunAtRate(call, r.saturated.calls_per_s / 2, threads, duration, r.saturated.calls + 1000);
  std::fprintf(stderr, "%s at %.0f calls/s: p50 %.2f ms, p99 %.2f ms, %lld errors\n", name,
               r.saturated.calls_per_s / 2, r.half.p50_ms, r.half.p99_ms, r.half.errors);
  return r;
}

}  // namespace gridbridge::bench
