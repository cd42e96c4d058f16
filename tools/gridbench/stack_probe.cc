#include "stack_probe.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "redis_keys.h"

namespace gridbridge::bench {

long long SumOfCounts(platform::RedisClient& redis, std::string_view service,
                      const std::vector<std::string>& grids, std::string_view field) {
  std::vector<platform::RedisArgs> cmds;
  for (const auto& g : grids) {
    cmds.push_back({"HGET", platform::GridKeys(service, g).Key("counts"), std::string(field)});
  }
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return -1;
  long long n = 0;
  for (const auto& r : *replies) n += r.is_nil() ? 0 : std::stoll(r.str);
  return n;
}

std::optional<std::vector<long long>> OutboxLengths(platform::RedisClient& redis,
                                                    std::string_view service,
                                                    const std::vector<std::string>& units) {
  std::vector<platform::RedisArgs> cmds;
  for (const auto& u : units) cmds.push_back({"XLEN", platform::GridKeys(service, u).Outbox()});
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return std::nullopt;
  std::vector<long long> out;
  out.reserve(replies->size());
  for (const auto& r : *replies) out.push_back(r.integer);
  return out;
}

std::optional<std::string_view> InfoField(std::string_view info, std::string_view field) {
  while (!info.empty()) {
    const size_t end = std::min(info.find('\n'), info.size());
    std::string_view line = info.substr(0, end);
    info.remove_prefix(std::min(end + 1, info.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':') {
      return line.substr(field.size() + 1);
    }
  }
  return std::nullopt;
}

namespace {

std::optional<double> ParseDouble(std::string_view text) {
  double value = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) {
    return std::nullopt;
  }
  return value;
}

// The number at the front of `text` after any spaces, taken off it;
// nothing if there is none there.
std::optional<long long> TakeNumber(std::string_view& text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  long long n = 0;
  auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || stop == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(stop - text.data()));
  return n;
}

// INFO `section` of the Redis at `redis_addr` (nothing if it did not answer).
std::optional<std::string> Info(const std::string& redis_addr, const std::string& section) {
  auto options = platform::RedisOptionsFromAddr(redis_addr);
  if (!options.ok()) return std::nullopt;
  platform::RedisClient redis(*options);
  auto info = redis.Command({"INFO", section});
  if (!info.ok()) return std::nullopt;
  return info->str;
}

}  // namespace

double RedisUsedMemoryMib(const std::string& redis_addr) {
  auto info = Info(redis_addr, "memory");
  if (!info) return -1;
  auto used = InfoField(*info, "used_memory");
  auto bytes = used ? ParseDouble(*used) : std::nullopt;
  return bytes ? *bytes / (1024.0 * 1024.0) : -1;
}

std::optional<double> CpuSecondsOfStat(std::string_view stat, long ticks_per_s) {
  // The name in parentheses may hold spaces; utime and stime are the 12th
  // and 13th fields after it.
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string_view::npos || ticks_per_s <= 0) return std::nullopt;
  std::istringstream fields(std::string(stat.substr(name_end + 1)));
  std::string field;
  long long ticks[2] = {-1, -1};  // utime, stime
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i < 12) continue;
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), ticks[i - 12]);
    if (ec != std::errc() || end != field.data() + field.size()) return std::nullopt;
  }
  if (ticks[0] < 0 || ticks[1] < 0) return std::nullopt;
  return static_cast<double>(ticks[0] + ticks[1]) / static_cast<double>(ticks_per_s);
}

double ProcessCpuSeconds(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(file, stat)) return -1;
  return CpuSecondsOfStat(stat, sysconf(_SC_CLK_TCK)).value_or(-1);
}

