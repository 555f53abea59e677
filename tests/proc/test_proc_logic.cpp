// SPDX-License-Identifier: Apache-2.0
// Pure logic of the proc inspector: tree membership from notifications and
// flag parsing.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>

#include "process_tree.hpp"
#include "proc_options.hpp"

using nmz::plugins::proc::parse_proc_options;
using nmz::plugins::proc::ProcessTree;

TEST_CASE("threads and processes born from members join the tree; others do not") {
  ProcessTree tree(100, 1);
  CHECK(tree.on_fork(50, 100, 100));        // the root itself
  CHECK(tree.on_fork(50, 101, 100));        // a thread of the root
  CHECK(tree.on_fork(100, 200, 200));       // a child process, forked by any thread
  CHECK(tree.on_fork(100, 201, 200));       // its thread (parent is the process's parent)
  CHECK_FALSE(tree.on_fork(50, 300, 300));  // a sibling of the root
  CHECK_FALSE(tree.on_fork(50, 301, 300));
  CHECK_FALSE(tree.on_fork(100, 1, 1));     // the excluded process (nmz)
  CHECK(tree.thread_ids() == std::vector<int>{100, 101, 200, 201});
  CHECK(tree.process_ids() == std::vector<int>{100, 200});
  CHECK(tree.process_of(201) == 200);
  CHECK(tree.parent_of(200) == 100);
  CHECK(tree.parent_of(100) == 0);
}

TEST_CASE("exits remove threads, and the process with its last thread") {
  ProcessTree tree(100, 1);
  tree.on_fork(50, 100, 100);
  tree.on_fork(100, 200, 200);
  tree.on_fork(100, 201, 200);
  CHECK(tree.on_exit(200, 200));  // the main thread may exit first
  CHECK(tree.contains_process(200));
  CHECK(tree.on_exit(201, 200));
  CHECK_FALSE(tree.contains_process(200));
  CHECK_FALSE(tree.on_exit(999, 999));
  // A process born from one that is gone is not a member.
  CHECK_FALSE(tree.on_fork(200, 400, 400));
}

TEST_CASE("rescan finds the running test process and its threads") {
  ProcessTree tree(getpid(), 1);
  auto born = tree.rescan();
  CHECK(std::find(born.begin(), born.end(), getpid()) != born.end());
  CHECK(tree.rescan().empty());  // nothing new the second time
}

TEST_CASE("options: the forms Namazu users type and the ones others do") {
  auto a = parse_proc_options({"-watch-interval", "5ms", "--", "sh", "-c", "exit 3"});
  REQUIRE(a);
  CHECK(a->argv == std::vector<std::string>{"sh", "-c", "exit 3"});
  CHECK(a->watch_interval == std::chrono::milliseconds(5));
  auto b = parse_proc_options({"-cmd", "sh  -c true", "-stdout", "out.txt"});
  REQUIRE(b);
  CHECK(b->argv == std::vector<std::string>{"sh", "-c", "true"});
  CHECK(b->stderr_path == "out.txt");  // stderr follows stdout unless given
  auto c = parse_proc_options({"--pid=" + std::to_string(getpid() == 1 ? 2 : 1)});
  REQUIRE(c);
  CHECK(c->argv.empty());
}

TEST_CASE("options: conflicts and bad values are refused with the flag named") {
  auto message = [](std::vector<std::string> args) {
    auto r = parse_proc_options(args);
    return r ? std::string() : r.status().message();
  };
  CHECK(message({}).find("nothing to inspect") != std::string::npos);
  CHECK(message({"-pid", "1", "--", "true"}).find("both -pid and a command") != std::string::npos);
  CHECK(message({"-cmd", "true", "--", "true"}).find("either with -cmd or after --") != std::string::npos);
  CHECK(message({"-cmd", "  "}).find("flag -cmd") != std::string::npos);
  CHECK(message({"-pid", "-5"}).find("flag -pid: expected a positive") != std::string::npos);
  CHECK(message({"-watch-interval", "0s", "--", "true"}).find("at least 1ms") != std::string::npos);
  CHECK(message({"--", "./definitely/not/here"}).find("cannot run") != std::string::npos);
}
