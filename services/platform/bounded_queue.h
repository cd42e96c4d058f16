#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace gridbridge::platform {

// A FIFO between the threads of a pipeline, holding at most `capacity`
// items so that a fast stage waits for a slow one instead of piling up
// memory. Producers Close() it when done (consumers drain what is left);
// Cancel() abandons it (on an error: everyone stops at once, what is queued
// is dropped). Thread-safe.
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Waits for room. False (and `item` is dropped) once closed or cancelled.
  bool Push(T item) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return items_.size() < capacity_ || closed_ || cancelled_; });
    if (closed_ || cancelled_) return false;
    items_.push_back(std::move(item));
    changed_.notify_all();
    return true;
  }

  // Waits for an item; nullopt once closed and empty, or cancelled.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return !items_.empty() || closed_ || cancelled_; });
    return TakeFront();
  }

  // An item if one is there now.
  std::optional<T> TryPop() {
    std::lock_guard lock(mu_);
    return TakeFront();
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    changed_.notify_all();
  }

  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    items_.clear();
    changed_.notify_all();
  }

 private:
  std::optional<T> TakeFront() {
    if (cancelled_ || items_.empty()) return std::nullopt;
    std::optional<T> out(std::move(items_.front()));
    items_.pop_front();
    changed_.notify_all();
    return out;
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<T> items_;
  bool closed_ = false;
  bool cancelled_ = false;
};

}  // namespace gridbridge::platform
