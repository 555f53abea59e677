#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Policies and inspectors that crash, throw or never answer, run by the
real nmz binary (test plugins in tests/plugins/misbehaving_plugin.cpp, events
from the rest-probe inspector): an exception, or a fatal signal (segfault,
abort(), stack overflow) raised in the plugin's call, is caught at the plugin
call, named, and the run goes on unperturbed (fail open) but is recorded
broken, in every run of an `nmz run -n`; an exception out of a noexcept
method, or a fatal signal on a thread the plugin started itself, ends nmz
with a report (naming the plugin and the call for the former), and `nmz run`
records the run as broken with that reason; actionTimeout releases what a
silent policy holds."""
import json
import os
import pathlib
import resource
import subprocess
import tempfile
import unittest

NMZ = os.environ["NMZ_BIN"]


def no_core_dump():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def write(path, text, mode=0o644):
    path.write_text(text)
    path.chmod(mode)


class MisbehavingPolicies(unittest.TestCase):
    def autopilot(self, tmp, config, events=3):
        write(tmp / "config.toml", config)
        return subprocess.run([NMZ, "inspectors", "rest-probe", "-autopilot", str(tmp / "config.toml"), "-class",
                               "FilesystemEvent", "-events", str(events), "-wait", "60s"],
                              capture_output=True, text=True, timeout=90, cwd=tmp, preexec_fn=no_core_dump)

    def test_a_fatal_signal_in_a_decision_is_named_and_every_event_passes(self):
        for crash, signal_name in (("segfault", "SIGSEGV"), ("abort", "SIGABRT"), ("stack-overflow", "SIGSEGV")):
            with self.subTest(crash=crash), tempfile.TemporaryDirectory() as tmp:
                p = self.autopilot(pathlib.Path(tmp), 'explorePolicy = "test-crashing"\n'
                                                      '[explorePolicyParam]\ncrash = "%s"\ncrashAt = 2\n' % crash)
                self.assertEqual(p.returncode, 0, p.stderr)
                # The event of the crashed call is released by nmz, the one
                # after it passes through: both at once, not after the wait.
                self.assertIn("probe: 3 accepted, 0 faulted, 0 failed-open", p.stdout)
                self.assertRegex(p.stderr, signal_name + r' in plugin policy "test-crashing" '
                                           r'\(\S+test_misbehaving\.so\), call queue_event; the policy\'s state is '
                                           r'unknown: .*; the crashed policy is called no more')
                self.assertIn("the policy failed during this run", p.stderr)
                self.assertNotIn("nmz: fatal", p.stderr)

    def test_a_segfault_on_a_thread_the_plugin_started_is_fatal(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = self.autopilot(pathlib.Path(tmp), 'explorePolicy = "test-crashing"\n'
                                                  '[explorePolicyParam]\ncrash = "segfault-on-own-thread"\n')
            self.assertEqual(p.returncode, -11, p.stderr)
            self.assertIn("nmz: fatal: SIGSEGV outside any call into a plugin (in nmz, or on a thread a plugin "
                          "started)\n", p.stderr)

    def test_an_exception_out_of_a_decision_is_named_and_every_event_passes(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = self.autopilot(pathlib.Path(tmp), 'explorePolicy = "test-crashing"\n'
                                                  '[explorePolicyParam]\ncrash = "throw"\ncrashAt = 2\n')
            self.assertEqual(p.returncode, 0, p.stderr)
            # The event of the throwing call and the one after it are
            # answered at once (not failed open after the probe's wait).
            self.assertIn("probe: 3 accepted, 0 faulted, 0 failed-open", p.stdout)
            self.assertRegex(p.stderr, r'exception in plugin policy "test-crashing" \(\S+test_misbehaving\.so\), '
                                       r'call queue_event: test-crashing: no decision for event \S+; the policy\'s '
                                       r'state is unknown')
            self.assertIn("the policy failed during this run", p.stderr)
            self.assertNotIn("nmz: fatal", p.stderr)

    def test_an_exception_out_of_a_noexcept_decision_is_fatal_and_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = self.autopilot(pathlib.Path(tmp), 'explorePolicy = "test-crashing"\n'
                                                  '[explorePolicyParam]\ncrash = "throw-in-noexcept"\ncrashAt = 2\n')
            self.assertEqual(p.returncode, -6, p.stderr)
            self.assertRegex(p.stderr, r'nmz: fatal: SIGABRT in plugin policy "test-crashing" \(\S+\), call queue_event: '
                                       r'uncaught exception: test-crashing: no decision for event \S+\n')

    def throwing_inspector(self, tmp, throw_in, events=3):
        write(tmp / "config.toml", 'explorePolicy = "dumb"\n')
        return subprocess.run([NMZ, "inspectors", "test-throwing", "-autopilot", str(tmp / "config.toml"),
                               "-throw-in", throw_in, "-events", str(events)],
                              capture_output=True, text=True, timeout=90, cwd=tmp, preexec_fn=no_core_dump)

    def test_an_inspector_that_throws_is_named_and_nmz_stays_up(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            p = self.throwing_inspector(tmp, "on_action")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("test-throwing: 3 of 3 events answered", p.stdout)
            self.assertEqual(p.stderr.count('exception in plugin inspector "test-throwing" '), 3, p.stderr)
            self.assertRegex(p.stderr, r'exception in plugin inspector "test-throwing" \(\S+test_misbehaving\.so\), '
                                       r'call on_action: test-throwing: on_action failed; the inspector goes on')
            p = self.throwing_inspector(tmp, "run")
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertRegex(p.stderr, r'nmz inspectors test-throwing: exception in plugin inspector "test-throwing" '
                                       r'\(\S+\), call run: test-throwing: run failed\n')
            p = self.throwing_inspector(tmp, "configure")
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertRegex(p.stderr, r'exception in plugin inspector "test-throwing" \(\S+\), call configure: '
                                       r'test-throwing: configure failed\n')
            self.assertNotIn("nmz: fatal", p.stderr)

    def test_an_inspector_that_crashes_in_on_action_is_named_and_called_no_more(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = self.throwing_inspector(pathlib.Path(tmp), "segfault-in-on_action", events=1)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("test-throwing: 1 of 1 events answered", p.stdout)
            self.assertRegex(p.stderr, r'SIGSEGV in plugin inspector "test-throwing" \(\S+test_misbehaving\.so\), '
                                       r'call on_action; the crashed inspector is called no more')
            self.assertNotIn("nmz: fatal", p.stderr)

    def test_a_constructor_exception_reaches_the_user(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = self.autopilot(pathlib.Path(tmp), 'explorePolicy = "test-throwing-constructor"\n')
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("could not be created: cannot read /nonexistent/test-model.bin", p.stderr)

    def test_a_policy_that_never_answers_is_released_after_action_timeout(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = self.autopilot(pathlib.Path(tmp), 'explorePolicy = "test-silent"\nactionTimeout = "200ms"\n')
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("probe: 3 accepted, 0 faulted, 0 failed-open", p.stdout)
            self.assertIn('policy "test-silent" did not answer 1 event(s) within actionTimeout 200ms', p.stderr)

    def init_experiment(self, tmp, crash, events):
        materials = tmp / "materials"
        materials.mkdir()
        write(materials / "run.sh", '#!/bin/sh\nNMZ_ORCHESTRATOR_TIMEOUT=1s "$NMZ_BIN" inspectors rest-probe '
                                    '-orchestrator-url "$NMZ_REST_URL" -entity-id a -class FilesystemEvent '
                                    '-events %d -wait 10s > "$NMZ_WORKING_DIR/probe.out"\n' % events, 0o755)
        write(tmp / "config.toml", 'run = "run.sh"\nrestPort = 0\nexplorePolicy = "test-crashing"\n'
                                   '[explorePolicyParam]\ncrash = "%s"\ncrashAt = 2\n' % crash)
        env = dict(os.environ, NMZ_RESTORE_DIR=str(tmp / "restore"))
        storage = tmp / "storage"
        init = subprocess.run([NMZ, "init", str(tmp / "config.toml"), str(materials), str(storage)],
                              capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(init.returncode, 0, init.stderr)
        return storage, env

    def test_nmz_run_records_a_throwing_policy_as_broken_and_its_events_pass(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            storage, env = self.init_experiment(tmp, "throw", 3)
            run = subprocess.run([NMZ, "run", str(storage)], capture_output=True, text=True, env=env, timeout=120,
                                 cwd=tmp, preexec_fn=no_core_dump)
            self.assertEqual(run.returncode, 3, run.stderr)
            self.assertNotIn("nmz: fatal", run.stdout + run.stderr)
            # The target's operations went on: the probe got an answer for each.
            self.assertEqual((storage / "00000000" / "probe.out").read_text(),
                             "probe: 3 accepted, 0 faulted, 0 failed-open\n")
            result = json.loads((storage / "00000000" / "result.json").read_text())
            self.assertEqual(result["status"], "broken")
            self.assertEqual(result["run_exit_code"], 0)
            self.assertRegex(result["reason"], r'^exception in plugin policy "test-crashing" \(\S+test_misbehaving\.so\), '
                                               r'call queue_event: test-crashing: no decision for event \S+$')

    def test_nmz_run_survives_a_crashed_policy_and_records_the_run_as_broken(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            storage, env = self.init_experiment(tmp, "segfault", 3)
            # -n 2: the second run's policy, from the same library in the
            # same process, crashes again and is survived again.
            for args in ([], ["-n", "2"]):
                run = subprocess.run([NMZ, "run", *args, str(storage)], capture_output=True, text=True, env=env,
                                     timeout=120, cwd=tmp, preexec_fn=no_core_dump)
                self.assertEqual(run.returncode, 3, run.stderr)
                self.assertNotIn("nmz: fatal", run.stdout + run.stderr)
            for run_id in ("00000000", "00000001", "00000002"):
                result = json.loads((storage / run_id / "result.json").read_text())
                self.assertEqual(result["status"], "broken", run_id)
                self.assertEqual(result["run_exit_code"], 0, run_id)
                self.assertRegex(result["reason"], r'^SIGSEGV in plugin policy "test-crashing" \(\S+\), call queue_event$')
                self.assertEqual((storage / run_id / "probe.out").read_text(),
                                 "probe: 3 accepted, 0 faulted, 0 failed-open\n", run_id)
            summary = subprocess.run([NMZ, "summary", str(storage)], capture_output=True, text=True, env=env,
                                     timeout=60)
            self.assertNotIn("result.json missing", summary.stdout + summary.stderr)

    def test_init_checks_the_policy_and_strict_makes_warnings_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            materials = tmp / "materials"
            materials.mkdir()
            write(materials / "run.sh", "#!/bin/sh\n", 0o755)

            def init(config, *flags):
                write(tmp / "config.toml", 'run = "run.sh"\n' + config)
                return subprocess.run([NMZ, "init", *flags, "--force", str(tmp / "config.toml"), str(materials),
                                       str(tmp / "storage")], capture_output=True, text=True, timeout=60)

            p = init('explorePolicy = "test-silentt"\n')
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn('config.toml: key explorePolicy: unknown explore policy "test-silentt"', p.stderr)
            self.assertFalse((tmp / "storage" / "config.toml").exists())
            p = init('explorePolicy = "test-silent"\nactionTimeut = "1s"\n')
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn('config.toml:3: unknown key "actionTimeut" ignored; did you mean actionTimeout?', p.stderr)
            p = init('explorePolicy = "test-silent"\nactionTimeut = "1s"\n', "--strict")
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn('did you mean actionTimeout? (--strict)', p.stderr)


if __name__ == "__main__":
    unittest.main()
