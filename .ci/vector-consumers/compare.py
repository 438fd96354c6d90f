"""Compares the verdicts of `vectors run` (JUnit XML) with the replayers' results files.

Usage: compare.py TARGET RUST_JUNIT RESULTS_JSON...

Every runner must have judged exactly the same ids, each with the same verdict (pass or
fail; "not-judged" never agrees, since the emulator's clock is controllable). Against the
plain emulator (TARGET "plain") every vector must pass. Exits 1 with the disagreements.
"""

import json
import sys
import xml.etree.ElementTree as ET


def rust_verdicts(path):
    root = ET.parse(path).getroot()
    verdicts = {}
    for case in root.iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        verdicts[case.get("name")] = "fail" if failed else "pass"
    return verdicts


def replayer_verdicts(path):
    with open(path, encoding="utf-8") as f:
        results = json.load(f)["results"]
    return {r["id"]: r["verdict"] for r in results}, {r["id"]: r.get("differences", []) for r in results}


def main():
    target, rust_path, *others = sys.argv[1:]
    rust = rust_verdicts(rust_path)
    if not rust:
        sys.exit(f"{target}: vectors run judged nothing")
    problems = []
    summary = [f"rust {sum(v == 'fail' for v in rust.values())} failed"]
    for path in others:
        name = path.rsplit("/", 1)[-1].removesuffix(".json")
        try:
            theirs, details = replayer_verdicts(path)
        except (OSError, ValueError, KeyError) as e:
            problems.append(f"{name}: no usable results file ({e})")
            continue
        summary.append(f"{name} {sum(v == 'fail' for v in theirs.values())} failed")
        for vid in sorted(rust.keys() | theirs.keys()):
            mine, other = rust.get(vid, "absent"), theirs.get(vid, "absent")
            if mine != other:
                why = "; ".join(details.get(vid, []))[:300]
                problems.append(f"{name}: {vid}: vectors run says {mine}, {name} says {other} {why}")
    if target == "plain":
        failing = sorted(v for v, verdict in rust.items() if verdict != "pass")
        if failing:
            problems.append(f"vectors run fails on the plain emulator: {', '.join(failing[:10])}")
    print(f"{target}: {len(rust)} vectors; " + ", ".join(summary)
          + ("; agree" if not problems else f"; {len(problems)} disagreements"))
    for p in problems[:40]:
        print("  " + p)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
