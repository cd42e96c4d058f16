#include "redis_client.h"

// sds.h (which hiredis.h includes) has no C++ guards of its own.
extern "C" {
#include <hiredis/sds.h>
}
#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <new>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "metrics.h"

namespace gridbridge::platform {
namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = static_cast<long>(ms.count() / 1000);
  tv.tv_usec = static_cast<long>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

struct RedisMetrics {
  prometheus::Counter& commands;
  prometheus::Counter& failures;
  prometheus::Counter& reconnects;
  prometheus::Counter& roundtrips;
  prometheus::Histogram& latency;
};

RedisMetrics& ClientMetrics() {
  static RedisMetrics m{prometheus::BuildCounter()
                            .Name("gridbridge_redis_commands_total")
                            .Help("Redis commands sent, pipelined ones counted singly")
                            .Register(Metrics())
                            .Add({}),
                        prometheus::BuildCounter()
                            .Name("gridbridge_redis_failures_total")
                            .Help("Redis round trips that failed in transport")
                            .Register(Metrics())
                            .Add({}),
                        prometheus::BuildCounter()
                            .Name("gridbridge_redis_reconnects_total")
                            .Help("Redis connections (re)established")
                            .Register(Metrics())
                            .Add({}),
                        prometheus::BuildCounter()
                            .Name("gridbridge_redis_roundtrips_total")
                            .Help("Redis round trips; commands / round trips = combining")
                            .Register(Metrics())
                            .Add({}),
                        prometheus::BuildHistogram()
                            .Name("gridbridge_redis_roundtrip_seconds")
                            .Help("Redis round-trip latency")
                            .Register(Metrics())
                            .Add({}, LatencyBuckets())};
  return m;
}

}  // namespace

RedisScript::RedisScript(std::string src) : source(std::move(src)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source.data()), source.size(), digest);
  char hex[2 * SHA_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  sha1 = hex;
}

absl::StatusOr<RedisOptions> RedisOptionsFromAddr(const std::string& addr) {
  auto colon = addr.rfind(':');
  RedisOptions options;
  if (colon == std::string::npos || !absl::SimpleAtoi(addr.substr(colon + 1), &options.port)) {
    return absl::InvalidArgumentError("redis address must be host:port, got '" + addr + "'");
  }
  options.host = addr.substr(0, colon);
  return options;
}

struct RedisClient::Slot {
  ContextPtr ctx;
  std::chrono::steady_clock::time_point next_attempt{};
  std::chrono::milliseconds backoff{0};
};

// One caller's commands and, once `done`, their outcome. Lives on the
// caller's stack until it sees `done`. `taken` (a sender has it) and the
// queue are guarded by mu_; `done` and `turn` by the request's own `m`, on
// which its caller sleeps: a sender wakes its batch after letting go of
// mu_, so a woken caller does not at once wait for mu_ (a second thread
// hand-off, ~11 us here). The rest is written by the sender before `done`.
struct RedisClient::Request {
  const std::vector<RedisArgs>* commands = nullptr;
  std::vector<RedisReply> replies;
  absl::Status status;
  bool taken = false;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool turn = false;  // a connection came free: try to send

  // Under `m`, so that the caller, who needs `m` to see the flag, cannot
  // return (and destroy the request) before notify_one is done with it.
  void Wake(bool finished) {
    std::lock_guard lock(m);
    (finished ? done : turn) = true;
    cv.notify_one();
  }
  // Sleeps until done or given a turn; false once done.
  bool WaitForTurn() {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return done || turn; });
    turn = false;
    return !done;
  }
};

namespace {
// Bounds one combined round trip, so that a bulk caller does not make
// everyone else wait for megabytes of replies.
constexpr size_t kMaxCombinedCommands = 4096;

// hiredis keeps unsent commands in one buffer, grown by doubling and, after
// each partial write to the socket, shifted down by what was sent: a
// pipeline of megabytes (a batch of commit scripts) cost copies on copies
// and fresh pages. Sending whenever this much is buffered keeps the buffer
// small and reused. (Redis reads as we write; replies wait in its output
// buffer until we read them, so writing ahead cannot deadlock.)
constexpr size_t kSendBufferedBytes = 256 * 1024;

void SendBuffered(redisContext* ctx) {
  int done = 0;
  while (!done) {
    // An error is left in ctx->err for the reply read that follows.
    if (redisBufferWrite(ctx, &done) != REDIS_OK) return;
  }
}

// Appends `args` to the connection's output buffer as one RESP command:
// what redisAppendCommandArgv does, without its printf-style length fields
// and its intermediate copy of the whole command (together ~7 % of
// intake's CPU in a BulkImport).
void AppendCommand(redisContext* ctx, const RedisArgs& args) {
  auto header = [](char* p, char kind, size_t n) {
    *p++ = kind;
    p = std::to_chars(p, p + 20, n).ptr;
    *p++ = '\r';
    *p++ = '\n';
    return p;
  };
  size_t most = 24;  // *<count>\r\n
  for (const auto& a : args) most += 24 + a.size() + 2;
  sds buf = sdsMakeRoomFor(ctx->obuf, most);
  if (buf == nullptr) throw std::bad_alloc();  // as operator new would
  char* const start = buf + sdslen(buf);
  char* p = header(start, '*', args.size());
  for (const auto& a : args) {
    p = header(p, '$', a.size());
    std::memcpy(p, a.data(), a.size());
    p += a.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  sdsIncrLen(buf, static_cast<int>(p - start));
  ctx->obuf = buf;
}

}  // namespace

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.pool_size); ++i) {
    slots_.push_back(std::make_unique<Slot>());
    free_.push_back(slots_.back().get());
  }
}

