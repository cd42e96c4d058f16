#pragma once

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace gridbridge::platform {

// Background threads (BecomeBackgroundThread) and librdkafka's threads
// allocate from one jemalloc arena of their own, shared among them and apart
// from request threads'.
//
// Why, measured in screening's decisions phase (docs/performance.md,
// session 21): with the arena per thread jemalloc assigns, a consumer's
// batch (tens of megabytes, freed once committed) kept landing on fresh
// pages, 73,000-108,000 page faults per 100,000 decisions and a fifth to a
// third of the consumers' CPU; 80,000 with purging off, while jemalloc held
// up to 1 GB of freed pages it did not reuse. Sharing one arena,
// a consumer and its librdkafka broker thread (which allocates what the
// consumer frees) reuse each other's memory: 46,000-60,000 faults, less CPU
// per decision. One arena for the whole process did as well for the
// decisions but lengthened the checkpoint's tail (8 pairs): request threads
// then share arena locks with threads at nice 10, and a request waits for
// a lock whose holder waits for a CPU. Request threads keep jemalloc's.
//
// Moves the calling thread's future allocations to that arena (made on
// first use). Does nothing where jemalloc is not the allocator (sanitizer
// builds, tools): allocations then stay where the allocator puts them.
void UseBackgroundArena();

// Makes every jemalloc arena, those there are and those made later, keep
// freed (dirty) pages for `d` before giving them back to the system (the
// servers' start-up option is 1 s: jemalloc_options.cc). A service whose
// threads free and allocate tens of megabytes a second (screening working
// off a backlog) spends less CPU with longer: giving pages back costs a
// `madvise` and a TLB shootdown, and each page used again a fault (~12 us
// on the benchmark machine; docs/performance.md, session 25). Call before
// the service's threads start. Unimplemented without jemalloc.
absl::Status KeepFreedPagesFor(absl::Duration d);

// KeepFreedPagesFor at a server's start: a failure is logged (the servers'
// start-up option stays), nothing without jemalloc (sanitizer builds).
void KeepFreedPagesFromStart(absl::Duration d);

// Gives every arena's freed pages back to the system now, whatever their
// decay: for the end of a burst (an import) in a service that otherwise
// keeps them (KeepFreedPagesFor), so that what it holds after the burst is
// what it uses. Costs a `madvise` per run of free pages (~0.4 us a page
// here). Unimplemented without jemalloc.
absl::Status ReturnFreedPages();

// Bytes of freed pages jemalloc keeps, all arenas together; nullopt
// without jemalloc (for tests and diagnostics).
std::optional<size_t> FreedBytesKept();

// How long jemalloc's `arena` keeps freed pages (its dirty decay, ms);
// nullopt without jemalloc.
std::optional<long long> ArenaDirtyDecayMs(unsigned arena);

// The jemalloc arena the calling thread allocates from; nullopt without
// jemalloc (for tests and diagnostics).
std::optional<unsigned> ThisThreadArena();

}  // namespace gridbridge::platform