std::optional<MachineCpu> MachineCpuOfProcStat(std::string_view text) {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice":
  // guest time is already inside user and nice.
  constexpr std::string_view kPrefix = "cpu ";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  long long fields[8];
  for (long long& field : fields) {
    auto n = TakeNumber(text);
    if (!n) return std::nullopt;
    field = *n;
  }
  const auto [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  MachineCpu cpu;
  cpu.busy = user + nice + system + irq + softirq;
  cpu.steal = steal;
  cpu.total = cpu.busy + idle + iowait + steal;
  return cpu;
}

std::optional<long long> WakeIpisOfProcInterrupts(std::string_view text) {
  // A row: its name right-aligned ("RES:"), a count per CPU, a description.
  std::optional<long long> reschedule, function_call;
  while (!text.empty()) {
    std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(std::min(text.size(), line.size() + 1));
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    std::optional<long long>* row = line.starts_with("RES:")   ? &reschedule
                                    : line.starts_with("CAL:") ? &function_call
                                                               : nullptr;
    if (row == nullptr) continue;
    line.remove_prefix(4);
    long long sum = 0;
    int cpus = 0;
    for (auto n = TakeNumber(line); n; n = TakeNumber(line), ++cpus) sum += *n;
    if (cpus > 0) *row = sum;
  }
  if (!reschedule || !function_call) return std::nullopt;
  return *reschedule + *function_call;
}

std::optional<MachineCpu> ReadMachineCpu() {
  std::ifstream file("/proc/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  auto cpu = MachineCpuOfProcStat(line);
  if (!cpu) return std::nullopt;
  std::stringstream interrupts;
  interrupts << std::ifstream("/proc/interrupts").rdbuf();
  cpu->wake_ipis = WakeIpisOfProcInterrupts(interrupts.str()).value_or(-1);
  return cpu;
}

std::optional<double> RunQueueWaitOfSchedstat(std::string_view line) {
  // "<ns on a CPU> <ns waiting for one> <timeslices>"
  const size_t first = line.find(' ');
  if (first == std::string_view::npos) return std::nullopt;
  const char* begin = line.data() + first + 1;
  const char* end = line.data() + line.size();
  long long ns = 0;
  auto [stop, ec] = std::from_chars(begin, end, ns);
  if (ec != std::errc() || stop == begin || (stop != end && *stop != ' ')) return std::nullopt;
  return static_cast<double>(ns) / 1e9;
}

std::optional<long long> VoluntarySwitchesOfStatus(std::string_view status) {
  constexpr std::string_view kField = "\nvoluntary_ctxt_switches:";
  const size_t at = status.find(kField);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = status.substr(at + kField.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  long long n = 0;
  auto [stop, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  if (ec != std::errc() || stop == rest.data()) return std::nullopt;
  return n;
}

std::optional<SchedulerCounts> ProcessSchedulerCounts(int pid) {
  SchedulerCounts counts;
  std::error_code ec;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
  if (ec) return std::nullopt;
  for (const auto& task : tasks) {
    std::ifstream schedstat(task.path() / "schedstat");
    std::string line;
    std::ifstream status_file(task.path() / "status");
    std::stringstream status;
    status << status_file.rdbuf();
    // A thread that ended between the listing and the reads is skipped.
    if (!std::getline(schedstat, line)) continue;
    auto wait = RunQueueWaitOfSchedstat(line);
    auto switches = VoluntarySwitchesOfStatus(status.str());
    if (!wait || !switches) continue;
    counts.run_queue_wait_s += *wait;
    counts.voluntary_switches += *switches;
  }
  return counts;
}

namespace {

// A "Name:   123 kB" line of /proc/<pid>/status, in MiB (-1 if missing).
double StatusMib(int pid, std::string_view name) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(name, 0) == 0) return std::stod(line.substr(name.size())) / 1024.0;
  }
  return -1;
}

}  // namespace

double RssMib(int pid) { return StatusMib(pid, "VmRSS:"); }

bool ResetPeakRss(int pid) {
  // "5" resets the peak resident set size (proc(5), clear_refs).
  std::ofstream clear_refs("/proc/" + std::to_string(pid) + "/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return clear_refs.good();
}

double PeakRssMib(int pid) { return StatusMib(pid, "VmHWM:"); }

double RedisCpuSeconds(const std::string& redis_addr) {
  auto info = Info(redis_addr, "cpu");
  if (!info) return -1;
  double total = 0;
  for (const char* field :
       {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"}) {
    auto text = InfoField(*info, field);
    auto value = text ? ParseDouble(*text) : std::nullopt;
    if (!value) return -1;
    total += *value;
  }
  return total;
}

long long RedisAofRewrites(const std::string& redis_addr) {
  auto info = Info(redis_addr, "persistence");
  if (!info) return -1;
  auto text = InfoField(*info, "aof_rewrites");
  auto value = text ? ParseDouble(*text) : std::nullopt;
  return value ? static_cast<long long>(*value) : -1;
}

PhaseCpu::PhaseCpu(std::string redis_addr, std::string service, int pid)
    : redis_addr_(std::move(redis_addr)),
      service_(std::move(service)),
      pid_(pid),
      service_s_(ProcessCpuSeconds(pid_)),
      redis_s_(RedisCpuSeconds(redis_addr_)),
      rewrites_(RedisAofRewrites(redis_addr_)),
      scheduler_(ProcessSchedulerCounts(pid_)) {}

void MachinePhase::PerItem(const std::string& phase, long long items, nlohmann::json& out) const {
  const auto end = end_ ? end_ : ReadMachineCpu();
  if (items <= 0 || !start_ || !end || end->total <= start_->total) return;
  const double busy_s =
      static_cast<double>(end->busy - start_->busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
  const double total = static_cast<double>(end->total - start_->total);
  const double cpus = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  const double us = busy_s * 1e6 / static_cast<double>(items);
  const double cores_busy = cpus * static_cast<double>(end->busy - start_->busy) / total;
  const double steal_pct = 100.0 * static_cast<double>(end->steal - start_->steal) / total;
  const double at_full = us > 0 ? cpus * 1e6 / us : 0;
  out[phase + "_machine_cpu_us"] = us;
  out[phase + "_cores_busy"] = cores_busy;
  out[phase + "_steal_pct"] = steal_pct;
  out[phase + "_per_s_at_full_cores"] = at_full;
  out[phase + "_seconds"] = total / cpus / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::string ipis;
  if (start_->wake_ipis >= 0 && end->wake_ipis >= start_->wake_ipis) {
    const double per_item =
        static_cast<double>(end->wake_ipis - start_->wake_ipis) / static_cast<double>(items);
    out[phase + "_wake_ipis"] = per_item;
    ipis = fmt::format(", {:.2f} wake-up interrupts per item", per_item);
  }
  std::fprintf(stderr,
               "%s: the machine's CPU per item %.1f us (every process and the kernel), %.2f of "
               "%.0f cores busy, %.1f %% stolen: %.0f per second at full use of the cores%s\n",
               phase.c_str(), us, cores_busy, cpus, steal_pct, at_full, ipis.c_str());
}

void AddRatio(nlohmann::json& out, const std::string& key, const std::string& numerator,
              const std::string& denominator) {
  if (!out.contains(numerator) || !out.contains(denominator)) return;
  const double below = out[denominator].get<double>();
  if (below > 0) out[key] = out[numerator].get<double>() / below;
}

void PhaseCpu::PerItem(const std::string& phase, long long items, nlohmann::json& out) const {
  const double service_end = ProcessCpuSeconds(pid_);
  const double redis_end = RedisCpuSeconds(redis_addr_);
  if (items <= 0 || std::min({service_s_, redis_s_, service_end, redis_end}) < 0) return;
  const double service_us = (service_end - service_s_) * 1e6 / static_cast<double>(items);
  const double redis_us = (redis_end - redis_s_) * 1e6 / static_cast<double>(items);
  out[phase + "_" + service_ + "_cpu_us"] = service_us;
  out[phase + "_redis_cpu_us"] = redis_us;
  const long long rewrites_end = RedisAofRewrites(redis_addr_);
  const long long rewrites = std::min(rewrites_, rewrites_end) < 0 ? -1 : rewrites_end - rewrites_;
  if (rewrites >= 0) out[phase + "_aof_rewrites"] = rewrites;
  std::fprintf(stderr, "%s: CPU per item: %s %.1f us, Redis %.1f us; AOF rewrites started: %lld\n",
               phase.c_str(), service_.c_str(), service_us, redis_us, rewrites);
  const auto scheduler_end = ProcessSchedulerCounts(pid_);
  if (!scheduler_ || !scheduler_end) return;
  const double n = static_cast<double>(items);
  const double handoffs =
      static_cast<double>(scheduler_end->voluntary_switches - scheduler_->voluntary_switches) / n;
  const double wait_us = (scheduler_end->run_queue_wait_s - scheduler_->run_queue_wait_s) * 1e6 / n;
  out[phase + "_" + service_ + "_handoffs"] = handoffs;
  out[phase + "_" + service_ + "_cpu_wait_us"] = wait_us;
  std::fprintf(stderr,
               "%s: per item %s's threads blocked %.2f times and waited %.1f us for a CPU (summed "
               "over threads)\n",
               phase.c_str(), service_.c_str(), handoffs, wait_us);
}

}  // namespace gridbridge::bench
