// SPDX-License-Identifier: Apache-2.0
// The fs inspector's pure logic: operation sets, errno names, flag parsing,
// how actions become verdicts, and the undo log behind "lose-unsynced".
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "fault_verdict.hpp"
#include "fs_inspector_flags.hpp"
#include "fs_op.hpp"
#include "unsynced_log.hpp"

using namespace nmz::plugins::fs;

namespace {

bool has(const FsOpSet& set, FsOp op) { return set.test(static_cast<std::size_t>(op)); }

nmz::sdk::Action fault_action(std::string option) {
  nmz::sdk::Event event = nmz::sdk::make_filesystem_event("fs", "pre-write", "a", "pre-write a");
  return nmz::sdk::make_action(event, nmz::sdk::action_class::filesystem_fault, std::move(option));
}

}  // namespace

TEST_CASE("operation sets: groups, names, removal, errors") {
  auto namazu = parse_fs_ops({"namazu"});
  REQUIRE(namazu);
  CHECK(namazu->count() == 5);
  CHECK(has(*namazu, FsOp::read));
  CHECK(has(*namazu, FsOp::fsync));
  CHECK_FALSE(has(*namazu, FsOp::write));

  auto mixed = parse_fs_ops({"default,-post-read", "getattr"});
  REQUIRE(mixed);
  CHECK(has(*mixed, FsOp::write));
  CHECK(has(*mixed, FsOp::getattr));
  CHECK_FALSE(has(*mixed, FsOp::read));

  auto none = parse_fs_ops({"all", "none", "pre-unlink"});
  REQUIRE(none);
  CHECK(none->count() == 1);

  auto bad = parse_fs_ops({"pre-wirte"});
  REQUIRE_FALSE(bad);
  CHECK(bad.status().message().find("pre-wirte") != std::string::npos);
  CHECK(fs_op_name(FsOp::opendir) == "post-opendir");
}

TEST_CASE("errno names and numbers") {
  CHECK(*parse_errno("EIO") == EIO);
  CHECK(*parse_errno("enospc") == ENOSPC);
  CHECK(*parse_errno("122") == 122);
  CHECK_FALSE(parse_errno("0"));
  CHECK_FALSE(parse_errno("EWHAT"));
}

TEST_CASE("flags: required values, lists, bad values name the flag") {
  auto flags = parse_fs_inspector_flags({"-original-dir", "/a", "-mount-point=/b", "-fault-errno", "ENOSPC,EDQUOT",
                                         "-fault-kinds", "lose-unsynced", "--", "sh", "-c", "true"});
  REQUIRE(flags);
  CHECK(flags->faults.errnos == std::vector<int>{ENOSPC, EDQUOT});
  CHECK(flags->track_unsynced);
  CHECK(flags->command.size() == 3);
  CHECK(flags->gate.ops == default_fs_ops());

  auto bad_kind = parse_fs_inspector_flags({"-fault-kinds", "melt"});
  REQUIRE_FALSE(bad_kind);
  CHECK(bad_kind.status().message().find("-fault-kinds") != std::string::npos);
  auto stray = parse_fs_inspector_flags({"-original-dir", "/a", "stray"});
  REQUIRE_FALSE(stray);
  CHECK(stray.status().message().find("stray") != std::string::npos);
  CHECK_FALSE(parse_fs_inspector_flags({"-max-threads", "1"}));
  CHECK_FALSE(parse_fs_inspector_flags({"-nope"}));
}

