// gridmicro: see CMakeLists.txt. Prints on stderr, at exit, how many items
// the benchmarks' measured functions handled (scripts/microbench --count).
#include <cstdio>

#include "benchmark/benchmark.h"
#include "micro.h"

namespace gridbridge::micro {
std::atomic<long long> measured_items{0};
}  // namespace gridbridge::micro

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::fprintf(stderr, "measured items: %lld\n", gridbridge::micro::measured_items.load());
  return 0;
}
