#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Misspelled [explorePolicyParam] keys of a policy that declares its
parameters (the bundled random policy), through the real nmz binary: every
verb that reads the config warns with file, line and the closest declared
key; --strict (init, run, inspectors) turns the warnings into errors; and
`nmz init` rejects a parameter value the policy rejects."""
import os
import pathlib
import subprocess
import tempfile
import unittest

NMZ = os.environ["NMZ_BIN"]
MISSPELLED = ('explorePolicy = "random"\n[explorePolicyParam]\nmaxInteval = "10ms"\n'
              '[explorePolicyParam.procPolicyParam]\nuseBtach = false\n')
WARNINGS = ['config.toml:4: unknown key "explorePolicyParam.maxInteval" ignored; did you mean '
            'explorePolicyParam.maxInterval?',
            'config.toml:6: unknown key "explorePolicyParam.procPolicyParam.useBtach" ignored; did you mean '
            'explorePolicyParam.procPolicyParam.useBatch?']


def write(path, text, mode=0o644):
    path.write_text(text)
    path.chmod(mode)


class PolicyParameters(unittest.TestCase):
    def setUp(self):
        self.tmp_dir = tempfile.TemporaryDirectory()
        self.tmp = pathlib.Path(self.tmp_dir.name)
        self.materials = self.tmp / "materials"
        self.materials.mkdir()
        write(self.materials / "run.sh", "#!/bin/sh\nexit 0\n", 0o755)
        self.env = dict(os.environ, NMZ_RESTORE_DIR=str(self.tmp / "restore"))

    def tearDown(self):
        self.tmp_dir.cleanup()

    def nmz(self, *args):
        return subprocess.run([NMZ, *args], capture_output=True, text=True, env=self.env, timeout=120, cwd=self.tmp)

    def init(self, config, *flags, storage="storage"):
        write(self.tmp / "config.toml", 'run = "run.sh"\n' + config)
        return self.nmz("init", *flags, "--force", str(self.tmp / "config.toml"), str(self.materials),
                        str(self.tmp / storage))

    def test_init_warns_about_each_misspelled_parameter_and_strict_refuses(self):
        p = self.init(MISSPELLED)
        self.assertEqual(p.returncode, 0, p.stderr)
        for warning in WARNINGS:
            self.assertIn(warning, p.stderr)
        p = self.init(MISSPELLED, "--strict", storage="strict")
        self.assertEqual(p.returncode, 2, p.stderr)
        for warning in WARNINGS:
            self.assertIn(warning + " (--strict)", p.stderr)
        self.assertFalse((self.tmp / "strict" / "config.toml").exists())
        p = self.init('explorePolicy = "random"\n[explorePolicyParam]\nmaxInterval = "10ms"\nseed = 3\n'
                      '[explorePolicyParam.procPolicyParam]\nuseBatch = false\n', "--strict")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("unknown key", p.stderr)

    def test_init_rejects_a_value_the_policy_rejects(self):
        p = self.init('explorePolicy = "random"\n[explorePolicyParam]\nfaultActionProbability = 1.5\n')
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("config.toml:4:", p.stderr)
        self.assertIn("key explorePolicyParam.faultActionProbability", p.stderr)
        self.assertFalse((self.tmp / "storage" / "config.toml").exists())

    def test_run_warns_once_and_strict_refuses_before_any_run(self):
        self.assertEqual(self.init('explorePolicy = "random"\n').returncode, 0)
        # The storage's copy is what `nmz run` reads: a later edit is checked too.
        write(self.tmp / "storage" / "config.toml", 'run = "run.sh"\n' + MISSPELLED)
        p = self.nmz("run", "--strict", str(self.tmp / "storage"))
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(WARNINGS[0] + " (--strict)", p.stderr)
        self.assertFalse((self.tmp / "storage" / "00000000").exists())
        p = self.nmz("run", "-n", "2", str(self.tmp / "storage"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.count(WARNINGS[0]), 1, p.stderr)

    def test_inspectors_autopilot_warns_and_strict_refuses(self):
        write(self.tmp / "config.toml", 'run = "run.sh"\n' + MISSPELLED)
        probe = ["inspectors", "rest-probe", "-autopilot", str(self.tmp / "config.toml"), "-class", "FilesystemEvent",
                 "-events", "1", "-wait", "60s"]
        p = self.nmz(*probe, "-strict")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(WARNINGS[1] + " (--strict)", p.stderr)
        self.assertNotIn("probe:", p.stdout)
        p = self.nmz(*probe)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(WARNINGS[1], p.stderr)
        self.assertIn("probe: 1 accepted", p.stdout)


if __name__ == "__main__":
    unittest.main()
