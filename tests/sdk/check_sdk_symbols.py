#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares the dynamic symbols libnmz_sdk defines with the checked-in
baseline (sdk/abi/libnmz_sdk.symbols) and fails on any difference.

A removed or changed symbol breaks plugin binaries built before it: bump the
ABI number (docs/abi-policy.md). An added one breaks nothing, but the baseline
records it so that the contract only grows on purpose.
Usage: check_sdk_symbols.py LIBNMZ_SDK BASELINE [--update]
"""
import pathlib
import subprocess
import sys


def exported_symbols(library):
    out = subprocess.run(["nm", "--dynamic", "--defined-only", "--format=posix", str(library)],
                         capture_output=True, text=True, check=True).stdout
    # "name type value size": the type letter tells data from code, so a
    # function turned into a variable is a difference too.
    return sorted({" ".join(line.split()[:2]) for line in out.splitlines()
                   if line.strip() and not is_standard_library_instantiation(line.split())})


def is_standard_library_instantiation(fields):
    # Weak copies of libstdc++ templates (std::string's constructors, ...)
    # that the compiler happened to emit: every plugin carries its own, no
    # plugin binds to the SDK's, and whether one is emitted changes with any
    # edit of the code that uses it. They are not the contract.
    name, kind = fields[0], fields[1]
    return kind in ("W", "V", "u") and name.startswith(("_ZNSt", "_ZNKSt", "_ZSt", "_ZTVSt", "_ZTISt", "_ZTSSt"))


def demangle(lines):
    names = [line.split()[0] for line in lines]
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
    return out if len(out) == len(names) else names


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != "--update"):
        print(__doc__, file=sys.stderr)
        return 2
    library, baseline = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    current = exported_symbols(library)
    if len(argv) == 4:
        header = ("# The dynamic symbols libnmz_sdk exports (mangled name, nm type), checked by\n"
                  "# tests/sdk/check_sdk_symbols.py. Read docs/abi-policy.md before changing it.\n")
        baseline.write_text(header + "".join(line + "\n" for line in current))
        print(f"{baseline}: {len(current)} symbols recorded")
        return 0
    recorded = [line for line in baseline.read_text().splitlines() if line and not line.startswith("#")]
    removed = sorted(set(recorded) - set(current))
    added = sorted(set(current) - set(recorded))
    print(f"{library.name}: {len(current)} exported symbols, baseline {len(recorded)}")
    for title, lines in (("removed or changed (needs an ABI bump)", removed),
                         ("added (record them: check_sdk_symbols.py LIB BASELINE --update)", added)):
        if lines:
            print(f"{len(lines)} {title}:")
            for raw, readable in zip(lines, demangle(lines)):
                print(f"  {raw.split()[1]} {readable}")
    return 1 if removed or added else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
