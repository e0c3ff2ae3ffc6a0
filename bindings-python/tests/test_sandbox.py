"""End to end against the project's sandbox (tests/sandbox): SMTP submission through
SmtpClient, then the full status life cycle read with status_request + parse_status over
HTTP (urllib), the sandbox clock advanced by its control endpoint."""

from __future__ import annotations

import concurrent.futures
import json
import pathlib
import subprocess
import sys
import urllib.request
from typing import Any, Dict, Iterator, List

import pytest
import testkit

import email365
import email365.aio
from email365 import Message, SmtpClient

STEP_SECONDS = 60
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Dict[str, Any]]:
    with testkit.sandbox("--step-ms", str(STEP_SECONDS * 1000), "--sender-domain", "example.com") as info:
        yield info


def smtp(info: Dict[str, Any], **options: Any) -> SmtpClient:
    return SmtpClient(
        info["smtp_host"],
        info["smtp_port"],
        username=info["username"],
        password=info["password"],
        ca_file=info["ca_file"],
        timeout=10.0,
        **options,
    )


def get_status(info: Dict[str, Any], notification_id: str, recipient: str | None = None) -> email365.Notification:
    request = email365.status_request(
        info["account_id"],
        notification_id,
        username=info["username"],
        password=info["password"],
        recipient=recipient,
        base_url=info["http_url"],
    )
    http = urllib.request.Request(request.url, method=request.method, headers=request.headers)
    with urllib.request.urlopen(http, timeout=10) as answer:
        return email365.parse_status(answer.read().decode())


def advance(info: Dict[str, Any], seconds: int) -> None:
    req = urllib.request.Request(f"{info['http_url']}/_sandbox/advance?seconds={seconds}", method="POST")
    with urllib.request.urlopen(req, timeout=10) as answer:
        assert answer.status == 200


def codes(n: email365.Notification, recipient: str) -> List[str]:
    return [e.code for e in n.events if e.recipient == recipient]


def test_full_status_life_cycle(sandbox: Dict[str, Any]) -> None:
    msg = Message(
        from_addr="Shop <shop@example.com>",
        to=["alice@example.org", "bounce-bob@example.org"],
        subject="Life cycle",
        text="hello\n",
    )
    with smtp(sandbox) as client:
        result = client.send(msg)
    nid = result.notification_id
    assert nid is not None and nid.isdigit() and len(nid) == 14
    assert result.accepted == ("alice@example.org", "bounce-bob@example.org")

    first = get_status(sandbox, nid)
    assert first.found and first.notification_id == nid
    assert codes(first, "alice@example.org") == ["CAAS_RECEIVED"]
    assert not any(e.is_final for e in first.events)

    seen = [first]
    for _ in range(3):
        advance(sandbox, STEP_SECONDS)
        seen.append(get_status(sandbox, nid))
    last = seen[-1]
    assert codes(last, "alice@example.org") == ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_SENT"]
    assert codes(last, "bounce-bob@example.org") == ["CAAS_RECEIVED", "CAAS_SENT", "CH_RECEIVED", "CH_BOUNCED"]
    assert [len(n.events) for n in seen] == [2, 4, 6, 8]
    finals = {e.recipient: e for e in last.events if e.is_final}
    assert set(finals) == {"alice@example.org", "bounce-bob@example.org"}
    stamps = [e.timestamp for e in last.events if e.recipient == "alice@example.org"]
    assert all(t is not None and t.tzinfo is not None for t in stamps)
    assert stamps == sorted(stamps)  # type: ignore[type-var]

    only_alice = get_status(sandbox, nid, recipient="alice@example.org")
    assert {e.recipient for e in only_alice.events} == {"alice@example.org"}


def test_unknown_notification_is_not_found(sandbox: Dict[str, Any]) -> None:
    n = get_status(sandbox, "99999999999999")
    assert (n.found, n.events) == (False, ())


