#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "redis_client.h"

namespace gridbridge::bench {

// How the benchmarks read the stack: what the services keep in Redis (each a
// pipeline), Redis's own figures, and the processes' CPU and memory.

// The sum of `field` of `service`'s per-grid counts hash over `grids` (-1 if
// Redis did not answer).
long long SumOfCounts(platform::RedisClient& redis, std::string_view service,
                      const std::vector<std::string>& grids, std::string_view field);

// The number of entries in each of `units`' outboxes of `service`, in order
// (nothing if Redis did not answer).
std::optional<std::vector<long long>> OutboxLengths(platform::RedisClient& redis,
                                                    std::string_view service,
                                                    const std::vector<std::string>& units);

// The value of `field` in an INFO reply ("field:value" lines), if there.
std::optional<std::string_view> InfoField(std::string_view info, std::string_view field);

// Redis's used_memory (INFO memory) in MiB: what the stack's state costs in
// Redis after a run (-1 if Redis did not answer).
double RedisUsedMemoryMib(const std::string& redis_addr);

// The CPU time (user + system) in a /proc/<pid>/stat line, in seconds, with
// `ticks_per_s` clock ticks a second; nothing if the line does not parse.
std::optional<double> CpuSecondsOfStat(std::string_view stat, long ticks_per_s);

// A process's CPU time so far, in seconds (-1 if unknown).
double ProcessCpuSeconds(int pid);

// What the scheduler counted for a process's threads (/proc/<pid>/task/*):
// the time they were runnable but waited for a CPU, and how often they
// blocked (voluntary context switches: each a hand-off to whoever wakes
// them, ~11 us of CPU across the two CPUs here: gridmicro
// BM_ThreadHandOff). Threads that ended take their counts with them.
struct SchedulerCounts {
  double run_queue_wait_s = 0;
  long long voluntary_switches = 0;
};
std::optional<SchedulerCounts> ProcessSchedulerCounts(int pid);
// The run-queue wait (second field, ns) of a /proc/.../schedstat line, in
// seconds; the voluntary_ctxt_switches of a /proc/.../status text.
std::optional<double> RunQueueWaitOfSchedstat(std::string_view line);
std::optional<long long> VoluntarySwitchesOfStatus(std::string_view status);

// The whole machine's CPU time, from the first line of /proc/stat, in clock
// ticks summed over all CPUs: what every process and the kernel used
// (`busy`: user, nice, system, irq, softirq), what the hypervisor gave to
// other guests while this machine wanted a CPU (`steal`), and all of it
// (`total`, idle and iowait included). Over a phase, busy time per item
// counts everything the items cost here, the benchmark client's share
// included, so it says how many items per second the cores could carry at
// best; steal says how much of a slow run was the neighbours.
//
// `wake_ipis`: the interprocessor interrupts the CPUs took to reschedule or
// run a function for another CPU (/proc/interrupts, RES and CAL): mostly
// one CPU waking a thread on the other. On this VM an idle CPU halts, and
// waking it is an interrupt through the hypervisor each time; on busy
// cores a woken thread mostly finds its CPU awake. -1 when not readable.
struct MachineCpu {
  long long busy = 0, steal = 0, total = 0;
  long long wake_ipis = -1;
};
std::optional<MachineCpu> MachineCpuOfProcStat(std::string_view text);
// The RES and CAL rows of a /proc/interrupts text, summed over the CPUs;
// nothing if either row is missing or does not parse.
std::optional<long long> WakeIpisOfProcInterrupts(std::string_view text);
std::optional<MachineCpu> ReadMachineCpu();

// The machine's CPU over a phase (from construction or Start to Stop, or to
// PerItem when not stopped): PerItem adds <phase>_machine_cpu_us (per
// item), <phase>_cores_busy, <phase>_steal_pct, <phase>_per_s_at_full_cores
// (the items per second this machine's CPUs would carry at that cost),
// <phase>_seconds (the phase's length by the machine's clock) and, where
// /proc/interrupts was read, <phase>_wake_ipis (per item) to `out` and
// prints them; nothing when a reading failed.
class MachinePhase {
 public:
  MachinePhase() : start_(ReadMachineCpu()) {}
  // Starts the phase again from now.
  void Start() {
    start_ = ReadMachineCpu();
    end_.reset();
  }
  // Ends the phase before its items are known (e.g. once the stack has
  // worked off a saturated phase, whose calls are counted after the next).
  void Stop() { end_ = ReadMachineCpu(); }
  void PerItem(const std::string& phase, long long items, nlohmann::json& out) const;

 private:
  std::optional<MachineCpu> start_, end_;
};

// out[key] = out[numerator] / out[denominator] where both figures are there
// (a reading can fail) and the denominator is above 0.
void AddRatio(nlohmann::json& out, const std::string& key, const std::string& numerator,
              const std::string& denominator);

// Resident set size of a process, in MiB (-1 if unknown).
double RssMib(int pid);

// The most a process has held resident since it started or since
// ResetPeakRss (which only the process's owner may do: false if refused), in
// MiB (-1 if unknown). What a phase needed at its worst, not at its end.
bool ResetPeakRss(int pid);
double PeakRssMib(int pid);

// Redis's CPU time so far (INFO cpu, its children's included: AOF rewrites
// count once they end), in seconds (-1 if Redis did not answer).
double RedisCpuSeconds(const std::string& redis_addr);

// How many AOF rewrites Redis has started (INFO persistence), or -1.
long long RedisAofRewrites(const std::string& redis_addr);

// The CPU a service's process and Redis (its AOF rewrites included once they
// end) spend over a phase of a benchmark, per item, and the AOF rewrites
// Redis started in it: the figures that tell where a change went on a
// machine whose throughput varies by 10-30 % from run to run (a rewrite in
// a phase or not moves Redis's figure by half). Also the service's thread
// hand-offs and its threads' waits for a CPU per item: what a call's
// latency is made of on two busy cores. Readings start at construction.
class PhaseCpu {
 public:
  PhaseCpu(std::string redis_addr, std::string service, int pid);
  // Adds <phase>_<service>_cpu_us and <phase>_redis_cpu_us, per one of
  // `items`, and <phase>_aof_rewrites to `out` and prints them; adds
  // nothing when a reading failed. Adds <phase>_<service>_handoffs and
  // <phase>_<service>_cpu_wait_us (per item) when the scheduler's counts
  // could be read.
  void PerItem(const std::string& phase, long long items, nlohmann::json& out) const;

 private:
  std::string redis_addr_, service_;
  int pid_;
  double service_s_, redis_s_;
  long long rewrites_;
  std::optional<SchedulerCounts> scheduler_;
};

}  // namespace gridbridge::bench
