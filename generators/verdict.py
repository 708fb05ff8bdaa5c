"""Judges one client's decode-test output against generators/known-failures.txt.

Usage: verdict.py CLIENT RESULTS_FILE KNOWN_FAILURES_FILE EXPECTED_FILE_COUNT

Passes when the output closes with 'N passed, N failed', has one PASS/FAIL line for each
of the EXPECTED_FILE_COUNT corpus files, every FAIL line matches an entry of CLIENT in the
known-failures file, and every such entry matches at least one FAIL line.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path


def main() -> int:
    client, results_file, known_file, expected_count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    lines = Path(results_file).read_text().splitlines()
    entries = []
    for line in Path(known_file).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, glob, text = line.split(" ", 2)
            if name == client:
                entries.append((glob, text))

    problems = []
    if not lines or not re.fullmatch(r"\d+ passed, \d+ failed", lines[-1]):
        problems.append("the test did not finish (no closing 'N passed, N failed' line)")
    results = [line for line in lines if line.startswith(("PASS ", "FAIL "))]
    if len(results) != expected_count:
        problems.append(f"{len(results)} results for {expected_count} corpus files")

    used = set()
    known = unexpected = 0
    for line in results:
        if line.startswith("PASS "):
            continue
        file = line[len("FAIL "):].split(": ", 1)[0]
        match = next((e for e in entries if fnmatch.fnmatch(file, e[0]) and e[1] in line), None)
        if match:
            used.add(match)
            known += 1
            print(f"  known failure: {line}")
        else:
            unexpected += 1
            print(f"  UNEXPECTED {line}")
    for entry in entries:
        if entry not in used:
            problems.append(f"known-failures entry '{client} {entry[0]} {entry[1]}' matched nothing: delete it")

    passed = sum(1 for line in results if line.startswith("PASS "))
    print(f"{client}: {passed} passed, {known} known failures, {unexpected} unexpected failures")
    for p in problems:
        print(f"  ERROR {p}")
    return 1 if unexpected or problems else 0


if __name__ == "__main__":
    sys.exit(main())
