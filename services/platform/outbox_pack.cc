#include "outbox_pack.h"

#include <lz4frame.h>

#include <cstring>
#include <memory>

namespace gridbridge::platform {
namespace {

constexpr char kLz4Magic[] = {0x04, 0x22, 0x4d, 0x18};

struct DctxDeleter {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};

// One decompression context per thread (a relay's loop), reused: creating
// one allocates.
LZ4F_dctx* ThreadDctx() {
  thread_local std::unique_ptr<LZ4F_dctx, DctxDeleter> dctx = [] {
    LZ4F_dctx* d = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) d = nullptr;
    return std::unique_ptr<LZ4F_dctx, DctxDeleter>(d);
  }();
  return dctx.get();
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
  std::string packed(LZ4F_compressFrameBound(batch.size(), &prefs), '\0');
  const size_t n =
      LZ4F_compressFrame(packed.data(), packed.size(), batch.data(), batch.size(), &prefs);
  // Incompressible bytes (or a failure, which cannot happen with a bound
  // this size) are kept as they came.
  if (LZ4F_isError(n) || n >= batch.size()) return batch;
  packed.resize(n);
  return packed;
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
