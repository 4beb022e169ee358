#!/usr/bin/env python3
"""Writes THIRD-PARTY: every crate linked into the salonbox binary, with its licence and
the licence texts it ships (each distinct text once, followed by the crates that carry it).

    scripts/third-party.py [--target TRIPLE] [--features LIST] [--no-default-features] > THIRD-PARTY

Only the crates the binary links are listed: normal dependencies reachable from salonbox
for the given target and features (no dev-, build-dependencies or procedural macros).
"""
import argparse, json, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--target", default=None)
ap.add_argument("--features", default=None)
ap.add_argument("--no-default-features", action="store_true")
args = ap.parse_args()

cmd = ["cargo", "metadata", "--format-version", "1", "--locked"]
if args.target:
    cmd += ["--filter-platform", args.target]
if args.features:
    cmd += ["--features", args.features]
if args.no_default_features:
    cmd += ["--no-default-features"]
meta = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

pkgs = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = meta["resolve"]["root"]

def is_proc_macro(p):
    return any("proc-macro" in t["kind"] for t in p["targets"])

seen, stack = set(), [root]
while stack:
    nid = stack.pop()
    for dep in nodes[nid]["deps"]:
        if not any(k["kind"] is None for k in dep["dep_kinds"]):
            continue  # dev- or build-only
        if dep["pkg"] in seen or is_proc_macro(pkgs[dep["pkg"]]):
            continue
        seen.add(dep["pkg"])
        stack.append(dep["pkg"])

crates = sorted((pkgs[i] for i in seen), key=lambda p: (p["name"], p["version"]))
texts = {}  # licence text -> [crate names]
for p in crates:
    folder = os.path.dirname(p["manifest_path"])
    names = sorted(f for f in os.listdir(folder)
                   if f.upper().startswith(("LICENSE", "LICENCE", "COPYING", "NOTICE", "COPYRIGHT")))
    for f in names:
        path = os.path.join(folder, f)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as fh:
                texts.setdefault(fh.read().strip(), []).append(f'{p["name"]} {p["version"]}')

out = sys.stdout
out.write("salonbox — third-party software\n")
out.write("================================\n\n")
out.write("salonbox is free software under the GNU General Public License, version 3 or later\n")
out.write("(/usr/share/doc/salonbox/copyright). Its binary includes the crates below, each under\n")
out.write("the licence it names (where a crate offers a choice, salonbox uses it under a licence\n")
out.write("compatible with GPL-3.0-or-later; Slint under GPL-3.0-only). The crates' own licence\n")
out.write("texts follow the list.\n\n")
for p in crates:
    lic = p.get("license") or ("see " + p["license_file"] if p.get("license_file") else "unknown")
    out.write(f'{p["name"]} {p["version"]}: {lic}\n')
out.write(f"\n{len(crates)} crates.\n")
for text, users in sorted(texts.items(), key=lambda t: t[1][0]):
    out.write("\n" + "-" * 78 + "\n")
    out.write("Used by: " + ", ".join(users) + "\n\n")
    out.write(text + "\n")