def test_unregistered_sender_is_refused_by_the_server(sandbox: Dict[str, Any]) -> None:
    msg = Message(from_addr="someone@elsewhere.example", to="alice@example.org", subject="x", text="x")
    with smtp(sandbox) as client, pytest.raises(email365.PermanentError) as info:
        client.send(msg)
    assert info.value.code == 550 and info.value.enhanced_code == "5.7.1"
    assert info.value.transient is False


def test_greylisted_recipient_is_transient(sandbox: Dict[str, Any]) -> None:
    msg = Message(from_addr="shop@example.com", to="greylist-me@example.org", subject="x", text="x")
    with smtp(sandbox) as client, pytest.raises(email365.Email365Error) as info:
        client.send(msg)
    assert info.value.transient is True
    assert info.value.reply is not None and info.value.reply.code == 451


def test_sender_policy_matches_the_account(sandbox: Dict[str, Any]) -> None:
    policy = email365.SenderPolicy(domains=sandbox["sender_domains"])
    msg = Message(from_addr="other@elsewhere.example", to="alice@example.org", subject="x", text="x")
    with smtp(sandbox, sender_policy=policy) as client, pytest.raises(email365.SenderNotRegistered):
        client.send(msg)


def status_client(info: Dict[str, Any], **options: Any) -> email365.StatusClient:
    options.setdefault("username", info["username"])
    options.setdefault("password", info["password"])
    return email365.StatusClient(info["account_id"], base_url=info["http_url"], timeout=10.0, **options)


def test_status_client_follows_the_life_cycle(sandbox: Dict[str, Any]) -> None:
    msg = Message(from_addr="shop@example.com", to="carol@example.org", subject="Client", text="x")
    with smtp(sandbox) as client:
        nid = client.send(msg).notification_id
    assert nid is not None
    status = status_client(sandbox)
    first = status.get(nid)
    assert first.found and codes(first, "carol@example.org") == ["CAAS_RECEIVED"]
    with pytest.raises(email365.TimeoutExpiredError) as info:
        status.wait_for(nid, "carol@example.org", timeout=1.5)
    assert info.value.kind == "timeout" and info.value.reason == "deadline_exceeded"
    advance(sandbox, 3 * STEP_SECONDS)
    done = status.wait_for(nid, "carol@example.org", timeout=30.0)
    assert done.found and done.events[-1].is_final is True
    assert codes(done, "carol@example.org")[-1] == "CH_SENT"
    assert status.get(nid, "carol@example.org") == done


def test_status_client_errors(sandbox: Dict[str, Any]) -> None:
    assert status_client(sandbox).get("99999999999999").found is False
    with pytest.raises(email365.AuthenticationError) as info:
        status_client(sandbox, password="wrong").get("1")
    assert info.value.reason == "unauthorized"
    assert "wrong" not in str(info.value)
    with pytest.raises(email365.NotFoundError):
        email365.StatusClient(
            "other_account", username=sandbox["username"], password=sandbox["password"], base_url=sandbox["http_url"]
        ).get("1")
    with pytest.raises(email365.InvalidArgument):
        email365.StatusClient("acc/1", username="u", password="p")
    assert "sandbox-password" not in repr(status_client(sandbox))


