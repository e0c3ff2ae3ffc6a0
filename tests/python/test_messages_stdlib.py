"""Reads every message of tests/vectors/messages*.json, built by the Rust conformance
driver, with Python's own `email` package (policy.default): decoded headers equal the
inputs, attachment bytes equal, the MIME structure is the expected one, Bcc absent.

Run: .venv/bin/python -m pytest -q tests/python   (builds the driver when missing)
Regenerate the `ok` expectations of the message vectors from the driver:
     .venv/bin/python tests/python/test_messages_stdlib.py --regenerate
"""
import base64
import email
import email.policy
import email.utils
import json
import mimetypes
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
from vector_values import expand  # noqa: E402

VECTORS = ROOT / "tests" / "vectors"
DRIVER = ROOT / "target" / "release" / "email365-conformance"


def vector_files():
    return sorted(VECTORS.glob("messages*.json"))


def load_cases():
    cases = []
    for path in vector_files():
        doc = json.loads(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            cases.append((path.name, case["id"], doc["op"], expand(case["args"]), case["expect"]))
    return cases


def run_driver(requests):
    if not DRIVER.exists():
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "email365-conformance"], cwd=ROOT, check=True)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
    out = subprocess.run([str(DRIVER)], input=lines.encode(), stdout=subprocess.PIPE, check=True).stdout
    answers = [json.loads(line) for line in out.decode().splitlines()]
    assert len(answers) == len(requests)
    return answers


CASES = load_cases()
OK_CASES = [c for c in CASES if "ok" in c[4]]


@pytest.fixture(scope="module")
def answers():
    return dict(zip([c[1] for c in CASES], run_driver([{"op": c[2], "args": c[3]} for c in CASES])))


def ascii_spec(addr):
    """`local@domain` of an input in header form, domain in A-labels."""
    name, spec = email.utils.parseaddr(addr)
    local, _, domain = spec.rpartition("@")
    domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain.lower()
    return name or None, f"{local}@{domain}"


def header_addresses(msg, name):
    header = msg[name]
    if header is None:
        return []
    return [(a.display_name or None, a.addr_spec) for a in header.addresses]


def expected_structure(args):
    inline = [a for a in args.get("attachments", []) if a.get("inline_id")]
    files = [a for a in args.get("attachments", []) if not a.get("inline_id")]
    text, html = "text" in args, "html" in args
    def related(first):
        return ["multipart/related", [first] + ["leaf"] * len(inline)] if inline else first
    if text and html:
        body = ["multipart/alternative", ["text/plain", related("text/html")]]
    elif text or html:
        body = related("text/plain" if text else "text/html")
    elif inline:
        body = ["multipart/related", ["leaf"] * len(inline)]
    else:
        body = None
    if files:
        return ["multipart/mixed", ([body] if body else []) + ["leaf"] * len(files)]
    return body or "text/plain"


def structure(part):
    if part.is_multipart():
        return [part.get_content_type(), [structure(p) for p in part.iter_parts()]]
    if part.get_content_disposition() in ("attachment", "inline") and part.get_filename() is not None:
        return "leaf"
    return part.get_content_type()


