"""The pytest plugin of email365 (entry point ``pytest11``: ``email365``): the session
fixture ``email365_sandbox``, a running sandbox (``email365.testing``)."""

from __future__ import annotations

from typing import Iterator

import pytest

from .testing import Sandbox, SandboxInfo


@pytest.fixture(scope="session")
def email365_sandbox() -> Iterator[SandboxInfo]:
    """A sandbox for the whole test session, with its defaults (``docs/SANDBOX.md``):
    ``host``, ``port``, ``ca_file``, ``username``, ``password``, ``status_url``,
    ``smtp_client()``, ``status_client()``, ``django_settings()``, ``messages()``,
    ``advance()``."""
    with Sandbox() as info:
        yield info
