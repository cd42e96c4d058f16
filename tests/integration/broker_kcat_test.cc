// The local broker checked by kcat, a Kafka client nobody here wrote.
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <set>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "stack.h"
#include "topic_catalog.h"

namespace gridbridge::testing {
namespace {

TEST(LocalBroker, KcatListsEveryCatalogTopicWithItsPartitions) {
  Broker broker;
  auto listing = RunCommand("kcat -b " + broker.bootstrap() + " -L -J -m 10");
  ASSERT_EQ(listing.status, 0) << listing.out;
  auto metadata = nlohmann::json::parse(listing.out);
  std::map<std::string, size_t> partitions;
  for (const auto& t : metadata["topics"]) partitions[t["topic"]] = t["partitions"].size();
  auto catalog = platform::LoadTopicCatalog(SourcePath("catalog/topics.json"));
  ASSERT_TRUE(catalog.ok());
  for (const auto& spec : *catalog) {
    ASSERT_TRUE(partitions.count(spec.name)) << spec.name << " missing";
    EXPECT_EQ(partitions[spec.name], static_cast<size_t>(spec.partitions)) << spec.name;
  }
}

TEST(LocalBroker, KcatProducesAndConsumesWithKeysAndHeaders) {
  Broker broker;
  const std::string topic = "gridbridge.platform.probe.v1";
  auto produce =
      RunCommand("printf 'g1:one\\ng2:two\\ng1:three\\n' | kcat -b " + broker.bootstrap() +
                 " -P -t " + topic + " -K: -H ce_id=abc -H ce_type=test");
  ASSERT_EQ(produce.status, 0) << produce.out;
  auto consume = RunCommand("kcat -b " + broker.bootstrap() + " -C -t " + topic +
                            " -o beginning -e -q -f '%k=%s;%h\\n'");
  ASSERT_EQ(consume.status, 0);
  std::multiset<std::string> lines;
  std::stringstream in(consume.out);
  for (std::string line; std::getline(in, line);) lines.insert(line);
  EXPECT_EQ(lines, (std::multiset<std::string>{"g1=one;ce_id=abc,ce_type=test",
                                               "g2=two;ce_id=abc,ce_type=test",
                                               "g1=three;ce_id=abc,ce_type=test"}));
}

TEST(LocalBroker, KcatConsumerGroupReadsEveryRecordOnce) {
  Broker broker;
  const std::string topic = "gridbridge.platform.probe.v1";
  ASSERT_EQ(RunCommand("seq 1 50 | kcat -b " + broker.bootstrap() + " -P -t " + topic).status, 0);
  // -c 50: exit after 50 records. The group's first join takes ~3 s.
  auto group = RunCommand("timeout 60 kcat -b " + broker.bootstrap() +
                          " -G kcat-group -X auto.offset.reset=earliest -X session.timeout.ms=6000"
                          " -c 50 -q -f '%s\\n' " +
                          topic);
  ASSERT_EQ(group.status, 0) << group.out;
  std::set<int> seen;
  std::stringstream in(group.out);
  for (std::string line; std::getline(in, line);) seen.insert(std::stoi(line));
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(*seen.begin(), 1);
  EXPECT_EQ(*seen.rbegin(), 50);
}

// The broker program with the catalog, `args` and its bootstrap written to
// `file`; once it has started, the bootstrap it wrote ("" if it did not).
std::unique_ptr<Subprocess> StartBroker(const std::string& file, std::vector<std::string> args,
                                        std::string& bootstrap) {
  std::vector<std::string> argv = {BinaryPath("tools/broker/gridbridge-broker"), "--catalog",
                                   SourcePath("catalog/topics.json"), "--bootstrap_file", file};
  argv.insert(argv.end(), args.begin(), args.end());
  auto broker = std::make_unique<Subprocess>(argv);
  bootstrap.clear();
  if (broker->ReadLine(std::chrono::seconds(20)).has_value()) {
    std::ifstream in(file);
    std::getline(in, bootstrap);
  }
  return broker;
}

TEST(LocalBroker, RunsSeveralBrokersAndStopsCleanlyOnSigterm) {
  TempDir dir;
  const std::string file = dir.path() + "/bootstrap";
  std::string bootstrap;
  auto process = StartBroker(file, {"--brokers", "3"}, bootstrap);
  ASSERT_FALSE(bootstrap.empty());
  Subprocess& broker = *process;
  auto listing = RunCommand("kcat -b " + bootstrap + " -L -J -m 10");
  ASSERT_EQ(listing.status, 0);
  EXPECT_EQ(nlohmann::json::parse(listing.out)["brokers"].size(), 3u);
  broker.Signal(SIGTERM);
  auto status = broker.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0);
  EXPECT_FALSE(std::ifstream(file).good()) << "bootstrap file should be removed on exit";
}

// --rtt_ms holds every answer back that long: a lower bound on a client's
// wait, whatever the machine's speed (kcat -L asks for the API versions,
// then the metadata: two answers at least).
TEST(LocalBroker, AnswersAsLateAsItsRttSays) {
  TempDir dir;
  std::string bootstrap;
  auto broker = StartBroker(dir.path() + "/bootstrap", {"--rtt_ms", "400"}, bootstrap);
  ASSERT_FALSE(bootstrap.empty());
  const auto start = std::chrono::steady_clock::now();
  auto listing = RunCommand("kcat -b " + bootstrap + " -L -J -m 10");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(listing.status, 0) << listing.out;
  EXPECT_GE(took, std::chrono::milliseconds(800));
}

TEST(LocalBroker, RejectsANegativeRtt) {
  auto run = RunCommand(BinaryPath("tools/broker/gridbridge-broker") + " --catalog " +
                        SourcePath("catalog/topics.json") + " --rtt_ms -5 2>&1");
  EXPECT_NE(run.status, 0);
  EXPECT_NE(run.out.find("rtt_ms"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace gridbridge::testing