def crlf(text):
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("case", OK_CASES, ids=[c[1] for c in OK_CASES])
def test_python_email_reads_what_was_built(case, answers):
    _, cid, _, args, expect = case
    answer = answers[cid]
    assert "ok" in answer, answer
    ok = answer["ok"]
    raw = base64.b64decode(ok["message_base64"])
    assert len(raw) == ok["size"]
    assert raw.endswith(b"\r\n")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"") and b"\r" not in raw.replace(b"\r\n", b"")
    msg = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    assert not msg.defects, msg.defects

    # Bcc: never in the bytes, always in the envelope.
    assert msg["Bcc"] is None
    for addr in args.get("bcc", []):
        assert ascii_spec(addr)[1].split("@")[0].encode() not in raw.split(b"\r\n\r\n")[0] or any(
            ascii_spec(a)[1].split("@")[0] == ascii_spec(addr)[1].split("@")[0]
            for a in args.get("to", []) + args.get("cc", []) + [args["from"]])
    expected_rcpt = []
    for addr in args.get("to", []) + args.get("cc", []) + args.get("bcc", []):
        spec = ascii_spec(addr)[1]
        local, _, domain = spec.rpartition("@")
        if not any(r.rpartition("@")[0] == local and r.rpartition("@")[2].lower() == domain.lower() for r in expected_rcpt):
            expected_rcpt.append(spec)
    assert ok["rcpt_to"] == expected_rcpt
    assert ok["mail_from"] == ascii_spec(args["from"])[1]

    # Headers decode to the inputs.
    assert header_addresses(msg, "From") == [ascii_spec(args["from"])]
    assert header_addresses(msg, "To") == [ascii_spec(a) for a in args.get("to", [])]
    assert header_addresses(msg, "Cc") == [ascii_spec(a) for a in args.get("cc", [])]
    reply_to = args.get("reply_to", [])
    reply_to = [reply_to] if isinstance(reply_to, str) else reply_to
    assert header_addresses(msg, "Reply-To") == [ascii_spec(a) for a in reply_to]
    assert str(msg["Subject"]) == args["subject"]
    assert msg["Message-ID"] == "<" + args["message_id"].strip("<>") + ">"
    assert ok["message_id"] == args["message_id"].strip("<>")
    assert msg["Date"].datetime == email.utils.parsedate_to_datetime(args["date"])
    for name, value in args.get("headers", {}).items():
        assert str(msg[name]) == value.replace("\t", " ") or str(msg[name]) == value

    # Structure and bodies.
    assert structure(msg) == expected_structure(args)
    texts = [p for p in msg.walk() if not p.is_multipart() and p.get_filename() is None]
    if "text" in args:
        assert crlf(next(p for p in texts if p.get_content_type() == "text/plain").get_content()).rstrip("\n") == crlf(args["text"]).rstrip("\n")
    if "html" in args:
        assert crlf(next(p for p in texts if p.get_content_type() == "text/html").get_content()).rstrip("\n") == crlf(args["html"]).rstrip("\n")
    files = [p for p in msg.walk() if not p.is_multipart() and p.get_filename() is not None]
    assert len(files) == len(args.get("attachments", []))
    for part, given in zip(sorted(files, key=lambda p: p.get_filename()), sorted(args.get("attachments", []), key=lambda a: a["filename"])):
        assert part.get_filename() == given["filename"]
        assert part.get_payload(decode=True) == base64.b64decode(given["content_base64"])
        if given.get("content_type"):
            assert part.get_content_type() == given["content_type"].split(";")[0].strip().lower()
        else:
            guess = mimetypes.guess_type(given["filename"].lower())[0]
            if guess is not None:
                assert part.get_content_type() == guess
        if given.get("inline_id"):
            assert part.get_content_disposition() == "inline"
            assert part["Content-ID"] == "<" + given["inline_id"].strip("<>") + ">"
        else:
            assert part.get_content_disposition() == "attachment"


def test_driver_is_deterministic(answers):
    """Same inputs, same bytes: the boundaries and headers depend only on the inputs."""
    again = run_driver([{"op": c[2], "args": c[3]} for c in OK_CASES[:10]])
    for case, answer in zip(OK_CASES[:10], again):
        assert answer == answers[case[1]]


def regenerate():
    for path in vector_files():
        doc = json.loads(path.read_text(encoding="utf-8"))
        requests = [{"op": doc["op"], "args": expand(c["args"])} for c in doc["cases"]]
        for case, answer in zip(doc["cases"], run_driver(requests)):
            if "ok" in case["expect"]:
                if "ok" not in answer:
                    sys.exit(f"{path.name}#{case['id']}: {answer}")
                case["expect"] = {"ok": answer["ok"]}
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print("regenerated", path.name)


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
    else:
        sys.exit(__doc__)
