#pragma once

#include <functional>
#include <string_view>

namespace gridbridge::platform {

// Work that no caller waits on (relaying outboxes, consuming topics, firing
// measure timers, re-screening) yields the CPU to request handling. A
// service shares its cores with its own batches: while a backlog of events
// was decided, a checkpoint's median wait went from 24-129 ms to 11-19 ms
// with its consumers at nice 10, the backlog done as fast
// (docs/performance.md, session 19). Background threads still get every
// cycle nobody else wants, and their share of a busy machine (nice 10:
// about a tenth of a request thread's), so they keep up whenever requests
// leave room; a measure timer may fire a little later under such load
// (gridbridge_screening_timer_lateness_seconds shows it).
//
// Names the calling thread (what `top -H`, `perf` and /proc show; Linux
// keeps the first 15 characters), raises its nice value to the process's
// background niceness and moves its allocations to the arena background
// threads share (UseBackgroundArena). Linux keeps a nice value per thread,
// and a thread may always lower its own priority. Threads it creates
// afterwards inherit its name and nice value, not its arena (jemalloc
// assigns theirs; librdkafka's are moved by MakeKafkaConf's interceptor).
//
// Such a thread must not hold what a request thread may wait for (a lock,
// a Redis round trip other callers share: see RedisClient), or the request
// waits for the background thread's turn.
void BecomeBackgroundThread(std::string_view name);

// The niceness BecomeBackgroundThread applies (0..19; 0 leaves priorities
// alone, the default). Set once at start-up, before background threads
// start (ServerDeps::Create, from --background_nice).
void SetBackgroundNiceness(int nice);

// Names the calling thread without changing its priority.
void NameThisThread(std::string_view name);

// Runs `fn` on a new background thread and waits for it. For libraries that
// start threads of their own (librdkafka's handles start theirs when made,
// and those start the later ones): made from here, all of them inherit the
// background priority.
void RunOnBackgroundThread(std::string_view name, const std::function<void()>& fn);

}  // namespace gridbridge::platform
