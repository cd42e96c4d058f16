// gridbridge-broker: a Kafka broker for local runs and tests.
//
// It speaks the real Kafka protocol on loopback (librdkafka's mock cluster),
// so any Kafka client, kcat included, can use it. It creates every topic of
// the catalog with its partition count (the mock has no CreateTopics API),
// prints the bootstrap address and writes it to --bootstrap_file, since the
// mock picks its own ports.
//
// Signals: SIGTERM/SIGINT stop it; SIGUSR1 takes every broker down (clients
// see connection refused), SIGUSR2 brings them back: fault injection for
// tests and demos.
//
// Limits of the mock (design tests around them): it keeps about 5 MB or
// 100,000 message sets per partition and silently drops older data; a
// consumer group's first join takes ~3 s; transactions are not enforced.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "topic_catalog.h"

namespace {

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* mc) const { rd_kafka_mock_cluster_destroy(mc); }
};

bool WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  std::string catalog_path;
  std::string bootstrap_file;
  std::vector<std::string> extra_topics;
  CLI::App app{"gridbridge-broker: local Kafka broker on librdkafka's mock cluster"};
  app.add_option("--brokers", brokers, "number of brokers")
      ->check(CLI::Range(1, 5))
      ->capture_default_str();
  app.add_option("--catalog", catalog_path, "topic catalog JSON (catalog/topics.json)")->required();
  app.add_option("--bootstrap_file", bootstrap_file, "where to write the bootstrap address");
  app.add_option("--topic", extra_topics, "extra topic NAME:PARTITIONS (repeatable)");
  int rtt_ms = 0;
  app.add_option("--rtt_ms", rtt_ms,
                 "each broker answers this many ms late, as a broker across a network and "
                 "waiting for its replicas would")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before librdkafka starts threads

  auto catalog = gridbridge::platform::LoadTopicCatalog(catalog_path);
  if (!catalog.ok()) {
    std::fprintf(stderr, "gridbridge-broker: %s\n", catalog.status().ToString().c_str());
    return 2;
  }
  for (const auto& spec : extra_topics) {
    auto colon = spec.rfind(':');
    gridbridge::platform::TopicSpec t;
    if (colon == std::string::npos || !absl::SimpleAtoi(spec.substr(colon + 1), &t.partitions) ||
        t.partitions < 1) {
      std::fprintf(stderr, "gridbridge-broker: --topic must be NAME:PARTITIONS, got %s\n",
                   spec.c_str());
      return 2;
    }
    t.name = spec.substr(0, colon);
    catalog->push_back(t);
  }

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  // The mock's broker sockets are made with this handle's settings. A real
  // Kafka broker disables Nagle's algorithm on its connections; with it on,
  // a client's requests to several partitions of one broker were answered
  // one delayed ACK (~40 ms) apart, and every multi-partition publish took
  // ~48 ms instead of ~6 (docs/performance.md, screening, session 23).
  if (rd_kafka_conf_set(conf, "socket.nagle.disable", "true", err, sizeof err) !=
      RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "gridbridge-broker: %s\n", err);
    return 1;
  }
  std::unique_ptr<rd_kafka_t, RdKafkaDeleter> rk(
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
  if (!rk) {
    std::fprintf(stderr, "gridbridge-broker: %s\n", err);
    return 1;
  }
  std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter> cluster(
      rd_kafka_mock_cluster_new(rk.get(), brokers));
  if (!cluster) {
    std::fprintf(stderr, "gridbridge-broker: cannot create the mock cluster\n");
    return 1;
  }
  int replication = brokers < 3 ? brokers : 3;
  for (const auto& t : *catalog) {
    rd_kafka_resp_err_t e =
        rd_kafka_mock_topic_create(cluster.get(), t.name.c_str(), t.partitions, replication);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "gridbridge-broker: topic %s: %s\n", t.name.c_str(),
                   rd_kafka_err2str(e));
      return 1;
    }
  }
  for (int id = 1; id <= brokers && rtt_ms > 0; ++id) {
    rd_kafka_mock_broker_set_rtt(cluster.get(), id, rtt_ms);
  }
  std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster.get());
  if (!bootstrap_file.empty() && !WriteFileAtomically(bootstrap_file, bootstrap)) {
    std::fprintf(stderr, "gridbridge-broker: cannot write %s\n", bootstrap_file.c_str());
    return 1;
  }
  std::printf("{\"bootstrap\":\"%s\",\"brokers\":%d,\"topics\":%zu}\n", bootstrap.c_str(), brokers,
              catalog->size());
  std::fflush(stdout);

  while (true) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      for (int id = 1; id <= brokers; ++id) {
        if (sig == SIGUSR1)
          rd_kafka_mock_broker_set_down(cluster.get(), id);
        else
          rd_kafka_mock_broker_set_up(cluster.get(), id);
      }
      std::printf("{\"brokers\":\"%s\"}\n", sig == SIGUSR1 ? "down" : "up");
      std::fflush(stdout);
      continue;
    }
    break;
  }
  cluster.reset();
  rk.reset();
  if (!bootstrap_file.empty()) std::remove(bootstrap_file.c_str());
  return 0;
}
