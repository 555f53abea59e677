#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails unless every plugin .so given (files or directories searched for
nmz-*.so) defines exactly one dynamic symbol: its entry point nmz_plugin_abiN.

Anything else a plugin exports can be interposed by another library loaded
into the same process, and an STB_GNU_UNIQUE symbol (boost::system's error
categories, before BOOST_DLL_USE_STD_FS) makes the library impossible to unload.
Usage: check_plugin_symbols.py ABI PATH...
"""
import pathlib
import re
import subprocess
import sys


def defined_dynamic_symbols(path):
    """(binding, name) of every symbol the library defines in .dynsym."""
    out = subprocess.run(["readelf", "--dyn-syms", "--wide", str(path)],
                         capture_output=True, text=True, check=True).stdout
    symbols = []
    for line in out.splitlines():
        # Num: Value Size Type Bind Vis Ndx Name
        fields = line.split()
        if len(fields) < 8 or not re.fullmatch(r"\d+:", fields[0]):
            continue
        kind, binding, index, name = fields[3], fields[4], fields[6], fields[7]
        if index == "UND" or kind == "SECTION" or not name:
            continue
        symbols.append((binding, name.split("@")[0]))
    return symbols


def plugin_files(paths):
    for arg in paths:
        path = pathlib.Path(arg)
        if path.is_dir():
            yield from sorted(path.rglob("nmz-*.so"))
        else:
            yield path


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    entry = f"nmz_plugin_abi{argv[1]}"
    plugins = list(plugin_files(argv[2:]))
    if not plugins:
        print("no plugin found in " + " ".join(argv[2:]))
        return 1
    failures = 0
    for plugin in plugins:
        symbols = defined_dynamic_symbols(plugin)
        extra = [f"{binding} {name}" for binding, name in symbols if name != entry]
        has_entry = any(name == entry for _, name in symbols)
        print(f"{plugin.name}: {len(symbols)} defined dynamic symbol(s)")
        if not has_entry:
            print(f"  missing its entry symbol {entry}")
            failures += 1
        if extra:
            failures += 1
            demangled = subprocess.run(["c++filt"], input="\n".join(extra), capture_output=True,
                                       text=True).stdout.splitlines() or extra
            print(f"  exports {len(extra)} symbol(s) besides {entry}:")
            for line in demangled[:20]:
                print("    " + line)
            if len(demangled) > 20:
                print(f"    ... and {len(demangled) - 20} more")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
