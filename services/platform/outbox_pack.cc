#include "outbox_pack.h"

#include <lz4frame.h>

#include <cstring>
#include <memory>

namespace gridbridge::platform {
namespace {

constexpr char kLz4Magic[] = {0x04, 0x22, 0x4d, 0x18};

// An LZ4 context kept per thread and reused (creating one allocates), or
// null if it could not be created.
template <typename Context, auto kCreate, auto kFree>
Context* ThreadContext() {
  struct Free {
    void operator()(Context* c) const { kFree(c); }
  };
  thread_local std::unique_ptr<Context, Free> context = [] {
    Context* c = nullptr;
    if (LZ4F_isError(kCreate(&c, LZ4F_VERSION))) c = nullptr;
    return std::unique_ptr<Context, Free>(c);
  }();
  return context.get();
}

// The compression context: LZ4F_compressFrame set up a fresh one per entry,
// zeroing its 16 KiB hash table each time; a reused one is reset cheaply.
// With the unzeroed output buffer and the batch compressed in place
// (PackOutboxEntry): ~900 fewer instructions per decision and ~700 per
// imported row (gridmicro), of ~5,000 that packing cost (the content
// checksum ~1,300 of them).
LZ4F_cctx* ThreadCctx() {
  return ThreadContext<LZ4F_cctx, LZ4F_createCompressionContext, LZ4F_freeCompressionContext>();
}

LZ4F_dctx* ThreadDctx() {
  return ThreadContext<LZ4F_dctx, LZ4F_createDecompressionContext, LZ4F_freeDecompressionContext>();
}

absl::Status Corrupt(std::string_view why) {
  return absl::DataLossError(std::string("packed outbox entry: ") + std::string(why));
}

}  // namespace

std::string PackOutboxEntry(std::string batch) {
  if (batch.size() < kPackOutboxEntriesFrom) return batch;
  LZ4F_preferences_t prefs = LZ4F_INIT_PREFERENCES;
  prefs.frameInfo.contentSize = batch.size();
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  // Independent blocks keep the thread's context at ~16 KiB (linked ones
  // add a 64 KiB history buffer, per gRPC handler thread in intake); an
  // entry over one 64 KiB block is rare and loses little.
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  // The batch is whole and stays put: compressed where it is, not copied
  // into the context's own buffer first.
  prefs.autoFlush = 1;
  LZ4F_compressOptions_t in_place{};
  in_place.stableSrc = 1;
  LZ4F_cctx* cctx = ThreadCctx();
  if (cctx == nullptr) return batch;
  // Written into a buffer nobody zeroes first (the bound is ~the batch's
  // size; the frame is a sixth of it), then copied out at its size.
  const size_t bound = LZ4F_compressFrameBound(batch.size(), &prefs);
  auto buffer = std::make_unique_for_overwrite<char[]>(bound);
  size_t n = LZ4F_compressBegin(cctx, buffer.get(), bound, &prefs);
  if (!LZ4F_isError(n)) {
    const size_t body = LZ4F_compressUpdate(cctx, buffer.get() + n, bound - n, batch.data(),
                                            batch.size(), &in_place);
    n = LZ4F_isError(body) ? body : n + body;
  }
  if (!LZ4F_isError(n)) {
    const size_t end = LZ4F_compressEnd(cctx, buffer.get() + n, bound - n, nullptr);
    n = LZ4F_isError(end) ? end : n + end;
  }
  // Incompressible bytes (or a failure, which cannot happen with a bound
  // this size) are kept as they came.
  if (LZ4F_isError(n) || n >= batch.size()) return batch;
  return std::string(buffer.get(), n);
}

bool IsPackedOutboxEntry(std::string_view stored) {
  return stored.size() >= sizeof(kLz4Magic) &&
         std::memcmp(stored.data(), kLz4Magic, sizeof(kLz4Magic)) == 0;
}

absl::StatusOr<std::string> UnpackOutboxEntry(std::string_view packed) {
  if (!IsPackedOutboxEntry(packed)) return Corrupt("not an LZ4 frame");
  LZ4F_dctx* dctx = ThreadDctx();
  if (dctx == nullptr) return absl::ResourceExhaustedError("no LZ4 decompression context");
  LZ4F_resetDecompressionContext(dctx);
  LZ4F_frameInfo_t info;
  size_t header = packed.size();
  size_t hint = LZ4F_getFrameInfo(dctx, &info, packed.data(), &header);
  if (LZ4F_isError(hint)) return Corrupt(LZ4F_getErrorName(hint));
  if (info.contentSize == 0) return Corrupt("no content size");
  if (info.contentSize > kMaxUnpackedOutboxEntry) return Corrupt("content size over the limit");
  std::string batch(info.contentSize, '\0');
  size_t in = header, out = 0;
  // The whole frame is given at once; a call returns 0 once it has read
  // the end mark and checked the checksum.
  while (hint != 0) {
    size_t src = packed.size() - in, dst = batch.size() - out;
    hint = LZ4F_decompress(dctx, batch.data() + out, &dst, packed.data() + in, &src, nullptr);
    if (LZ4F_isError(hint)) return Corrupt(LZ4F_getErrorName(hint));
    if (src == 0 && dst == 0 && hint != 0) return Corrupt("truncated");
    in += src;
    out += dst;
  }
  if (out != batch.size()) return Corrupt("shorter than its content size");
  if (in != packed.size()) return Corrupt("bytes after the frame");
  return batch;
}

}  // namespace gridbridge::platform
