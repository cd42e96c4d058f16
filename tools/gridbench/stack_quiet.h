#pragma once

#include <chrono>

#include "bench_env.h"
#include "stack_probe.h"

namespace gridbridge::bench {

// Waits until the stack has worked off what the calls before left it to do:
// every outbox of intake and screening empty, screening's consumers with no
// lag (when env.screening_admin is set: events it answers from its request
// log change no count), and screening's decision count unchanged for
// `still` (while it decides a backlog of arrivals the count moves). Gives
// up after `limit`. Returns the seconds waited.
//
// A measurement at a fixed rate that starts right after a saturated one
// otherwise measures the stack catching up, not the rate.
double WaitUntilQuiet(const BenchEnv& env,
                      std::chrono::milliseconds still = std::chrono::milliseconds(1000),
                      std::chrono::milliseconds limit = std::chrono::milliseconds(60000));

// WaitUntilQuiet, then `phase` ends: a saturated phase's machine CPU with
// its working off, counted before the half-load phase that follows.
double WaitUntilQuietThenStop(const BenchEnv& env, MachinePhase& phase);

}  // namespace gridbridge::bench
