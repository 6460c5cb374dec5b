// nabla::distributed's collectives under mpirun (-np 2 and -np 3), every dtype, contiguous and
// not; errors as nabla::Error; a rank that never joins makes the others time out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "nabla/distributed.h"
#include "nabla/nabla.h"
#include "support/testing.h"

namespace nabla {
namespace {

namespace dist = nabla::distributed;
using dist::ReduceOp;

const ScalarType kAllTypes[] = {kByte, kInt, kLong, kFloat, kDouble, kBool, kHalf, kShort, kChar};

// Rank r's input: small values that stay exact in every dtype (and differ between ranks).
Tensor input(int rank, ScalarType t) {
  Tensor i = arange(12, kLong).view({3, 4});
  Tensor v = (rank % 2 == 0 ? i : 11 - i) + rank;
  return t == kBool ? v.gt(6) : v.to(t);
}

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// What the collective must give, computed from every rank's input in this one process.
Tensor expected_reduce(ScalarType t, ReduceOp op) {
  const int n = dist::get_world_size();
  Tensor acc = input(0, t).to(kDouble);
  for (int r = 1; r < n; ++r) {
    Tensor x = input(r, t).to(kDouble);
    if (op == ReduceOp::MAX) {
      acc = maximum(acc, x);
    } else if (op == ReduceOp::MIN) {
      acc = minimum(acc, x);
    } else {
      acc = acc + x;
    }
  }
  if (op == ReduceOp::AVG) acc = acc / n;
  return t == kBool ? acc.gt(0) : acc.to(t);
}

TEST(Collectives, AllReduceEveryDtypeAndLayout) {
  for (ScalarType t : kAllTypes) {
    if (t == kHalf) continue;  // refused (BadArgumentsAreErrors)
    for (ReduceOp op : {ReduceOp::SUM, ReduceOp::MAX, ReduceOp::MIN, ReduceOp::AVG}) {
      if (op == ReduceOp::AVG && t != kFloat && t != kDouble) continue;
      SCOPED_TRACE(::testing::Message() << "dtype " << static_cast<int>(t) << " op " << static_cast<int>(op));
      Tensor a = input(dist::get_rank(), t).clone();
      dist::all_reduce(a, op);
      EXPECT_SAME(a, expected_reduce(t, op));
      // A transposed view: reduced in place through a contiguous copy, the base sees it.
      Tensor base = input(dist::get_rank(), t).t().contiguous();
      Tensor view = base.t();
      ASSERT_FALSE(view.is_contiguous());
      dist::all_reduce(view, op);
      EXPECT_SAME(base.t(), expected_reduce(t, op));
    }
  }
}

TEST(Collectives, BroadcastAndAllGather) {
  const int n = dist::get_world_size(), me = dist::get_rank();
  for (ScalarType t : kAllTypes) {
    Tensor base = input(me, t).t().contiguous();
    Tensor view = base.t();
    dist::broadcast(view, n - 1);
    EXPECT_SAME(base.t(), input(n - 1, t));
    std::vector<Tensor> list;
    dist::all_gather(list, input(me, t).t());
    ASSERT_EQ(list.size(), static_cast<size_t>(n));
    for (int r = 0; r < n; ++r) EXPECT_SAME(list[static_cast<size_t>(r)], input(r, t).t());
  }
}

TEST(Collectives, AsyncOpsFinishInOrder) {
  Tensor a = ones({1000}) * dist::get_rank(), b = full({3}, 2.0, kDouble);
  auto w1 = dist::all_reduce(a, ReduceOp::SUM, true);
  auto w2 = dist::all_reduce(b, ReduceOp::MAX, true);
  ASSERT_TRUE(w1 && w2);
  EXPECT_TRUE(w2->wait());
  EXPECT_TRUE(w1->wait());
  const int n = dist::get_world_size();
  EXPECT_SAME(a, full({1000}, n * (n - 1) / 2.0));
  EXPECT_SAME(b, full({3}, 2.0, kDouble));
  EXPECT_EQ(dist::barrier(), nullptr);
}

TEST(Collectives, BadArgumentsAreErrors) {
  const int me = dist::get_rank();
  // Different sizes on different ranks: every rank gets the error, and the group goes on.
  Tensor t = ones({me == 0 ? 3 : 4});
  EXPECT_TRUE(contains(testing::error_message([&] { dist::all_reduce(t); }),
                       "all_reduce: the ranks passed tensors of different sizes"));
  Tensor d = me == 0 ? ones({2}, kDouble) : ones({2});
  EXPECT_TRUE(
      contains(testing::error_message([&] { dist::all_reduce(d); }), "the ranks passed tensors of different dtypes"));
  Tensor i = ones({2}, kLong);
  EXPECT_EQ(testing::error_message([&] { dist::all_reduce(i, ReduceOp::AVG); }),
            "all_reduce: ReduceOp.AVG needs a floating-point tensor, got torch.int64");
  Tensor h = ones({2}, kHalf);
  EXPECT_EQ(testing::error_message([&] { dist::all_reduce(h); }),
            "all_reduce: the MPI backend cannot reduce torch.float16 tensors; reduce a float32 copy "
            "(t.to(torch::kFloat)) and copy the result back");
  EXPECT_EQ(testing::error_message([&] { dist::broadcast(i, 7); }),
            "Invalid rootRank: 7 (the group has " + std::to_string(dist::get_world_size()) + " ranks)");
  std::vector<Tensor> wrong{ones({2})};
  EXPECT_TRUE(contains(testing::error_message([&] { dist::all_gather(wrong, ones({2})); }),
                       "all_gather: the output list has 1 tensors"));
  EXPECT_EQ(testing::error_message([] { dist::init_process_group("mpi"); }),
            "trying to initialize the default process group twice!");
  EXPECT_EQ(testing::error_message([] { dist::new_process_group("xyz"); }), "Invalid backend: 'xyz'");
  Tensor ok = ones({2});
  dist::all_reduce(ok);
  EXPECT_SAME(ok, full({2}, static_cast<double>(dist::get_world_size())));
}

TEST(Collectives, BeforeInitAndAfterDestroy) {
  dist::destroy_process_group();
  const std::string msg =
      "Default process group has not been initialized, please make sure to call init_process_group.";
  EXPECT_FALSE(dist::is_initialized());
  EXPECT_EQ(testing::error_message([] { dist::get_rank(); }), msg);
  EXPECT_EQ(testing::error_message([] { dist::all_reduce(ones({1})); }), msg);
  dist::init_process_group("mpi", std::chrono::seconds(60));
  EXPECT_TRUE(dist::is_initialized());
  Tensor t = ones({2});
  dist::all_reduce(t);
  EXPECT_SAME(t, full({2}, static_cast<double>(dist::get_world_size())));
}

// Rank 1 fails (a nabla::Error it catches) and only joins 3 s later: the others' all_reduce
// times out after 2 s with a clear error, the group is unusable afterwards, and destroying it
// waits for the late rank instead of hanging or aborting.
TEST(Collectives, RankThatFailsMakesOthersTimeOut) {
  dist::barrier();
  auto group = dist::new_process_group("mpi", std::chrono::seconds(2));
  const int me = group->rank();
  Tensor t = ones({4});
  if (me == 1) {
    EXPECT_TRUE(contains(testing::error_message([] { matmul(ones({2, 3}), ones({4, 2})); }), "cannot be multiplied"));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    group->allreduce({t})->wait();
  } else {
    EXPECT_EQ(testing::error_message([&] { group->allreduce({t})->wait(); }),
              "[Rank " + std::to_string(me) +
                  "] all_reduce timed out after 2000 ms: not every rank joined it (a rank may have failed, exited or "
                  "be waiting in another collective)");
    EXPECT_TRUE(contains(testing::error_message([&] { group->allreduce({t}); }),
                         "all_reduce: the process group is unusable after an earlier failure"));
  }
  group.reset();
  dist::barrier();
}

}  // namespace
}  // namespace nabla

