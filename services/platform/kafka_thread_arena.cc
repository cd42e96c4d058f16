#include "kafka_thread_arena.h"

#include <librdkafka/rdkafka.h>

#include "background_arena.h"

namespace gridbridge::platform {
namespace {

constexpr char kInterceptor[] = "gridbridge-background-arena";

rd_kafka_resp_err_t OnThreadStart(rd_kafka_t*, rd_kafka_thread_type_t, const char*, void*) {
  UseBackgroundArena();
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t OnNew(rd_kafka_t* rk, const rd_kafka_conf_t*, void*, char*, size_t) {
  return rd_kafka_interceptor_add_on_thread_start(rk, kInterceptor, OnThreadStart, nullptr);
}

// Interceptors are not copied with a configuration unless they add
// themselves to the copy (librdkafka's C++ clients copy theirs).
rd_kafka_resp_err_t OnConfDup(rd_kafka_conf_t* copy, const rd_kafka_conf_t*, size_t, const char**,
                              void*);

void AddTo(rd_kafka_conf_t* conf) {
  rd_kafka_conf_interceptor_add_on_new(conf, kInterceptor, OnNew, nullptr);
  rd_kafka_conf_interceptor_add_on_conf_dup(conf, kInterceptor, OnConfDup, nullptr);
}

rd_kafka_resp_err_t OnConfDup(rd_kafka_conf_t* copy, const rd_kafka_conf_t*, size_t, const char**,
                              void*) {
  AddTo(copy);
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace

void ShareBackgroundArenaWithKafkaThreads(rd_kafka_conf_s* conf) { AddTo(conf); }

}  // namespace gridbridge::platform
