#!/usr/bin/env python3
"""Runs every shared vector (tests/vectors/*.json) and every transport scenario
(tests/vectors/smtp/*.json) through a conformance driver.

Usage: run_vectors.py [--vectors DIR] [--name NAME] -- DRIVER COMMAND...

The driver gets one request line per case on stdin and must answer one line each.
Comparison rules are the same as the Rust test's (tests/conformance/src/vectors.rs):
an expected `ok` must equal the answer's `ok` exactly; an expected `error` lists the
keys that must match (the human message is not compared unless listed).

A scenario runs against a scripted SMTP server (smtp_server.py) started for it alone:
the runner adds the server's `host` and `port` to the case's args (and the test CA's
path where an option says "$ca_file"), sends the request, waits for the connections to
end, and compares both the answer and what the server received (`received`).

A driver that cannot run a request answers `{"unsupported": "why"}`: the case is
skipped and counted, and the reasons are printed. With `"succeeded": true` the call
itself succeeded and only its result could not be written: a case that expected an
error then fails. Prints `N passed, N failed, N skipped`
and exits non-zero on any failure.
"""
import argparse
import json
import pathlib
import queue
import subprocess
import sys
import tempfile
import threading

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import smtp_server  # noqa: E402
from vector_values import expand  # noqa: E402

ANSWER_TIMEOUT = 60  # seconds a driver may take for one scenario
SESSIONS_TIMEOUT = 10  # seconds the connections may stay open after the answer



def load_cases(directory, prefix=""):
    cases = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            request = {"op": doc["op"], "args": expand(case.get("args", {}))}
            cases.append((f"{prefix}{path.name}#{case['id']}", request, case["expect"], case))
    return cases


def compare(expect, answer):
    if "ok" in expect:
        if "ok" in answer and answer["ok"] == expect["ok"]:
            return None
        return f"expected {json.dumps(expect, ensure_ascii=False)}\n     got {json.dumps(answer, ensure_ascii=False)}"
    if "results" in expect:
        # smtp_send_many: one `ok` or `error` expectation per message, each compared
        # with the rules above.
        got = answer.get("ok", {}).get("results") if isinstance(answer.get("ok"), dict) else None
        if not isinstance(got, list) or len(got) != len(expect["results"]):
            return f"expected {len(expect['results'])} results\n     got {json.dumps(answer, ensure_ascii=False)}"
        for i, (want, result) in enumerate(zip(expect["results"], got)):
            diff = compare(want, result)
            if diff is not None:
                return f"results[{i}]: {diff}"
        return None
    want = expect.get("error")
    if isinstance(want, dict):
        got = answer.get("error")
        if not isinstance(got, dict):
            return f"expected {json.dumps(expect)}\n     got {json.dumps(answer, ensure_ascii=False)}"
        for key, value in want.items():
            if key not in got or got[key] != value:
                return f"error.{key}: expected {value!r}, got {got.get(key)!r}\n     answer {json.dumps(answer, ensure_ascii=False)}"
        return None
    return f"case has neither expect.ok, expect.results nor expect.error: {expect}"


def compare_received(expect, sessions):
    if sessions == expect:
        return None
    return (f"the server received\n     {json.dumps(sessions, ensure_ascii=False)}\n"
            f"     expected\n     {json.dumps(expect, ensure_ascii=False)}")


def substitute(value, names):
    if isinstance(value, str) and value in names:
        return names[value]
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    return value


class Driver:
    """The driver process, its answers read by a thread so that a hung driver fails
    the case instead of the run."""

    def __init__(self, command):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8")
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, request):
        try:
            self.proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def answer(self, timeout=None):
        """The next answer, or an error text."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None, f"no answer within {timeout} s"
        if line is None:
            self.lines.put(None)
            return None, "the driver closed its output"
        try:
            return json.loads(line), None
        except ValueError as e:
            return None, f"unparsable answer {line[:200]!r}: {e}"

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode


class Tally:
    def __init__(self):
        self.passed = self.failed = 0
        self.skipped = {}

    def record(self, name, answer, problem, check, expect=None):
        if (problem is None and isinstance(answer, dict) and "unsupported" in answer
                and answer.get("succeeded") is True and expect is not None and "error" in expect):
            problem = f"expected {json.dumps(expect)}\n     but the call succeeded (the driver could not write its result: {answer['unsupported']})"
        if problem is None and isinstance(answer, dict) and "unsupported" in answer:
            reason = f"{name.split('#')[0]}: {answer['unsupported']}"
            self.skipped[reason] = self.skipped.get(reason, 0) + 1
            return
        if problem is None:
            problem = check()
        if problem is None:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name}: {problem}", file=sys.stderr)


def run_scenario(driver, name, request, expect, case, tls_files):
    """Runs one scenario; returns (answer, problem)."""
    script = case["server"]
    server = smtp_server.ScriptedServer(script, tls_files if script.get("tls") else None)
    try:
        args = dict(request["args"], host=smtp_server.HOST, port=server.port)
        if tls_files is not None:
            args = substitute(args, {"$ca_file": tls_files[0]})
        driver.send({"op": request["op"], "args": args})
        answer, problem = driver.answer(ANSWER_TIMEOUT)
        if problem is None and "unsupported" not in answer:
            ended = server.wait(SESSIONS_TIMEOUT)
            problem = compare(expect, answer)
            if problem is None:
                problem = compare_received(case["received"], server.sessions)
            if problem is None and not ended:
                problem = f"a connection was still open {SESSIONS_TIMEOUT} s after the answer"
        return answer, problem
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vectors", default=str(HERE.parent / "vectors"))
    parser.add_argument("--name", default=None, help="label for the summary line")
    parser.add_argument("driver", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    driver_cmd = [a for a in opts.driver if a != "--"] if opts.driver[:1] == ["--"] else opts.driver
    if not driver_cmd:
        parser.error("no driver command given")
    vectors = pathlib.Path(opts.vectors)
    cases = load_cases(vectors)
    scenarios = load_cases(vectors / "smtp", "smtp/") if (vectors / "smtp").is_dir() else []
    driver = Driver(driver_cmd)
    tally = Tally()

    def feed():
        for _, request, _, _ in cases:
            driver.send(request)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    for name, _, expect, _ in cases:
        answer, problem = driver.answer()
        tally.record(name, answer, problem, lambda: compare(expect, answer))
    writer.join()

    with tempfile.TemporaryDirectory(prefix="e365-scenarios-") as tmp:
        tls_files = None
        if any(case["server"].get("tls") for _, _, _, case in scenarios):
            tls_files = smtp_server.make_test_ca(tmp)
        for name, request, expect, case in scenarios:
            answer, problem = run_scenario(driver, name, request, expect, case, tls_files)
            tally.record(name, answer, problem, lambda: None, expect)
    code = driver.close()

    label = f"{opts.name}: " if opts.name else ""
    skipped = sum(tally.skipped.values())
    print(f"{label}{tally.passed} passed, {tally.failed} failed, {skipped} skipped")
    for reason, count in sorted(tally.skipped.items()):
        print(f"  skipped {count}: {reason}")
    sys.exit(1 if tally.failed or code else 0)


if __name__ == "__main__":
    main()
