#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`nmz run` when things go wrong: nmz SIGKILLed mid-run (its scripts'
process group dies with it, the next `nmz run` marks the run interrupted and
continues), runTimeout, a second SIGINT, `nmz tools cleanup`. Every test has
its own storage and restore-record directory (NMZ_RESTORE_DIR)."""
import json
import os
import pathlib
import signal
import subprocess
import tempfile
import time
import unittest

NMZ = os.environ["NMZ_BIN"]
HELPER = pathlib.Path(os.environ["NMZ_BUILD_ROOT"]) / "tests" / "unit" / "child_process_helper"


def eventually(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Experiment:
    def __init__(self, tmp, run_sh, extra_config="", validate_sh=None):
        self.tmp = pathlib.Path(tmp)
        materials = self.tmp / "materials"
        materials.mkdir()
        for name, text in (("run.sh", run_sh), ("validate.sh", validate_sh)):
            if text is not None:
                (materials / name).write_text("#!/bin/sh\n" + text)
                (materials / name).chmod(0o755)
        if validate_sh is not None:
            extra_config += 'validate = "validate.sh"\n'
        config = self.tmp / "config.toml"
        config.write_text('explorePolicy = "dumb"\nrun = "run.sh"\n' + extra_config)
        self.storage = self.tmp / "storage"
        self.env = dict(os.environ, NMZ_RESTORE_DIR=str(self.tmp / "restore"))
        init = subprocess.run([NMZ, "init", str(config), str(materials), str(self.storage)], capture_output=True,
                              text=True, env=self.env, timeout=60)
        assert init.returncode == 0, init.stderr

    def popen(self, *args):
        return subprocess.Popen([NMZ, "run", *args, str(self.storage)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)

    def run(self, *args):
        return subprocess.run([NMZ, "run", *args, str(self.storage)], capture_output=True, text=True, env=self.env,
                              timeout=120)

    def result(self, run_id):
        return json.loads((self.storage / run_id / "result.json").read_text())


class RunLifecycle(unittest.TestCase):
    def test_sigkilled_nmz_takes_its_scripts_along_and_the_next_run_marks_it_interrupted(self):
        with tempfile.TemporaryDirectory() as tmp:
            # A background server that would keep the port and queue of the next run.
            e = Experiment(tmp, 'if [ "$NMZ_RUN_ID" = 00000000 ]; then sleep 1000 & echo $! > "%s/server";'
                                ' touch "%s/ready"; wait; fi\n' % (tmp, tmp))
            nmz = e.popen()
            try:
                self.assertTrue(eventually(lambda: os.path.exists(os.path.join(tmp, "ready"))))
                server = int(open(os.path.join(tmp, "server")).read())
                self.assertTrue(alive(server))
                nmz.kill()
                nmz.wait()
                self.assertTrue(eventually(lambda: not alive(server)), "the run's server outlived a SIGKILLed nmz")
                second = e.run()
                self.assertEqual(second.returncode, 0, second.stderr)
                self.assertEqual(e.result("00000000")["status"], "interrupted")
                self.assertEqual(e.result("00000001")["status"], "passed")
                summary = subprocess.run([NMZ, "summary", str(e.storage)], capture_output=True, text=True,
                                         env=e.env, timeout=60)
                self.assertIn("1 interrupted", summary.stdout)
                self.assertEqual([f for f in os.listdir(e.env["NMZ_RESTORE_DIR"]) if f.endswith(".json")], [])
            finally:
                if nmz.poll() is None:
                    nmz.kill()
                    nmz.wait()

    def test_run_timeout_kills_the_group_and_counts_apart(self):
        with tempfile.TemporaryDirectory() as tmp:
            e = Experiment(tmp, "sleep 1000 & echo $! > \"%s/child\"; wait\n" % tmp, 'runTimeout = "1s"\n')
            result = e.run()
            self.assertEqual(result.returncode, 4, result.stderr)
            self.assertEqual(e.result("00000000")["status"], "timeout")
            self.assertIn("runTimeout", e.result("00000000")["reason"])
            self.assertTrue(eventually(lambda: not alive(int(open(os.path.join(tmp, "child")).read()))))
            series = e.run("-n", "2")
            self.assertEqual(series.returncode, 4, series.stderr)
            self.assertIn("timeout 2", series.stderr)
            summary = subprocess.run([NMZ, "summary", str(e.storage)], capture_output=True, text=True, env=e.env,
                                     timeout=60)
            self.assertIn("3 timeout", summary.stdout)

    def test_float_or_negative_run_timeout_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = pathlib.Path(tmp) / "config.toml"
            config.write_text('explorePolicy = "dumb"\nrunTimeout = -5\n')
            result = subprocess.run([NMZ, "orchestrator", str(config)], capture_output=True, text=True, timeout=30)
            self.assertEqual(result.returncode, 2)
            self.assertIn("runTimeout", result.stderr)

    def test_second_interrupt_kills_a_script_that_ignores_the_first(self):
        with tempfile.TemporaryDirectory() as tmp:
            e = Experiment(tmp, 'trap "" INT; touch "%s/ready"; sleep 1000 & wait; sleep 1000\n' % tmp)
            nmz = e.popen()
            try:
                self.assertTrue(eventually(lambda: os.path.exists(os.path.join(tmp, "ready"))))
                nmz.send_signal(signal.SIGINT)
                seen = ""
                while "interrupt again" not in seen:  # stderr closes (ending the loop) if nmz dies
                    line = nmz.stderr.readline()
                    self.assertTrue(line, "nmz ended at the first interrupt:\n" + seen)
                    seen += line
                self.assertIsNone(nmz.poll(), "the script ignores SIGINT: nmz must still wait for it")
                nmz.send_signal(signal.SIGINT)
                nmz.wait(timeout=30)
                self.assertEqual(e.result("00000000")["status"], "broken")
            finally:
                if nmz.poll() is None:
                    nmz.kill()
                    nmz.wait()


class NewUser(unittest.TestCase):
    def test_failed_run_prints_seed_and_replay_command_and_series_prints_summary(self):
        with tempfile.TemporaryDirectory() as tmp:
            e = Experiment(tmp, "true\n", validate_sh="exit 1\n")
            series = e.run("-n", "2")
            self.assertEqual(series.returncode, 1, series.stderr)
            seed = e.result("00000000")["seed"]
            self.assertIn("runs:             2 (0 passed, 2 failed", series.stdout)
            self.assertIn("replay: NMZ_SEED=%s nmz run %s" % (seed, e.storage), series.stdout)
            self.assertIn("replay: NMZ_SEED=%s nmz run %s" % (seed, e.storage),
                          (e.storage / "00000000" / "nmz.log").read_text())

    def test_plugin_path_reaches_the_scripts(self):
        with tempfile.TemporaryDirectory() as tmp:
            (pathlib.Path(tmp) / "plugins").mkdir()
            e = Experiment(tmp, 'echo "$NMZ_PLUGIN_PATH" > "%s/seen"\n' % tmp, 'pluginPath = ["../plugins"]\n')
            result = e.run()
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn(os.path.join(tmp, "plugins"), open(os.path.join(tmp, "seen")).read().split(":")[-1])

    def test_dump_trace_takes_a_run_directory(self):
        with tempfile.TemporaryDirectory() as tmp:
            e = Experiment(tmp, "true\n")
            self.assertEqual(e.run().returncode, 0)
            ok = subprocess.run([NMZ, "tools", "dump-trace", str(e.storage / "00000000")], capture_output=True,
                                text=True, timeout=30)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            empty = subprocess.run([NMZ, "tools", "dump-trace", tmp], capture_output=True, text=True, timeout=30)
            self.assertEqual(empty.returncode, 1)
            self.assertIn("is a directory without trace.jsonl", empty.stderr)

    def test_help_on_every_verb(self):
        for verb in (["init"], ["run"], ["summary"]):
            for spelling in ("-h", "--help"):
                result = subprocess.run([NMZ, *verb, spelling], capture_output=True, text=True, timeout=30)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("usage: nmz " + verb[0], result.stdout)


class Cleanup(unittest.TestCase):
    def test_cleanup_applies_only_dead_processes_records(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, NMZ_RESTORE_DIR=os.path.join(tmp, "restore"))
            dead_step = os.path.join(tmp, "dead-step")
            live_step = os.path.join(tmp, "live-step")
            dead = subprocess.Popen([HELPER, "record", dead_step], stdout=subprocess.PIPE, text=True, env=env)
            live = subprocess.Popen([HELPER, "record", live_step], stdout=subprocess.PIPE, text=True, env=env)
            try:
                self.assertEqual(dead.stdout.readline().strip(), "recorded")
                self.assertEqual(live.stdout.readline().strip(), "recorded")
                dead.kill()
                dead.wait()
                listing = subprocess.run([NMZ, "tools", "cleanup", "-n"], capture_output=True, text=True, env=env,
                                         timeout=30)
                self.assertIn("left by pid %d: test helper: touch %s" % (dead.pid, dead_step), listing.stdout)
                self.assertIn("would run: touch " + dead_step, listing.stdout)
                self.assertNotIn(live_step, listing.stdout)
                self.assertFalse(os.path.exists(dead_step))
                applied = subprocess.run([NMZ, "tools", "cleanup"], capture_output=True, text=True, env=env, timeout=30)
                self.assertEqual(applied.returncode, 0, applied.stderr)
                self.assertTrue(os.path.exists(dead_step))
                self.assertFalse(os.path.exists(live_step))
                again = subprocess.run([NMZ, "tools", "cleanup"], capture_output=True, text=True, env=env, timeout=30)
                self.assertIn("nothing left by a dead nmz", again.stdout)
            finally:
                for p in (dead, live):
                    if p.poll() is None:
                        p.kill()
                        p.wait()


if __name__ == "__main__":
    unittest.main()