RedisClient::~RedisClient() = default;

absl::Status RedisClient::EnsureConnected(Slot& slot) {
  if (slot.ctx) return absl::OkStatus();
  auto now = std::chrono::steady_clock::now();
  if (now < slot.next_attempt) {
    return absl::UnavailableError("redis at " + options_.host + ":" +
                                  std::to_string(options_.port) +
                                  " unavailable (reconnect backing off)");
  }
  ContextPtr ctx(redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                         ToTimeval(options_.connect_timeout)));
  if (!ctx || ctx->err) {
    std::string why = ctx ? ctx->errstr : "out of memory";
    slot.backoff = std::clamp(slot.backoff * 2, options_.backoff_min, options_.backoff_max);
    slot.next_attempt = now + slot.backoff;
    return absl::UnavailableError("redis at " + options_.host + ":" +
                                  std::to_string(options_.port) + " unavailable: " + why);
  }
  redisSetTimeout(ctx.get(), ToTimeval(options_.command_timeout));
  redisEnableKeepAlive(ctx.get());
  slot.ctx = std::move(ctx);
  {
    std::lock_guard lock(scripts_mu_);
    loaded_scripts_.clear();  // Redis may have restarted: load them again
  }
  slot.backoff = std::chrono::milliseconds(0);
  ClientMetrics().reconnects.Increment();
  return absl::OkStatus();
}

void RedisClient::RunBatch(Slot& slot, const std::vector<Request*>& batch) {
  if (absl::Status s = EnsureConnected(slot); !s.ok()) {
    ClientMetrics().failures.Increment();
    for (Request* r : batch) r->status = s;
    return;
  }
  auto start = std::chrono::steady_clock::now();
  size_t total = 0;
  for (Request* r : batch) {
    for (const auto& args : *r->commands) {
      AppendCommand(slot.ctx.get(), args);
      if (sdslen(slot.ctx->obuf) >= kSendBufferedBytes) SendBuffered(slot.ctx.get());
    }
    total += r->commands->size();
  }
  for (size_t k = 0; k < batch.size(); ++k) {
    Request* r = batch[k];
    r->replies.reserve(r->commands->size());
    for (size_t i = 0; i < r->commands->size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(slot.ctx.get(), &raw) != REDIS_OK || raw == nullptr) {
        std::string why = slot.ctx->errstr;
        slot.ctx.reset();  // the stream is out of sync now: drop the connection
        slot.backoff = options_.backoff_min;
        slot.next_attempt = std::chrono::steady_clock::now();
        ClientMetrics().failures.Increment();
        absl::Status lost = absl::UnavailableError(
            "redis at " + options_.host + ":" + std::to_string(options_.port) + " failed: " + why);
        for (size_t j = k; j < batch.size(); ++j) batch[j]->status = lost;
        return;
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      r->replies.push_back(Convert(reply.get()));
    }
  }
  ClientMetrics().commands.Increment(static_cast<double>(total));
  ClientMetrics().roundtrips.Increment();
  ClientMetrics().latency.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<RedisArgs>& commands) {
  if (commands.empty()) return std::vector<RedisReply>{};
  Request me;
  me.commands = &commands;
  std::unique_lock lock(mu_);
  waiting_.push_back(&me);
  while (!me.taken) {
    if (free_.empty()) {
      // A sender takes and answers us, or a connection comes free.
      lock.unlock();
      if (!me.WaitForTurn()) break;
      lock.lock();
      continue;
    }
    // Become the sender for everyone waiting (oldest first, bounded).
    Slot* slot = free_.back();
    free_.pop_back();
    std::vector<Request*> batch;
    size_t n = 0;
    bool mine = false;  // our own request is in the batch
    while (!waiting_.empty() &&
           (batch.empty() || n + waiting_.front()->commands->size() <= kMaxCombinedCommands)) {
      n += waiting_.front()->commands->size();
      batch.push_back(waiting_.front());
      batch.back()->taken = true;
      mine = mine || batch.back() == &me;
      waiting_.pop_front();
    }
    lock.unlock();
    RunBatch(*slot, batch);
    lock.lock();
    free_.push_back(slot);
    // A connection is free again: the oldest waiter (if any) sends next.
    // Under mu_: a request still queued lives until it is taken and done.
    if (!waiting_.empty()) waiting_.front()->Wake(/*finished=*/false);
    session_waiting_.notify_one();
    lock.unlock();
    // Taken requests live until they see done: woken without mu_.
    for (Request* r : batch) r->Wake(/*finished=*/true);
    if (mine) break;
    lock.lock();
  }
  if (lock.owns_lock()) lock.unlock();
  // Taken by another sender (or answered by ourselves): wait for the answer.
  while (me.WaitForTurn()) {
  }
  if (!me.status.ok()) return me.status;
  return std::move(me.replies);
}

