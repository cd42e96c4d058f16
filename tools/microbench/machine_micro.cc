// What a thread hand-off costs on this machine: the floor under every
// per-call wake-up in the services (a gRPC handler taking a request, a
// caller waiting for its Redis reply, a relay woken by a commit). Two
// threads pass a byte back and forth over pipes; one iteration is two
// hand-offs. Arg 1: both threads on one CPU (a context switch each); arg 0:
// wherever the scheduler puts them (mostly a wake-up of the other CPU).
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

#include "benchmark/benchmark.h"

namespace {

void PinToFirstCpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

void BM_ThreadHandOff(benchmark::State& state) {
  const bool one_cpu = state.range(0) == 1;
  int to_partner[2], to_main[2];
  if (pipe(to_partner) != 0 || pipe(to_main) != 0) {
    state.SkipWithError("pipe failed");
    return;
  }
  std::thread partner([&] {
    if (one_cpu) PinToFirstCpu();
    char c;
    // Echoes until the main thread closes its end.
    while (read(to_partner[0], &c, 1) == 1) {
      if (write(to_main[1], &c, 1) != 1) break;
    }
  });
  cpu_set_t before;
  pthread_getaffinity_np(pthread_self(), sizeof before, &before);
  if (one_cpu) PinToFirstCpu();
  char c = 'x';
  for (auto _ : state) {
    if (write(to_partner[1], &c, 1) != 1 || read(to_main[0], &c, 1) != 1) {
      state.SkipWithError("pipe I/O failed");
      break;
    }
  }
  close(to_partner[1]);
  partner.join();
  for (int fd : {to_partner[0], to_main[0], to_main[1]}) close(fd);
  pthread_setaffinity_np(pthread_self(), sizeof before, &before);
  state.SetItemsProcessed(state.iterations() * 2);  // hand-offs
}
BENCHMARK(BM_ThreadHandOff)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
