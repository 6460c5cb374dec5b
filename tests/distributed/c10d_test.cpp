// <c10d/ProcessGroupMPI.hpp> used as pytorch/examples' cpp/distributed/dist-mnist.cpp uses it:
// createProcessGroupMPI, getRank/getSize, one allreduce per gradient collected as
// std::shared_ptr<c10d::ProcessGroup::Work> and waited for, then divided by the world size.
#include <gtest/gtest.h>

#include <c10d/ProcessGroupMPI.hpp>

#include "nabla/nabla.h"
#include "support/testing.h"

namespace nabla {
namespace {

TEST(C10d, AllreduceGradientsAsDistMnist) {
  auto pg = c10d::ProcessGroupMPI::createProcessGroupMPI();
  const int n = pg->getSize(), me = pg->getRank();
  EXPECT_EQ(n, distributed::get_world_size());
  EXPECT_EQ(me, distributed::get_rank());
  nn::Linear net(3, 2);
  net->forward(full({4, 3}, static_cast<double>(me + 1))).sum().backward();
  std::vector<std::shared_ptr<c10d::ProcessGroup::Work>> works;
  for (auto& param : net->named_parameters()) {
    std::vector<Tensor> tmp = {param.value().grad()};
    works.push_back(pg->allreduce(tmp));
  }
  for (auto& work : works) EXPECT_TRUE(work->wait());
  // d(sum)/d(weight) is 4 * (rank + 1) in every element, d/d(bias) is 4; summed over the ranks.
  const double rank_sum = n * (n + 1) / 2.0;
  EXPECT_SAME(net->weight.grad(), full({2, 3}, 4 * rank_sum));
  EXPECT_SAME(net->bias.grad(), full({2}, 4.0 * n));

  std::vector<Tensor> avg = {full({3}, static_cast<double>(me))};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::AVG;
  pg->allreduce(avg, opts)->wait();
  EXPECT_SAME(avg[0], full({3}, (n - 1) / 2.0));
  std::vector<Tensor> b = {full({2}, static_cast<double>(me))};
  c10d::BroadcastOptions root;
  root.rootRank = n - 1;
  pg->broadcast(b, root)->wait();
  EXPECT_SAME(b[0], full({2}, static_cast<double>(n - 1)));
  EXPECT_TRUE(pg->barrier()->wait());
  EXPECT_EQ(testing::error_message([] { c10d::ProcessGroupMPI::createProcessGroupMPI({0}); }),
            "createProcessGroupMPI: nabla's MPI groups span every rank (got a list of 1 ranks)");
}

}  // namespace
}  // namespace nabla