@pytest.mark.asyncio
async def test_aio_status_client_follows_the_life_cycle_on_the_native_runtime(sandbox: Dict[str, Any]) -> None:
    """email365.aio.StatusClient: the same answers and errors as the blocking client,
    its waits awaited on the module's runtime."""
    msg = Message(from_addr="shop@example.com", to="dave@example.org", subject="Async status", text="x")
    async with email365.aio.SmtpClient(
        sandbox["smtp_host"], sandbox["smtp_port"], username=sandbox["username"],
        password=sandbox["password"], ca_file=sandbox["ca_file"], timeout=10.0,
    ) as sender:
        nid = (await sender.send(msg)).notification_id
    assert nid is not None
    client = email365.aio.StatusClient(
        sandbox["account_id"], username=sandbox["username"], password=sandbox["password"],
        base_url=sandbox["http_url"], timeout=10.0,
    )
    assert (await client.get("99999999999999")).found is False
    first = await client.get(nid)
    assert first.found and codes(first, "dave@example.org") == ["CAAS_RECEIVED"]
    with pytest.raises(email365.TimeoutExpiredError) as timed_out:
        await client.wait_for(nid, "dave@example.org", timeout=1.5)
    assert timed_out.value.reason == "deadline_exceeded"
    advance(sandbox, 3 * STEP_SECONDS)
    done = await client.wait_for(nid, "dave@example.org", timeout=30.0)
    assert codes(done, "dave@example.org")[-1] == "CH_SENT"
    assert done == status_client(sandbox).get(nid, "dave@example.org")
    wrong = email365.aio.StatusClient(
        sandbox["account_id"], username=sandbox["username"], password="wrong", base_url=sandbox["http_url"]
    )
    with pytest.raises(email365.AuthenticationError) as refused:
        await wrong.get("1")
    assert refused.value.reason == "unauthorized" and "wrong" not in str(refused.value)
    assert "sandbox-password" not in repr(client) and client.account_id == sandbox["account_id"]
    with pytest.warns(DeprecationWarning, match="executor is ignored"):
        email365.aio.StatusClient("acc", username="u", password="p", executor=concurrent.futures.ThreadPoolExecutor(1))


@pytest.mark.parametrize("max_connections", [1, 4], ids=["one-connection", "pool-of-4"])
def test_send_many_pipelines_and_matches_every_result(sandbox: Dict[str, Any], max_connections: int) -> None:
    def make(i: int) -> Message:
        if i % 6 == 3:
            return Message(from_addr="shop@example.com", to=f"reject-{i}@example.org", subject=f"m{i}", text="x")
        if i % 6 == 5:
            return Message(from_addr="shop@elsewhere.example", to=f"r{i}@example.org", subject=f"m{i}", text="x")
        return Message(from_addr="shop@example.com", to=f"r{i}@example.org", subject=f"m{i}", text="x")

    messages = [make(i) for i in range(36)]
    with smtp(sandbox, max_connections=max_connections) as client:
        results = client.send_many(messages, return_exceptions=True)
    assert len(results) == len(messages)
    ids = set()
    for i, r in enumerate(results):
        if i % 6 == 3:
            assert isinstance(r, email365.RecipientsRejectedError), (i, r)
        elif i % 6 == 5:
            assert isinstance(r, email365.PermanentError) and r.code == 550, (i, r)
        else:
            assert isinstance(r, email365.SendResult), (i, r)
            assert r.accepted == (f"r{i}@example.org",)
            assert r.notification_id is not None
            ids.add(r.notification_id)
    assert len(ids) == 24, "one notification id per delivered message"


def test_aio_sends_1000_concurrently_on_a_few_threads(sandbox: Dict[str, Any]) -> None:
    """1,000 sends, each a task of its own, from one event loop over a pool of 16, in a
    process of their own (benches/aio_load.py): every message is delivered, and the
    process never had more than 4 threads beyond the interpreter's main one (the runtime's
    fixed few; no thread per send), sampled as each send finished. That the loop stays
    free is shown without timing by test_aio.py (its server runs on the client's loop)."""
    load = ROOT / "bindings-python" / "benches" / "aio_load.py"
    out = subprocess.run(
        [sys.executable, str(load), sandbox["smtp_host"], str(sandbox["smtp_port"]), sandbox["username"],
         sandbox["password"], sandbox["ca_file"], "--count", "1000", "--pool", "16"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    figures = json.loads(out.stdout)
    print(f"email365.aio, 1000 concurrent sends: {figures}")
    assert figures["sent"] == 1000
    assert figures["beyond_main"] <= 4, figures
