#pragma once

namespace gridbridge::platform {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it
// creates afterwards. Call first thing in main, before any thread starts.
void BlockShutdownSignals();

// Waits until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForShutdownSignal();

}  // namespace gridbridge::platform
