#!/usr/bin/env python3
"""Runs every address vector through python email-validator and checks agreement.

Each case of tests/vectors/addresses*.json is validated with
    validate_email(address, check_deliverability=False, globally_deliverable=False,
                   strict=True, allow_quoted_local=..., allow_domain_literal=...,
                   allow_display_name=(mode == "header"))
and compared with the vector's expectation: both accept with the same
{local, domain, ascii_domain, display_name, smtputf8}, or both refuse (email-validator
has no diagnosis codes, so only the refusal itself is compared).

Every disagreement must be listed, one case id per table row, in the section
"## Differences from python email-validator" of docs/ADDRESSES.md. The script prints
each disagreement and exits non-zero when the disagreements found differ from the
documented list (an undocumented disagreement, or a documented one that no longer
occurs), so that `make test` keeps the list honest.

Usage: compare_email_validator.py [--verbose]
"""
import json
import pathlib
import re
import sys

try:
    from email_validator import EmailNotValidError, validate_email
    from email_validator import __version__ as ev_version
except ImportError:  # pragma: no cover - setup.sh installs it
    sys.exit("email-validator is not installed: run `bash scripts/setup.sh` first")

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
from vector_values import expand  # noqa: E402

VECTORS = ROOT / "tests" / "vectors"
DOC = ROOT / "docs" / "ADDRESSES.md"
SECTION = "## Differences from python email-validator"


def load_cases():
    for path in sorted(VECTORS.glob("addresses*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("op") != "validate_address":
            continue
        for case in doc["cases"]:
            yield case["id"], expand(case["args"]), case["expect"]


def run_reference(args):
    """email-validator's answer: ("ok", result) or ("error", message)."""
    try:
        r = validate_email(
            args["address"],
            check_deliverability=False,
            globally_deliverable=False,
            strict=True,
            allow_quoted_local=bool(args.get("allow_quoted_local")),
            allow_domain_literal=bool(args.get("allow_domain_literal")),
            allow_display_name=args.get("mode", "envelope") == "header",
        )
    except EmailNotValidError as e:
        return "error", str(e)
    return "ok", {
        "local": r.local_part,
        "domain": r.domain,
        "ascii_domain": r.ascii_domain,
        "display_name": r.display_name,
        "smtputf8": r.smtputf8,
    }


def documented_ids():
    text = DOC.read_text(encoding="utf-8")
    start = text.find(SECTION)
    if start < 0:
        sys.exit(f"{DOC}: no section {SECTION!r}")
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end >= 0 else len(text)]
    ids = re.findall(r"^\|\s*`([a-z0-9-]+)`\s*\|", section, flags=re.M)
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        sys.exit(f"{DOC}: ids listed twice: {sorted(dupes)}")
    return set(ids)


def main():
    verbose = "--verbose" in sys.argv
    found = {}
    total = 0
    for case_id, args, expect in load_cases():
        error = expect.get("error")
        if isinstance(error, dict) and error.get("kind", "invalid_address") != "invalid_address":
            continue  # a test of the driver's argument handling, not of validation
        total += 1
        status, result = run_reference(args)
        if "ok" in expect:
            if status == "ok" and result == expect["ok"]:
                continue
            ours = f"accept {json.dumps(expect['ok'], ensure_ascii=False)}"
        else:
            if status == "error":
                continue
            ours = f"refuse ({expect['error'].get('reason')})"
        theirs = f"refuse: {result}" if status == "error" else f"accept {json.dumps(result, ensure_ascii=False)}"
        found[case_id] = (args, ours, theirs)

    documented = documented_ids()
    undocumented = sorted(set(found) - documented)
    stale = sorted(documented - set(found))
    for case_id in sorted(found):
        if verbose or case_id in undocumented:
            args, ours, theirs = found[case_id]
            print(f"{case_id}: {json.dumps(args, ensure_ascii=False)}\n    email365:        {ours}\n    email-validator: {theirs}")
    for case_id in undocumented:
        print(f"UNDOCUMENTED disagreement: {case_id}", file=sys.stderr)
    for case_id in stale:
        print(f"STALE: {case_id} is documented in {DOC.name} but email-validator now agrees (or the case is gone)", file=sys.stderr)
    print(f"email-validator {ev_version}: {total} address vectors, {total - len(found)} agree, "
          f"{len(found)} documented differences" + ("" if not (undocumented or stale) else
          f", {len(undocumented)} undocumented, {len(stale)} stale"))
    sys.exit(1 if undocumented or stale else 0)


if __name__ == "__main__":
    main()
