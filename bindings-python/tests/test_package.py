"""The package itself: version, exports, typing marker, docstrings."""

from __future__ import annotations

import importlib.resources
import inspect
import pathlib
import re

import email365
import email365._native as native
import email365.aio


def test_version_is_the_workspace_version(repo_root: pathlib.Path) -> None:
    cargo = (repo_root / "Cargo.toml").read_text(encoding="utf-8")
    match = re.search(r'^\[workspace\.package\][^\[]*?^version = "([^"]+)"', cargo, re.M | re.S)
    assert match is not None
    assert email365.__version__ == match.group(1)


def test_all_is_exact_and_importable() -> None:
    assert len(email365.__all__) == len(set(email365.__all__))
    for name in email365.__all__:
        assert hasattr(email365, name), name
    # ("@py_builtins" and the like: pytest's assertion rewriting of the plugin's package.)
    public = {n for n in vars(email365) if not n.startswith(("_", "@"))} - {"annotations"}
    # Submodules show up once imported (the pytest plugin imports testing).
    assert public - set(email365.__all__) <= {"conformance", "aio", "testing", "django", "pytest_plugin"}


def test_every_native_name_is_reexported() -> None:
    # AsyncSmtpClient, AsyncStatusClient and aio_quiesce are the native half of email365.aio.
    native_aio = {"AsyncSmtpClient", "AsyncStatusClient", "aio_quiesce"}
    assert set(native.__all__) - native_aio <= set(email365.__all__)
    assert native.AsyncSmtpClient is type(email365.aio.SmtpClient("127.0.0.1")._client)


def test_py_typed_marker_is_shipped() -> None:
    assert importlib.resources.files("email365").joinpath("py.typed").is_file()


def test_everything_public_has_a_docstring() -> None:
    for name in email365.__all__:
        obj = getattr(email365, name)
        if inspect.isclass(obj) or inspect.isroutine(obj):
            assert obj.__doc__, name


def test_classes_report_the_public_module() -> None:
    assert email365.Address.__module__ == "email365"
    assert email365.Notification.__module__ == "email365"
