#!/usr/bin/env python3
"""Runs every shared vector (tests/vectors/*.json) through a conformance driver.

Usage: run_vectors.py [--vectors DIR] -- DRIVER COMMAND...

The driver gets one request line per case on stdin and must answer one line each.
Comparison rules are the same as the Rust test's (tests/conformance/src/vectors.rs):
an expected `ok` must equal the answer's `ok` exactly; an expected `error` lists the
keys that must match (the human message is not compared unless listed).
Prints `N passed, N failed` and exits non-zero on any failure.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import threading

HERE = pathlib.Path(__file__).resolve().parent


def expand(value):
    if isinstance(value, dict):
        if set(value) == {"$repeat", "times"} and isinstance(value["$repeat"], str):
            return value["$repeat"] * int(value["times"])
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


def load_cases(directory):
    cases = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            request = {"op": doc["op"], "args": expand(case.get("args", {}))}
            cases.append((f"{path.name}#{case['id']}", request, case["expect"]))
    return cases


def compare(expect, answer):
    if "ok" in expect:
        if "ok" in answer and answer["ok"] == expect["ok"]:
            return None
        return f"expected {json.dumps(expect, ensure_ascii=False)}\n     got {json.dumps(answer, ensure_ascii=False)}"
    want = expect.get("error")
    if isinstance(want, dict):
        got = answer.get("error")
        if not isinstance(got, dict):
            return f"expected {json.dumps(expect)}\n     got {json.dumps(answer, ensure_ascii=False)}"
        for key, value in want.items():
            if key not in got or got[key] != value:
                return f"error.{key}: expected {value!r}, got {got.get(key)!r}\n     answer {json.dumps(answer, ensure_ascii=False)}"
        return None
    return f"case has neither expect.ok nor expect.error: {expect}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vectors", default=str(HERE.parent / "vectors"))
    parser.add_argument("--name", default=None, help="label for the summary line")
    parser.add_argument("driver", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    driver = [a for a in opts.driver if a != "--"] if opts.driver[:1] == ["--"] else opts.driver
    if not driver:
        parser.error("no driver command given")
    cases = load_cases(pathlib.Path(opts.vectors))
    proc = subprocess.Popen(driver, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def feed():
        try:
            for _, request, _ in cases:
                proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    passed = failed = 0
    for name, _, expect in cases:
        line = proc.stdout.readline()
        if not line:
            print(f"FAIL {name}: the driver closed its output", file=sys.stderr)
            failed += 1
            continue
        try:
            answer = json.loads(line)
        except ValueError as e:
            print(f"FAIL {name}: unparsable answer {line[:200]!r}: {e}", file=sys.stderr)
            failed += 1
            continue
        diff = compare(expect, answer)
        if diff is None:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: {diff}", file=sys.stderr)
    writer.join()
    proc.wait()
    label = f"{opts.name}: " if opts.name else ""
    print(f"{label}{passed} passed, {failed} failed")
    sys.exit(1 if failed or proc.returncode else 0)


if __name__ == "__main__":
    main()
