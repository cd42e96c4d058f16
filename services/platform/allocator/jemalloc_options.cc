// jemalloc's start-up options for server executables (read by jemalloc
// before main). Defaults keep freed pages for 10 s and one arena per 4x
// cores, which showed as ~30% more resident memory after a 100,000-row
// import; return freed pages within a second, from a background thread so
// request threads do not pay for it.
extern "C" {
// NOLINTNEXTLINE: the name is jemalloc's interface.
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
