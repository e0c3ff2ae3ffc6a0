"""Shared fixtures of the email365 Python tests."""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    """The root of the repository (holds Cargo.toml and tests/vectors/)."""
    return ROOT
