#!/usr/bin/env python3
"""Runs every benchmark of the project and writes one table: target/bench/results.md and
target/bench/results.json (`make bench`; about 15 minutes on 2 cores).

Each figure is put beside its peer measured in the same run, as a ratio, and is the
median of several runs:

- core (criterion, `cargo bench -p email365 --features smtp`): message building vs
  mail-builder and lettre, address validation vs email_address, reply parsing vs
  smtp-proto, status parsing vs serde_json::Value, the SMTP engine (no peer); the median
  estimate of each benchmark (target/criterion/**/new/estimates.json), median over
  `--criterion-runs` runs;
- Python (bindings-python/benches/bench.py --quick): validation vs email-validator,
  building vs email.message, sending vs smtplib and aiosmtplib; `--python-runs` runs;
- WebAssembly: the shipped module's size (raw, gzip -9) and the build benchmark against
  nodemailer (bindings-wasm/bench/build-messages.mjs); `--node-runs` runs;
- C: the conformance vectors through the C driver vs the Rust driver (same JSON protocol);
- sending over one connection (tests/bench send-bench): messages/s and round trips per
  message through the delay proxy at 0, 5 and 20 ms RTT with 1 and 10 recipients for
  email365 (Rust, Python, C; one message at a time, and `send_many` in batches of 100),
  lettre, smtplib and aiosmtplib, and email365's pool over 1, 4 and 16 connections at
  20 ms; `--send-repeat` runs per case;
- sending, async (tests/bench async-bench): 1,000 concurrent sends over a pool of 16 to
  the sandbox, email365's AsyncSmtpPool vs lettre's AsyncSmtpTransport<Tokio1Executor>,
  with the process's peak thread count; `--send-repeat` runs.

A part that cannot run (a missing toolchain) is reported as an error row, never dropped.
Wall-clock figures on a shared machine are noisy: compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"
PY = ROOT / ".venv" / "bin" / "python"

Row = Dict[str, Any]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run(cmd: List[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    log(" ".join(str(c) for c in cmd))
    return subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, check=True, **kw)


def med(xs: List[float]) -> Optional[float]:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def error_row(section: str, what: str, e: BaseException) -> Row:
    detail = str(e)
    if isinstance(e, subprocess.CalledProcessError):
        detail = f"{e} {(e.stderr or '')[-400:]}"
    return {"section": section, "benchmark": what, "error": detail.strip()}


# ---------------------------------------------------------------- criterion (core)

CRITERION = ["message", "address", "reply", "status", "smtp_engine"]

# (group regex, ours, peers): ratio = peer time / our time (> 1: email365 faster).
CRITERION_PEERS = [
    (r"^message/(.+)$", "email365", ["mail_builder", "lettre"]),
    (r"^address$", "email365", ["email_address"]),
    (r"^reply$", "email365_parse", ["smtp_proto_parse"]),
    (r"^status_.*$", "parse_status", ["serde_json_value"]),
]


def criterion_round(measurement: float) -> Dict[str, float]:
    """One run of every core bench; returns benchmark id -> median ns."""
    started = time.time()
    for bench in CRITERION:
        run(["cargo", "bench", "-q", "-p", "email365", "--features", "smtp", "--bench", bench, "--",
             "--warm-up-time", "1", "--measurement-time", str(measurement), "--noplot"])
    found: Dict[str, float] = {}
    for est in (ROOT / "target" / "criterion").glob("**/new/estimates.json"):
        if est.stat().st_mtime < started:
            continue
        meta = est.parent / "benchmark.json"
        if meta.exists():
            m = json.loads(meta.read_text())
            bid = m.get("full_id") or "/".join(
                p for p in (m.get("group_id"), m.get("function_id"), m.get("value_str")) if p)
        else:
            bid = "/".join(est.parent.parent.relative_to(ROOT / "target" / "criterion").parts)
        found[bid] = json.loads(est.read_text())["median"]["point_estimate"]
    return found


def bench_criterion(runs: int, measurement: float) -> List[Row]:
    rounds = [criterion_round(measurement) for _ in range(runs)]
    ids = sorted(set().union(*rounds))
    medians = {i: med([r[i] for r in rounds if i in r]) for i in ids}
    rows: List[Row] = []
    used = set()
    for i in ids:
        parts = i.split("/")
        for pattern, ours, peers in CRITERION_PEERS:
            # ids look like group/function[/parameter]
            group = parts[0]
            func = parts[1] if len(parts) > 1 else ""
            param = "/".join(parts[2:])
            key = f"{group}/{param}" if param else group
            if not re.match(pattern, key) or func != ours:
                continue
            for peer in peers:
                pid = "/".join([group, peer] + ([param] if param else []))
                if pid in medians:
                    used.update({i, pid})
                    rows.append({
                        "section": "core (criterion)", "benchmark": key,
                        "ours": "email365" if ours == "email365" else f"email365 ({ours})", "peer": peer,
                        "ours_ns": medians[i], "peer_ns": medians[pid],
                        "ratio": medians[pid] / medians[i], "runs": runs,
                        "ours_runs_ns": [r.get(i) for r in rounds],
                        "peer_runs_ns": [r.get(pid) for r in rounds],
                    })
    for i in ids:
        if i not in used:
            rows.append({"section": "core (criterion)", "benchmark": i, "ours": "email365",
                         "peer": None, "ours_ns": medians[i], "peer_ns": None, "ratio": None,
                         "runs": runs, "ours_runs_ns": [r.get(i) for r in rounds]})
    return rows


# ---------------------------------------------------------------- Python

PY_ROW = re.compile(r"^\| (.+?) \| (.+?) \| ([\d.]+) ms \| ([\d.]+) ms \| [\d.]+x \|$")


def bench_python(runs: int) -> List[Row]:
    results: Dict[tuple[str, str], List[tuple[float, float]]] = {}
    for _ in range(runs):
        out = run([str(PY), "bindings-python/benches/bench.py", "--quick"], timeout=900).stdout
        for line in out.splitlines():
            m = PY_ROW.match(line.strip())
            if m:
                results.setdefault((m[1], m[2]), []).append((float(m[3]), float(m[4])))
    rows = []
    for (task, peer), xs in results.items():
        ratios = [t / o for o, t in xs]
        rows.append({"section": "Python", "benchmark": task, "ours": "email365 (Python)", "peer": peer,
                     "ours_ms": med([o for o, _ in xs]), "peer_ms": med([t for _, t in xs]),
                     "ratio": med(ratios), "runs": len(xs), "ratio_runs": ratios})
    if not rows:
        raise RuntimeError("bench.py printed no result rows")
    return rows


# ---------------------------------------------------------------- WebAssembly

NODE_ROW = re.compile(r"^\| (.+?) \| ([\d.]+) (µs|ms) \| ([\d.]+) (µs|ms) \| [\d.]+× \|$")


def ms(value: str, unit: str) -> float:
    return float(value) / 1000 if unit == "µs" else float(value)


def bench_wasm(runs: int) -> List[Row]:
    rows: List[Row] = []
    modules = sorted((ROOT / "bindings-wasm" / "pkg").glob("*/email365_wasm_bg.wasm"))
    if not modules:
        raise RuntimeError("bindings-wasm/pkg/*/email365_wasm_bg.wasm missing (make wasm)")
    data = modules[0].read_bytes()
    rows.append({"section": "WebAssembly", "benchmark": f"module size ({modules[0].parent.name})",
                 "ours": "shipped module", "peer": None, "raw_bytes": len(data),
                 "gzip_bytes": len(gzip.compress(data, 9)), "ratio": None, "runs": 1})
    results: Dict[str, List[tuple[float, float]]] = {}
    for _ in range(runs):
        out = run(["node", "bindings-wasm/bench/build-messages.mjs", "--seconds", "1"], timeout=600).stdout
        for line in out.splitlines():
            m = NODE_ROW.match(line.strip())
            if m:
                results.setdefault(m[1], []).append((ms(m[2], m[3]), ms(m[4], m[5])))
    for name, xs in results.items():
        ratios = [t / o for o, t in xs]
        rows.append({"section": "WebAssembly", "benchmark": f"build message: {name}",
                     "ours": "email365 (wasm)", "peer": "nodemailer MailComposer",
                     "ours_ms": med([o for o, _ in xs]), "peer_ms": med([t for _, t in xs]),
                     "ratio": med(ratios), "runs": len(xs), "ratio_runs": ratios})
    return rows


# ---------------------------------------------------------------- C

def bench_c(runs: int) -> List[Row]:
    """The vectors through the C driver vs the Rust driver (same protocol, same files)."""
    run(["make", "-s", "-C", "bindings-c", "build/e365-conformance"])
    run(["cargo", "build", "-q", "--release", "-p", "email365-conformance"])
    drivers = {"c": ["bindings-c/build/e365-conformance"],
               "rust": ["target/release/email365-conformance"]}
    times: Dict[str, List[float]] = {"c": [], "rust": []}
    for _ in range(runs):
        for name, cmd in drivers.items():
            t = time.perf_counter()
            run([str(PY), "tests/conformance/run_vectors.py", "--name", f"{name}-driver", "--", *cmd])
            times[name].append(time.perf_counter() - t)
    ratios = [r / c for c, r in zip(times["c"], times["rust"])]
    return [{"section": "C", "benchmark": "every vector through the conformance driver",
             "ours": "email365 C driver", "peer": "email365 Rust driver",
             "ours_ms": med(times["c"]) * 1e3, "peer_ms": med(times["rust"]) * 1e3,
             "ratio": med(ratios), "runs": runs, "ratio_runs": ratios}]


# ---------------------------------------------------------------- sending

def build_c_client() -> Optional[Path]:
    run(["make", "-s", "-C", "bindings-c", "libs"])
    out = OUT / "send_c"
    cc = os.environ.get("CC", "cc")
    run([cc, "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-Ibindings-c/include",
         "tests/bench/clients/send_c.c", "-o", str(out), "-Lbindings-c/build", "-lemail365",
         f"-Wl,-rpath,{ROOT / 'bindings-c' / 'build'}"])
    return out


def bench_sending(repeat: int, seconds: float, messages: int) -> List[Row]:
    run(["cargo", "build", "-q", "--release", "-p", "email365-bench", "--bin", "send-bench"])
    c_client = None
    c_error = None
    try:
        c_client = build_c_client()
    except Exception as e:  # reported in the C rows
        c_error = e
    out = OUT / "send.json"
    cmd = [str(ROOT / "target/release/send-bench"), "--repeat", str(repeat), "--seconds", str(seconds),
           "--messages", str(messages), "--python", str(PY), "--json", str(out)]
    if c_client:
        cmd += ["--c-client", str(c_client)]
    md = run(cmd, timeout=3600).stdout
    (OUT / "send.md").write_text(md)
    raw = json.loads(out.read_text())
    # One message at a time: against email365-rust; send_many: against email365-rust-many.
    refs = {name: {(r["rtt_ms"], r["rcpts"]): r for r in raw if r["client"] == name}
            for name in ("email365-rust", "email365-rust-many")}
    rows = []
    for r in raw:
        pool = r["client"] == "email365-rust-pool"
        peer = "email365-rust-many" if r["client"].endswith("-many") else "email365-rust"
        ref = refs[peer].get((r["rtt_ms"], r["rcpts"]))
        if pool:
            ref = next((x for x in raw if x["client"] == "email365-rust-pool" and x["connections"] == 1), None)
        rate = r["messages_per_s"]
        ratio = rate / ref["messages_per_s"] if rate and ref and ref["messages_per_s"] else None
        err = r["error"]
        if r["client"].startswith("email365-c") and err and c_error:
            err = f"{err} (C client build: {c_error})"
        rows.append({
            "section": "sending (pool)" if pool else "sending, one connection",
            "benchmark": (f"{r['connections']} connections, {r['rtt_ms']:g} ms RTT" if pool
                          else f"{r['rtt_ms']:g} ms RTT, {r['rcpts']} rcpt"),
            "ours": r["client"], "peer": "email365-rust (1 connection)" if pool else peer,
            "messages_per_s": rate, "round_trips_per_message": r["round_trips_per_message"],
            "ratio": ratio, "runs": len(r["runs"]), "runs_detail": r["runs"], "error": err,
        })
    return rows


def bench_sending_async(repeat: int) -> List[Row]:
    """1,000 concurrent sends over a pool of 16 to the sandbox: AsyncSmtpPool vs lettre's
    AsyncSmtpTransport<Tokio1Executor> (tests/bench/src/bin/async_bench.rs)."""
    run(["cargo", "build", "-q", "--release", "-p", "email365-bench", "--bin", "async-bench"])
    run(["cargo", "build", "-q", "--release", "-p", "email365-sandbox", "--bin", "email365-sandbox"])
    out = OUT / "send_async.json"
    md = run([str(ROOT / "target/release/async-bench"), "--repeat", str(repeat), "--json", str(out),
              "--sandbox", str(ROOT / "target/release/email365-sandbox")], timeout=1800).stdout
    (OUT / "send_async.md").write_text(md)
    raw: Dict[str, Dict[str, Any]] = {r["client"]: r for r in json.loads(out.read_text())}
    peer_rate = raw["lettre"]["messages_per_s"] if "lettre" in raw else None
    rows: List[Row] = []
    for name, r in raw.items():
        ours = name == "email365"
        ratio = r["messages_per_s"] / peer_rate if ours and peer_rate else None
        rows.append({
            "section": "sending, async (tokio)",
            "benchmark": f"{r['sends']} concurrent sends, pool of {r['pool']}, sandbox "
                         f"(peak {r['peak_threads']} threads)",
            "ours": r["client"], "peer": "lettre" if ours else None,
            "messages_per_s": r["messages_per_s"], "ratio": ratio,
            "runs": len(r["runs"]), "runs_detail": r["runs"], "error": None,
        })
    return rows


# ---------------------------------------------------------------- output

def fmt_time_ns(ns: Optional[float]) -> str:
    if ns is None:
        return ""
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_ms(v: Optional[float]) -> str:
    return "" if v is None else fmt_time_ns(v * 1e6)


def to_markdown(rows: List[Row], meta: Dict[str, Any]) -> str:
    lines = [f"Run {meta['date']} on {meta['host']} ({meta['cpus']} CPUs, load average "
             f"{meta['load_start']} at start, {meta['load_end']} at end); {meta['elapsed_s']:.0f} s.",
             "Ratios: peer time / email365 time (> 1: email365 faster); sending: messages/s of the "
             "client / messages/s of email365-rust in the same case (`-many` clients: / "
             "email365-rust-many; pool: / 1 connection).", ""]
    lines += ["| section | benchmark | email365 | peer | email365 figure | peer figure | ratio | runs |",
              "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("error") and "ratio" not in r:
            lines.append(f"| {r['section']} | {r['benchmark']} | error: {r['error'][:200]} | | | | | |")
            continue
        if "ours_ns" in r:
            a, b = fmt_time_ns(r["ours_ns"]), fmt_time_ns(r.get("peer_ns"))
        elif "raw_bytes" in r:
            a, b = f"{r['raw_bytes']:,} B raw, {r['gzip_bytes']:,} B gzip", ""
        elif "messages_per_s" in r:
            if r.get("error"):
                lines.append(f"| {r['section']} | {r['benchmark']} | {r['ours']} | | error: "
                             f"{str(r['error'])[:200]} | | | |")
                continue
            a = f"{r['messages_per_s']:.1f} msg/s"
            if r.get("round_trips_per_message") is not None:
                a += f", {r['round_trips_per_message']:.2f} RT/msg"
            b = ""
        else:
            a, b = fmt_ms(r.get("ours_ms")), fmt_ms(r.get("peer_ms"))
        ratio = "" if r.get("ratio") is None else f"{r['ratio']:.3g}"
        lines.append(f"| {r['section']} | {r['benchmark']} | {r['ours']} | {r.get('peer') or '—'} | "
                     f"{a} | {b} | {ratio} | {r.get('runs', '')} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="criterion,python,wasm,c,sending,sending-async",
                   help="comma-separated parts to run (default: all)")
    p.add_argument("--criterion-runs", type=int, default=3)
    p.add_argument("--criterion-seconds", type=float, default=2.0, help="measurement time per benchmark")
    p.add_argument("--python-runs", type=int, default=3)
    p.add_argument("--node-runs", type=int, default=3)
    p.add_argument("--c-runs", type=int, default=3)
    p.add_argument("--send-repeat", type=int, default=3)
    p.add_argument("--send-seconds", type=float, default=2.0)
    p.add_argument("--send-messages", type=int, default=2000)
    p.add_argument("--render", metavar="JSON", help="only rewrite results.md from a saved results.json")
    a = p.parse_args()
    if a.render:
        saved = json.loads(Path(a.render).read_text())
        md = to_markdown(saved["rows"], saved["meta"])
        (OUT / "results.md").write_text(md)
        print(md)
        return 0
    parts = [x.strip() for x in a.only.split(",") if x.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.time()
    load_start = f"{os.getloadavg()[0]:.1f}"
    rows: List[Row] = []
    jobs = {
        "criterion": ("core (criterion)", lambda: bench_criterion(a.criterion_runs, a.criterion_seconds)),
        "python": ("Python", lambda: bench_python(a.python_runs)),
        "wasm": ("WebAssembly", lambda: bench_wasm(a.node_runs)),
        "c": ("C", lambda: bench_c(a.c_runs)),
        "sending": ("sending, one connection", lambda: bench_sending(a.send_repeat, a.send_seconds,
                                                                     a.send_messages)),
        "sending-async": ("sending, async (tokio)", lambda: bench_sending_async(a.send_repeat)),
    }
    failed = False
    for part in parts:
        if part not in jobs:
            log(f"unknown part {part!r}")
            return 2
        section, job = jobs[part]
        t = time.time()
        try:
            rows += job()
        except Exception as e:
            failed = True
            rows.append(error_row(section, part, e))
            log(f"{part} failed: {e}")
        log(f"{part}: {time.time() - t:.0f} s")
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(start)), "host": os.uname().nodename,
            "cpus": os.cpu_count(), "load_start": load_start, "load_end": f"{os.getloadavg()[0]:.1f}",
            "elapsed_s": time.time() - start, "command": " ".join(sys.argv)}
    (OUT / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    md = to_markdown(rows, meta)
    (OUT / "results.md").write_text(md)
    print(md)
    log(f"wrote {OUT / 'results.md'} and {OUT / 'results.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