TEST_CASE("actions become verdicts") {
  FaultVerdicts verdicts({{EIO}, {FaultKind::error}, std::chrono::milliseconds(300)}, 1);
  nmz::sdk::Event event = nmz::sdk::make_filesystem_event("fs", "pre-write", "a", "pre-write a");

  auto accept = verdicts.decide(FsOp::write, nmz::sdk::default_action(event));
  REQUIRE(accept);
  CHECK(accept->kind == Verdict::Kind::proceed);

  auto plain = verdicts.decide(FsOp::write, *nmz::sdk::default_fault_action(event));
  REQUIRE(plain);
  CHECK(plain->kind == Verdict::Kind::fail);
  CHECK(plain->error == EIO);

  auto named = verdicts.decide(FsOp::write, *nmz::sdk::default_fault_action(event, ENOSPC));
  CHECK(named->error == ENOSPC);
  CHECK(verdicts.decide(FsOp::mkdir, fault_action(R"({"errno":"EDQUOT"})"))->error == EDQUOT);

  auto short_write = verdicts.decide(FsOp::write, fault_action(R"({"kind":"short-write","bytes":3})"));
  CHECK(short_write->kind == Verdict::Kind::short_write);
  CHECK(short_write->keep_bytes == 3u);
  // A short write of something that is not a write is a plain failure.
  CHECK(verdicts.decide(FsOp::unlink, fault_action(R"({"kind":"short-write"})"))->kind == Verdict::Kind::fail);

  auto slow = verdicts.decide(FsOp::fsync, fault_action(R"({"kind":"slow-fsync"})"));
  CHECK(slow->kind == Verdict::Kind::delay_then_proceed);
  CHECK(slow->delay == std::chrono::milliseconds(300));
  CHECK(verdicts.decide(FsOp::fdatasync, fault_action(R"({"kind":"slow-fsync","delay":"2s"})"))->delay ==
        std::chrono::seconds(2));
  CHECK(verdicts.decide(FsOp::write, fault_action(R"({"kind":"slow-fsync"})"))->kind == Verdict::Kind::proceed);

  auto lose = verdicts.decide(FsOp::fsync, fault_action(R"({"kind":"lose-unsynced"})"));
  CHECK(lose->kind == Verdict::Kind::lose_unsynced);
  CHECK(lose->error == EIO);

  CHECK_FALSE(verdicts.decide(FsOp::write, fault_action(R"({"kind":"explode"})")));
  CHECK_FALSE(verdicts.decide(FsOp::write, fault_action(R"({"errno":0})")));
}

TEST_CASE("fault kinds from flags fit the operation") {
  FaultVerdicts verdicts({{EIO}, {FaultKind::short_write, FaultKind::slow_fsync}, std::chrono::milliseconds(5)}, 7);
  nmz::sdk::Event event = nmz::sdk::make_filesystem_event("fs", "pre-write", "a", "pre-write a");
  auto fault = *nmz::sdk::default_fault_action(event);
  CHECK(verdicts.decide(FsOp::write, fault)->kind == Verdict::Kind::short_write);
  CHECK(verdicts.decide(FsOp::fsync, fault)->kind == Verdict::Kind::delay_then_proceed);
  // No allowed kind fits a mkdir: it proceeds, never an errno nobody asked for.
  CHECK(verdicts.decide(FsOp::mkdir, fault)->kind == Verdict::Kind::proceed);
}

TEST_CASE("the undo log restores data and size at the last sync") {
  char dir_template[] = "/tmp/nmz-fs-logic-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  std::string path = std::string(dir_template) + "/f";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  std::string synced(6000, 'a');
  REQUIRE(::pwrite(fd, synced.data(), synced.size(), 0) == 6000);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  UnsyncedLog::FileKey key{st.st_dev, st.st_ino};

  UnsyncedLog log;
  REQUIRE(log.before_change(key, fd, 4000, 5000) == 0);
  std::string fresh(5000, 'b');
  REQUIRE(::pwrite(fd, fresh.data(), fresh.size(), 4000) == 5000);
  REQUIRE(log.before_resize(key, fd, 100) == 0);
  REQUIRE(::ftruncate(fd, 100) == 0);
  CHECK(log.rollback().size() == 1);

  REQUIRE(::fstat(fd, &st) == 0);
  CHECK(st.st_size == 6000);
  std::string back(6000, '\0');
  REQUIRE(::pread(fd, back.data(), back.size(), 0) == 6000);
  CHECK(back == synced);

  // After a sync, nothing is undone.
  REQUIRE(log.before_change(key, fd, 0, 10) == 0);
  REQUIRE(::pwrite(fd, "cccccccccc", 10, 0) == 10);
  log.synced(key);
  CHECK(log.rollback().empty());
  REQUIRE(::pread(fd, back.data(), 10, 0) == 10);
  CHECK(back.substr(0, 10) == "cccccccccc");
  ::close(fd);
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}
