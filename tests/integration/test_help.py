#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""-h and --help on every verb, every inspector and every tool print a usage
to stdout and exit 0. The lists come from nmz's own help (`nmz --help`,
`nmz inspectors -h`, `nmz tools -h`), so a verb, an inspector plugin or a
tool added later is checked too."""
import os
import re
import subprocess
import sys
import unittest

NMZ = os.environ["NMZ_BIN"]
HELP_SPELLINGS = ("-h", "--help", "-help")


def nmz(*args):
    # stdin from /dev/null: a help that waited for input would hang here.
    return subprocess.run([NMZ, *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def listed(args, header):
    """The first word of each indented line after `header` in the help of
    `nmz args -h`."""
    result = nmz(*args, "-h")
    assert result.returncode == 0, f"nmz {' '.join(args)} -h: {result.returncode} {result.stderr}"
    text = result.stdout.split(header, 1)[1] if header else result.stdout
    return [m.group(1) for m in re.finditer(r"(?m)^  ([a-z][a-z0-9-]*)\s", text)]


class HelpEverywhere(unittest.TestCase):
    def check_help(self, *command):
        for spelling in HELP_SPELLINGS:
            with self.subTest(command=" ".join(command), spelling=spelling):
                result = nmz(*command, spelling)
                self.assertEqual(result.returncode, 0, f"nmz {' '.join(command)} {spelling}: {result.stderr}")
                self.assertRegex(result.stdout, r"(?i)usage", f"nmz {' '.join(command)} {spelling}: no usage")
                self.assertNotIn("unknown flag", result.stdout + result.stderr)

    def test_every_verb(self):
        verbs = listed([], "commands:")
        self.assertGreaterEqual(len(verbs), 10, verbs)
        for verb in verbs:
            self.check_help(verb)

    def test_every_inspector(self):
        inspectors = listed(["inspectors"], "inspectors:")
        for built_in in ("ethernet", "fs", "native", "proc"):
            self.assertIn(built_in, inspectors)
        for inspector in inspectors:
            self.check_help("inspectors", inspector)
            # The inspector's own flags are listed, and the common ones.
            result = nmz("inspectors", inspector, "-h")
            self.assertIn("-orchestrator-url", result.stdout)
        self.assertIn("-nfq-number", nmz("inspectors", "ethernet", "-h").stdout)
        self.assertIn("-policy", nmz("inspectors", "native", "-h").stdout)
        self.assertIn("-original-dir", nmz("inspectors", "fs", "-h").stdout)
        self.assertIn("-pid", nmz("inspectors", "proc", "-h").stdout)

    def test_every_tool_and_subcommand(self):
        tools = listed(["tools"], "")
        for tool in ("summary", "dump-trace", "visualize", "analyze", "shrink", "cleanup"):
            self.assertIn(tool, tools)
        for tool in tools:
            self.check_help("tools", tool)
        for command in (["submit", "slurm"], ["submit", "k8s"], ["container", "run"], ["plugins", "list"],
                        ["plugins", "inspect"]):
            self.check_help(*command)

    def test_help_after_other_flags_and_not_after_double_dash(self):
        self.check_help("tools", "cleanup", "-n")
        result = nmz("inspectors", "proc", "-watch-interval", "1s", "-h")
        self.assertEqual(result.returncode, 0, result.stderr)
        # After "--", -h belongs to the command the inspector would run.
        result = nmz("tools", "dump-trace", "--", "-h")
        self.assertNotEqual(result.returncode, 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
