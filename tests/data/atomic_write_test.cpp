// Atomic writes (Note [Atomic file writes]): a later save removes what killed writers on this
// machine left, never a live writer's temporary or another machine's, and a save through a
// symbolic link replaces the file the link names.
#include <nabla/checkpoint.h>
#include <nabla/data.h>
#include <nabla/nabla.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "data/data_testing.h"
#include "io/bytes.h"

namespace nabla::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// The pid of a process that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

TEST(AtomicWrite, StaleTemporariesOfDeadWritersAreRemovedOthersKept) {
  TempDir dir;
  const std::string target = dir.file("ckpt.safetensors");
  const std::string prefix = io::temporary_prefix(target);
  const std::string ours = prefix.substr(prefix.rfind('/') + 1);
  const std::string dead = ours + std::to_string(dead_pid()) + ".Ab3dEf";
  const std::string live = ours + std::to_string(getpid()) + ".Zz9yXw";
  // Another machine's (or container's) tag, an old-style name and a longer suffix are not ours to judge.
  const std::string other_host = std::string("ckpt.safetensors.tmp.") + (ours.find("00000000") == std::string::npos ? "00000000" : "11111111") +
                                 "-" + std::to_string(dead_pid()) + ".Ab3dEf";
  const std::string old_style = "ckpt.safetensors.tmp.Q1w2E3";
  const std::string longer = ours + std::to_string(dead_pid()) + ".Ab3dEfG";
  for (const auto& n : {dead, live, other_host, old_style, longer}) write_bytes(dir.file(n), {1, 2, 3});
  save(NamedTensors{{"w", ones({3})}}, target);
  std::vector<std::string> want = {"ckpt.safetensors", live, other_host, old_style, longer};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names_in(dir.path()), want);
  EXPECT_SAME(load(target)[0].second, ones({3}));
  // Every writer goes through the same place: write_npy, write_npz and Checkpoint::save too.
  for (auto& [file, write] : std::vector<std::pair<std::string, std::function<void(const std::string&)>>>{
           {"a.npy", [](const std::string& p) { data::write_npy(p, ones({2})); }},
           {"a.npz", [](const std::string& p) { data::write_npz(p, {{"x", ones({2})}}); }},
           {"c.safetensors", [](const std::string& p) {
              Checkpoint c;
              c.set_int("epoch", 1);
              c.save(p);
            }}}) {
    const std::string p = dir.file(file);
    const std::string stale = io::temporary_prefix(p) + std::to_string(dead_pid()) + ".k9k9k9";
    write_bytes(stale, {0});
    write(p);
    EXPECT_FALSE(fs::exists(stale)) << file;
    EXPECT_TRUE(fs::exists(p)) << file;
  }
}

// A child process that saves `big` to `target` over and over until it is killed.
pid_t start_writer(const std::string& target, const Tensor& big, io::TemporaryKind kind) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (;;) io::write_file_atomic(target, {{big.data_ptr(), big.nbytes()}}, kind);
  }
  return pid;
}

void kill_and_reap(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

TEST(AtomicWrite, WritersKilledMidSaveLeaveNothingAfterTheNextSave) {
  TempDir dir;
  const std::string target = dir.file("big.safetensors");
  const Tensor big = ones({4 << 20});  // 16 MiB
  const std::vector<uint8_t> small = {7, 7, 7};
  // Named temporaries: kill the writer while its temporary exists; the next save removes it.
  for (int round = 0; round < 3; ++round) {
    const pid_t pid = start_writer(target, big, io::TemporaryKind::kNamed);
    const std::string mine = io::temporary_prefix(target) + std::to_string(pid) + ".";
    const std::string mine_name = mine.substr(mine.rfind('/') + 1);
    bool seen = false;
    for (int i = 0; i < 100000 && !seen; ++i) {
      for (const auto& n : names_in(dir.path())) seen = seen || n.rfind(mine_name, 0) == 0;
    }
    kill_and_reap(pid);
    ASSERT_TRUE(seen) << "the writer's temporary never appeared";
    bool left = false;
    for (const auto& n : names_in(dir.path())) left = left || n.rfind(mine_name, 0) == 0;
    io::write_file_atomic(target, {{small.data(), small.size()}}, io::TemporaryKind::kNamed);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"big.safetensors"}) << "left a temporary: " << left;
  }
  // Unnamed temporaries: whenever the kill comes, nothing is left after the next save.
  for (int kill_after_ms : {1, 5, 20, 60}) {
    const pid_t pid = start_writer(target, big, io::TemporaryKind::kUnnamedWhereSupported);
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    kill_and_reap(pid);
  }
  io::write_file_atomic(target, {{small.data(), small.size()}});
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"big.safetensors"});
  EXPECT_EQ(read_bytes(target), small);
}

TEST(AtomicWrite, SavingThroughASymlinkReplacesTheFileItNames) {
  TempDir dir;
  fs::create_directory(dir.file("runs"));
  const std::string real = dir.file("runs/epoch3.safetensors");
  save(NamedTensors{{"w", zeros({2})}}, real);
  // latest -> runs/epoch3.safetensors (relative), and a link to that link.
  fs::create_symlink("runs/epoch3.safetensors", dir.file("latest"));
  fs::create_symlink(dir.file("latest"), dir.file("latest2"));
  save(NamedTensors{{"w", ones({2})}}, dir.file("latest2"));
  EXPECT_TRUE(fs::is_symlink(dir.file("latest")));
  EXPECT_TRUE(fs::is_symlink(dir.file("latest2")));
  EXPECT_SAME(load(real)[0].second, ones({2}));
  EXPECT_EQ(names_in(dir.file("runs")), std::vector<std::string>{"epoch3.safetensors"});
  // A dangling link gets its target created, as open() in torch.save does.
  fs::create_symlink("runs/new.npy", dir.file("next"));
  data::write_npy(dir.file("next"), full({3}, 2.0));
  EXPECT_TRUE(fs::is_symlink(dir.file("next")));
  EXPECT_SAME(data::read_npy(dir.file("runs/new.npy")), full({3}, 2.0));
  // A loop of links is an error naming the path.
  fs::create_symlink(dir.file("loop_b"), dir.file("loop_a"));
  fs::create_symlink(dir.file("loop_a"), dir.file("loop_b"));
  EXPECT_EQ(error_message([&] { save(NamedTensors{{"w", ones({1})}}, dir.file("loop_a")); }),
            "cannot write file '" + dir.file("loop_a") + "': Too many levels of symbolic links");
  // Python agrees: torch.save through the link writes the target.
  auto r = oracle::run("torch.save(torch.ones(2), '" + dir.file("latest") + "')\nimport os\nout = str(os.path.islink('" +
                       dir.file("latest") + "'))");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.strings[0], "True");
}

TEST(AtomicWrite, NamedTemporariesGetTheFilesModeAndLeaveNothing) {
  TempDir dir;
  const std::string p = dir.file("a.bin");
  const std::vector<uint8_t> bytes = {1, 2, 3, 4};
  io::write_file_atomic(p, {{bytes.data(), bytes.size()}}, io::TemporaryKind::kNamed);
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  io::write_file_atomic(p, {{bytes.data(), 2}}, io::TemporaryKind::kNamed);
  EXPECT_EQ(read_bytes(p), (std::vector<uint8_t>{1, 2}));
  EXPECT_EQ(fs::status(p).permissions(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  io::write_file_atomic(p, {{bytes.data(), 3}});
  EXPECT_EQ(fs::status(p).permissions(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"a.bin"});
}

}  // namespace
}  // namespace nabla::testing
