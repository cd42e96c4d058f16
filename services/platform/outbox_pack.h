#pragma once
// How an outbox entry's records are kept in Redis (outbox.h): an entry of
// many records is stored LZ4-compressed.
//
// Why: a commit's events are written to Redis's append-only file when they
// enter the outbox, then deleted once Kafka has them; they never stay in
// the dataset, yet they were about half of the AOF's bytes in the screening
// benchmark (253 of 533 MB), and Redis rewrites its AOF each time it has
// grown by the dataset's size again (deploy/redis.conf): the rewrites (a
// forked child writing the whole dataset, copy-on-write faults in the
// parent) cost Redis more CPU per decision than the commands themselves,
// and the AOF's bytes are disk and replay time at a restart
// (docs/performance.md, session 15). The records of one entry repeat each
// other (topic, header names, the rule's explanation), so an entry of ~13
// decisions compresses ~6 times with LZ4, at ~2.5 GB/s here.
//
// The stored bytes say which form they are in: an OutboxBatch starts with
// the tag of its field 1 (0x0a), an LZ4 frame with its magic number
// (04 22 4d 18), which is no protobuf tag. `lz4 -d` reads a packed entry.
// A relay that predates packing leaves a packed entry in place and logs it
// (outbox.cc), so rolling back loses nothing but stalls those outboxes
// until a relay that knows the form runs again.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gridbridge::platform {

// Entries of fewer bytes are stored as they are: one record (~700 bytes)
// shrinks by a fifth at most, not worth the CPU on both sides.
inline constexpr size_t kPackOutboxEntriesFrom = 1024;
// An entry that claims to unpack to more is refused (DATA_LOSS) rather
// than allocated: commits put at most kMaxRecordsPerOutboxEntry records,
// or one grid's columnar run, in an entry, far below this.
inline constexpr size_t kMaxUnpackedOutboxEntry = 64 << 20;

// The bytes to store for an entry whose encoded OutboxBatch is `batch`:
// an LZ4 frame of it (content size and checksum included) when the batch
// is at least kPackOutboxEntriesFrom bytes and the frame is smaller, else
// `batch` itself.
std::string PackOutboxEntry(std::string batch);

// Whether stored entry bytes are an LZ4 frame (else an OutboxBatch).
bool IsPackedOutboxEntry(std::string_view stored);

// The OutboxBatch bytes of a packed entry. DATA_LOSS if the frame is
// truncated, corrupt (its checksum), has no content size or claims more
// than kMaxUnpackedOutboxEntry.
absl::StatusOr<std::string> UnpackOutboxEntry(std::string_view packed);

}  // namespace gridbridge::platform
