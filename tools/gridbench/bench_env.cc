#include "bench_env.h"

namespace gridbridge::bench {

std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& target, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection each
    args.SetInt("gridbench.channel", i);
    out.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return out;
}

}  // namespace gridbridge::bench
