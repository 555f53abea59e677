#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The nmz binary end to end: verbs, flags, exit codes and error messages."""
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import unittest

NMZ = os.environ["NMZ_BIN"]
TEST_PLUGINS = pathlib.Path(os.environ["NMZ_BUILD_ROOT"]) / "tests" / "plugins"


def nmz(*args, env=None, timeout=30):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([NMZ, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


class Verbs(unittest.TestCase):
    def test_version(self):
        for spelling in ("version", "--version", "-version", "-v"):
            result = nmz(spelling)
            self.assertEqual(result.returncode, 0)
            self.assertRegex(result.stdout, r"^nmz \d+\.\d+\.\d+ \(plugin SDK \d+\.\d+\.\d+, plugin ABI \d+\)$")

    def test_help_and_unknown_verb(self):
        self.assertEqual(nmz("--help").returncode, 0)
        result = nmz("frobnicate")
        self.assertEqual(result.returncode, 2)
        self.assertIn('unknown command "frobnicate"', result.stderr)

    def test_plugins_list_shows_built_in_policies(self):
        result = nmz("plugins", "list")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"(?m)^dumb +policy +\S+ +/\S+/nmz-dumb\.so$")

    def test_plugins_list_reports_refused_plugins(self):
        with tempfile.TemporaryDirectory() as tmp:
            # Files load in name order: the first one to claim a name keeps it.
            os.symlink(TEST_PLUGINS / "test_good.so", pathlib.Path(tmp) / "a.so")
            os.symlink(TEST_PLUGINS / "test_duplicate_name.so", pathlib.Path(tmp) / "b.so")
            result = nmz("plugins", "list", env={"NMZ_PLUGIN_PATH": tmp})
        self.assertEqual(result.returncode, 1)
        self.assertIn('component "test-good-policy" is already registered by', result.stderr)
        self.assertRegex(result.stdout, r"(?m)^test-good-policy +policy +1\.2\.3 ")

    def test_plugin_names_are_unique_regardless_of_case(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.symlink(TEST_PLUGINS / "test_good.so", pathlib.Path(tmp) / "a.so")
            os.symlink(TEST_PLUGINS / "test_case_duplicate.so", pathlib.Path(tmp) / "b.so")
            result = nmz("plugins", "list", env={"NMZ_PLUGIN_PATH": tmp})
        self.assertEqual(result.returncode, 1)
        self.assertIn('component "Test-Good-Policy" is already registered as "test-good-policy" by', result.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "the ownership rules apply when nmz runs as root")
    def test_root_refuses_plugins_others_could_have_written(self):
        with tempfile.TemporaryDirectory() as tmp:
            open_dir = pathlib.Path(tmp) / "open"
            open_dir.mkdir()
            open_dir.chmod(0o777)
            (open_dir / "a.so").write_bytes((TEST_PLUGINS / "test_good.so").read_bytes())
            result = nmz("plugins", "list", env={"NMZ_PLUGIN_PATH": str(open_dir)})
            self.assertIn("is writable by every user; nmz runs as root and will not load code from it", result.stderr)
            self.assertNotIn("test-good-policy", result.stdout)
            foreign = pathlib.Path(tmp) / "foreign"
            foreign.mkdir()
            plugin = foreign / "a.so"
            plugin.write_bytes((TEST_PLUGINS / "test_good.so").read_bytes())
            os.chown(plugin, 65534, 65534)
            result = nmz("plugins", "list", env={"NMZ_PLUGIN_PATH": str(foreign)})
            self.assertIn("belongs to uid 65534", result.stderr)
            self.assertNotIn("test-good-policy", result.stdout)

    @unittest.skipUnless(os.geteuid() == 0, "the ownership rules apply when nmz runs as root")
    def test_a_refused_plugin_runs_no_code(self):
        """Refused before dlopen: not even the library's static constructors run."""
        with tempfile.TemporaryDirectory() as tmp:
            marker = pathlib.Path(tmp) / "loaded"
            for mode, loaded in ((0o777, False), (0o755, True)):
                plugins = pathlib.Path(tmp) / ("plugins-%o" % mode)
                plugins.mkdir()
                plugins.chmod(mode)
                (plugins / "a.so").write_bytes((TEST_PLUGINS / "test_load_marker.so").read_bytes())
                result = nmz("plugins", "list", env={"NMZ_PLUGIN_PATH": str(plugins),
                                                     "NMZ_TEST_LOAD_MARKER": str(marker)})
                self.assertEqual("test-load-marker" in result.stdout, loaded, result.stdout + result.stderr)
                self.assertEqual(marker.exists(), loaded, "mode %o: %s" % (mode, result.stderr))

    def test_plugin_path_mistakes_warn(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = pathlib.Path(tmp) / "config.toml"
            config.write_text('explorePolicy = "nosuch"\n')
            result = nmz("orchestrator", str(config),
                         env={"NMZ_PLUGIN_PATH": "%s/missing:%s" % (tmp, TEST_PLUGINS / "test_good.so")})
        self.assertIn("plugin path entry %s/missing does not exist" % tmp, result.stderr)
        self.assertIn("plugin path entry %s is a file: plugin paths list directories" % (TEST_PLUGINS / "test_good.so"),
                      result.stderr)

    def test_relative_plugin_path_is_relative_to_the_config_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            plugins = pathlib.Path(tmp) / "conf" / "plugins"
            plugins.mkdir(parents=True)
            os.symlink(TEST_PLUGINS / "test_good.so", plugins / "a.so")
            config = pathlib.Path(tmp) / "conf" / "config.toml"
            config.write_text('explorePolicy = "test-good-policy"\npluginPath = ["plugins"]\n')
            proc = subprocess.Popen([NMZ, "orchestrator", str(config)], cwd="/", stderr=subprocess.PIPE, text=True)
            seen = ""
            deadline = time.time() + 10
            while time.time() < deadline and "orchestrator running" not in seen and proc.poll() is None:
                seen += proc.stderr.readline()
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            seen += proc.communicate(timeout=30)[1]
            self.assertIn("orchestrator running", seen)

    def test_unknown_policy_names_the_directories_searched(self):
        with tempfile.TemporaryDirectory() as tmp:
            config = pathlib.Path(tmp) / "config.toml"
            config.write_text('explorePolicy = "nosuch"\npluginPath = ["%s"]\n' % tmp)
            result = nmz("orchestrator", str(config))
        self.assertIn("(plugins searched for in %s" % tmp, result.stderr)

    def test_plugins_inspect(self):
        good = nmz("plugins", "inspect", str(TEST_PLUGINS / "test_good.so"))
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertIn("plugin:      test-good", good.stdout)
        self.assertIn("policy test-good-policy: answers at once", good.stdout)
        bad = nmz("plugins", "inspect", str(TEST_PLUGINS / "test_wrong_abi_symbol.so"))
        self.assertEqual(bad.returncode, 1)
        self.assertIn("built for nmz plugin ABI 7", bad.stderr)


class Configs(unittest.TestCase):
    def write(self, tmp, text):
        path = pathlib.Path(tmp) / "config.toml"
        path.write_text(text)
        return str(path)

    def test_bad_value_names_file_line_and_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = self.write(tmp, 'explorePolicy = "dumb"\n[explorePolicyParam]\ninterval = "soon"\n')
            result = nmz("orchestrator", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn(f"{path}:3:12: key explorePolicyParam.interval: expected a duration", result.stderr)

    def test_unknown_policy_lists_registered_ones(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = self.write(tmp, 'explorePolicy = "nosuch"\n')
            result = nmz("orchestrator", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn(f'{path}: key explorePolicy: unknown explore policy "nosuch"; registered policies: ', result.stderr)
        self.assertIn("dumb", result.stderr)

    def test_orchestrator_runs_until_interrupted(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = self.write(tmp, 'explorePolicy = "dumb"\n')
            proc = subprocess.Popen([NMZ, "orchestrator", path], stderr=subprocess.PIPE, text=True)
            deadline = time.time() + 10
            seen = ""
            while time.time() < deadline and "orchestrator running" not in seen:
                seen += proc.stderr.readline()
            self.assertIn("orchestrator running", seen)
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(timeout=10), 0)


class Inspectors(unittest.TestCase):
    env = {"NMZ_PLUGIN_PATH": str(TEST_PLUGINS)}

    def test_unknown_inspector_lists_registered_ones(self):
        result = nmz("inspectors", "nosuch", env={"NMZ_PLUGIN_PATH": str(TEST_PLUGINS / "good")})
        self.assertEqual(result.returncode, 2)
        self.assertIn('unknown inspector "nosuch"; registered inspectors: ', result.stderr)

    def test_third_party_inspector_runs(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.symlink(TEST_PLUGINS / "test_good.so", pathlib.Path(tmp) / "test_good.so")
            config = pathlib.Path(tmp) / "c.toml"
            config.write_text('explorePolicy = "test-good-policy"\n')
            result = nmz("inspectors", "test-good-inspector", "-entity-id", "x", "-autopilot", str(config),
                         env={"NMZ_PLUGIN_PATH": tmp})
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_common_flag_errors(self):
        result = nmz("inspectors", "dumb-does-not-matter", "-orchestrator-url", "ftp://x")
        self.assertEqual(result.returncode, 2)
        self.assertIn('strange orchestrator url "ftp://x"', result.stderr)
        result = nmz("inspectors", "x", "-autopilot", "a.toml", "--orchestrator-url=http://127.0.0.1:1/api/v3")
        self.assertEqual(result.returncode, 2)
        self.assertIn("-autopilot starts an embedded orchestrator", result.stderr)
        result = nmz("inspectors", "x", "-entity-id")
        self.assertEqual(result.returncode, 2)
        self.assertIn("flag -entity-id needs a value", result.stderr)

    def test_missing_autopilot_file(self):
        result = nmz("inspectors", "x", "-autopilot", "/nonexistent/a.toml")
        self.assertEqual(result.returncode, 2)
        self.assertIn("/nonexistent/a.toml: cannot open config file", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
