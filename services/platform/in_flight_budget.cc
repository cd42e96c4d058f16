#include "in_flight_budget.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "fmt/format.h"

namespace gridbridge::platform {

InFlightBudget::Lease::Lease(Lease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), units_(std::exchange(other.units_, 0)) {}

InFlightBudget::Lease& InFlightBudget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (budget_ != nullptr) budget_->Release(units_);
    budget_ = std::exchange(other.budget_, nullptr);
    units_ = std::exchange(other.units_, 0);
  }
  return *this;
}

InFlightBudget::Lease::~Lease() {
  if (budget_ != nullptr) budget_->Release(units_);
}

InFlightBudget::InFlightBudget(size_t capacity, std::string what, prometheus::Gauge* gauge)
    : capacity_(capacity), what_(std::move(what)), gauge_(gauge) {}

absl::StatusOr<InFlightBudget::Lease> InFlightBudget::Acquire(size_t units, absl::Duration patience,
                                                              const std::function<bool()>& stop) {
  if (units > capacity_) {
    return absl::InvalidArgumentError(
        fmt::format("{} {} at once is more than the whole budget of {}", units, what_, capacity_));
  }
  // Polled, not signalled: `stop` is another object's state (a gRPC
  // call's cancellation), and 50 ms is nothing next to a wait for room.
  constexpr auto kPoll = std::chrono::milliseconds(50);
  const auto give_up = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(patience);
  std::unique_lock lock(mu_);
  if (in_use_ + units > capacity_) {
    ++waiting_;
    absl::Cleanup done_waiting = [this] { --waiting_; };  // under the lock on every return
    while (in_use_ + units > capacity_) {
      if (stop && stop()) return absl::CancelledError("cancelled while waiting for room");
      if (std::chrono::steady_clock::now() >= give_up) {
        return absl::ResourceExhaustedError(fmt::format(
            "{} {} of this server's {} are in flight and none came free in {}; retry later",
            in_use_, what_, capacity_, absl::FormatDuration(patience)));
      }
      freed_.wait_for(lock, kPoll);
    }
  }
  in_use_ += units;
  high_water_ = std::max(high_water_, in_use_);
  if (gauge_ != nullptr) gauge_->Set(static_cast<double>(in_use_));
  return Lease(this, units);
}

void InFlightBudget::Release(size_t units) {
  {
    std::lock_guard lock(mu_);
    in_use_ -= units;
    if (gauge_ != nullptr) gauge_->Set(static_cast<double>(in_use_));
  }
  freed_.notify_all();
}

size_t InFlightBudget::in_use() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

size_t InFlightBudget::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

size_t InFlightBudget::high_water() const {
  std::lock_guard lock(mu_);
  return high_water_;
}

}  // namespace gridbridge::platform
