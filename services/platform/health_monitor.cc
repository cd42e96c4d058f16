#include "health_monitor.h"

#include "background_thread.h"
#include "metrics.h"
#include "spdlog/spdlog.h"

namespace gridbridge::platform {
namespace {

prometheus::Family<prometheus::Gauge>& UpGauge() {
  static auto& family = prometheus::BuildGauge()
                            .Name("gridbridge_dependency_up")
                            .Help("1 if the dependency answered its last health check")
                            .Register(Metrics());
  return family;
}

}  // namespace

HealthMonitor::HealthMonitor(std::vector<DependencyCheck> checks,
                             std::function<void(bool)> on_change, absl::Duration interval)
    : checks_(std::move(checks)), on_change_(std::move(on_change)), interval_(interval) {
  thread_ = std::thread([this] {
    // Not background: its checks share request threads' Redis round trips.
    NameThisThread("health-checks");
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      CheckNow();
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoNanoseconds(interval_), [this] { return stop_; });
    }
  });
}

HealthMonitor::~HealthMonitor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool HealthMonitor::CheckNow() {
  bool all_up = true;
  for (const auto& dep : checks_) {
    absl::Status s = dep.check();
    UpGauge().Add({{"dependency", dep.name}}).Set(s.ok() ? 1 : 0);
    if (!s.ok()) {
      all_up = false;
      spdlog::warn("dependency {} down: {}", dep.name, s.ToString());
    }
  }
  std::lock_guard lock(mu_);
  int now = all_up ? 1 : 0;
  if (now != last_) {
    last_ = now;
    spdlog::info("health: {}", all_up ? "SERVING" : "NOT_SERVING");
    on_change_(all_up);
  }
  return all_up;
}

}  // namespace gridbridge::platform