absl::Status RedisClient::WithSession(const std::function<absl::Status(Session&)>& fn) {
  Slot* slot = nullptr;
  {
    std::unique_lock lock(mu_);
    session_waiting_.wait(lock, [&] { return !free_.empty(); });
    slot = free_.back();
    free_.pop_back();
  }
  Session session(*this, *slot);
  absl::Status status = fn(session);
  if (!status.ok()) slot->ctx.reset();  // it may still be WATCHing
  std::lock_guard lock(mu_);
  free_.push_back(slot);
  if (!waiting_.empty()) waiting_.front()->Wake(/*finished=*/false);
  session_waiting_.notify_one();
  return status;
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::Session::Pipeline(
    const std::vector<RedisArgs>& commands) {
  if (used_ && !slot_.ctx) {
    return absl::UnavailableError("redis connection lost during a session");
  }
  used_ = true;
  Request request;
  request.commands = &commands;
  client_.RunBatch(slot_, {&request});
  if (!request.status.ok()) return request.status;
  return std::move(request.replies);
}

absl::StatusOr<RedisReply> RedisClient::Command(const RedisArgs& args) {
  auto replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::Status RedisClient::Ping() {
  auto reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return absl::UnavailableError("redis PING: " + reply->str);
  return absl::OkStatus();
}

absl::StatusOr<RedisReply> RedisClient::Eval(const RedisScript& script, const RedisArgs& keys,
                                             const RedisArgs& args) {
  auto replies = EvalBatch(script, {{keys, args}});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::EvalBatch(
    const RedisScript& script, const std::vector<std::pair<RedisArgs, RedisArgs>>& calls) {
  std::vector<RedisArgs> commands;
  commands.reserve(calls.size());
  for (const auto& [keys, args] : calls) {
    RedisArgs cmd{"EVALSHA", script.sha1, std::to_string(keys.size())};
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    commands.push_back(std::move(cmd));
  }
  return EvalCommands(script, commands);
}

absl::Status RedisClient::LoadScript(const RedisScript& script) {
  auto load = Command({"SCRIPT", "LOAD", script.source});
  if (!load.ok()) return load.status();
  if (load->is_error()) return absl::InternalError("redis SCRIPT LOAD failed: " + load->str);
  std::lock_guard lock(scripts_mu_);
  loaded_scripts_.insert(script.sha1);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RedisReply>> RedisClient::EvalCommands(
    const RedisScript& script, const std::vector<RedisArgs>& commands) {
  // Loaded before its first use: a batch sent to a Redis that does not know
  // the script would fail call by call, and if another client loaded it
  // meanwhile, only in part (see below).
  bool loaded;
  {
    std::lock_guard lock(scripts_mu_);
    loaded = loaded_scripts_.count(script.sha1) > 0;
  }
  if (!loaded) {
    if (absl::Status s = LoadScript(script); !s.ok()) return s;
  }
  auto replies = Pipeline(commands);
  if (!replies.ok()) return replies;
  // A NOSCRIPT error means the script did not run for that call: load it
  // and run those calls again, and only those. Redis's script cache may
  // fill in the middle of a batch (another client's SCRIPT LOAD after a
  // restart or a flush): the calls after it ran, and running the whole
  // batch again applied them twice.
  std::vector<RedisArgs> again;
  std::vector<size_t> where;
  for (size_t i = 0; i < replies->size(); ++i) {
    const RedisReply& r = (*replies)[i];
    if (r.is_error() && r.str.rfind("NOSCRIPT", 0) == 0) {
      again.push_back(commands[i]);
      where.push_back(i);
    }
  }
  if (again.empty()) return replies;
  if (absl::Status s = LoadScript(script); !s.ok()) return s;
  auto rerun = Pipeline(again);
  if (!rerun.ok()) return rerun.status();  // like any batch cut short: some calls ran
  for (size_t k = 0; k < where.size(); ++k) (*replies)[where[k]] = std::move((*rerun)[k]);
  return replies;
}

}  // namespace gridbridge::platform