// Every rank runs every test and prints its report; mpirun fails when any rank fails.
// `--throw-on-rank R` instead lets rank R throw a nabla::Error out of main while the others wait
// in an all_reduce; `--exit-on-rank R` lets rank R catch it and return 1 from main, as a program
// that reports its error does (tests/distributed/rank_throws_test.sh checks that the job fails
// with the error, within the group's timeout of 2 s).
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode == "--throw-on-rank" || mode == "--exit-on-rank") {
    nabla::distributed::init_process_group("mpi", std::chrono::seconds(2));
    if (nabla::distributed::get_rank() == std::stoi(argv[2])) {
      try {
        nabla::matmul(nabla::ones({2, 3}), nabla::ones({4, 2}));
      } catch (const nabla::Error& e) {
        if (mode == "--throw-on-rank") throw;
        std::fprintf(stderr, "rank %d: %s\n", nabla::distributed::get_rank(), e.what());
        return 1;
      }
    }
    nabla::distributed::all_reduce(nabla::ones({4}));
    return 0;
  }
  nabla::distributed::init_process_group("mpi", std::chrono::seconds(60));
  // Which host each rank runs on (tests/distributed/multihost_test.sh looks for both).
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::printf("rank %d of %d on %s\n", nabla::distributed::get_rank(), nabla::distributed::get_world_size(), host);
  const int rc = RUN_ALL_TESTS();
  nabla::distributed::destroy_process_group();
  return rc;
}
