"""Shared fixtures of the email365 Python tests."""

from __future__ import annotations

import pathlib
import sys
from typing import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What the end-to-end tests of every binding share (certificates, ports, the sandbox).
sys.path.insert(0, str(ROOT / "tests" / "interop"))

from smtpd_helpers import Server  # noqa: E402


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    """The root of the repository (holds Cargo.toml and tests/vectors/)."""
    return ROOT


@pytest.fixture
def smtpd(tmp_path: pathlib.Path) -> Iterator[Server]:
    """aiosmtpd with STARTTLS and AUTH on a free port of 127.0.0.1."""
    with Server(tmp_path) as server:
        yield server


@pytest.fixture
def plain_smtpd(tmp_path: pathlib.Path) -> Iterator[Server]:
    """aiosmtpd without STARTTLS (and without AUTH)."""
    with Server(tmp_path, starttls=False) as server:
        yield server
