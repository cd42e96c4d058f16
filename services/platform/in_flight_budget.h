#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "prometheus/gauge.h"

namespace gridbridge::platform {

// How many units (rows of imports, say) the whole process lets be in flight
// at once, shared by every stream that takes from it. A stream's own queues
// bound what one stream holds; this bounds what all of them hold together,
// so that ten partners importing at once need the memory of one import, not
// ten (a pod has a memory limit, and the kernel kills past it). Thread-safe.
class InFlightBudget {
 public:
  // Units held until destroyed (or moved from): give them back by letting
  // go of the lease, whatever path the work takes.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

   private:
    friend class InFlightBudget;
    Lease(InFlightBudget* budget, size_t units) : budget_(budget), units_(units) {}
    InFlightBudget* budget_ = nullptr;
    size_t units_ = 0;
  };

  // `what` names the units in messages ("import rows"); `gauge`, if set,
  // follows the units in use.
  InFlightBudget(size_t capacity, std::string what, prometheus::Gauge* gauge = nullptr);

  // Waits until `units` are free. INVALID_ARGUMENT if more than the whole
  // budget; CANCELLED once `stop()` says so (checked every 50 ms);
  // RESOURCE_EXHAUSTED after `patience` without room (others hold it).
  absl::StatusOr<Lease> Acquire(size_t units, absl::Duration patience,
                                const std::function<bool()>& stop);

  size_t in_use() const;
  // How many callers are waiting in Acquire for room now.
  size_t waiting() const;
  // The most ever in use at once (tests and diagnostics).
  size_t high_water() const;

 private:
  void Release(size_t units);

  const size_t capacity_;
  const std::string what_;
  prometheus::Gauge* const gauge_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  size_t in_use_ = 0;
  size_t waiting_ = 0;
  size_t high_water_ = 0;
};

}  // namespace gridbridge::platform
