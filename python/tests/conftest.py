"""Fixtures: one sandbox process per test session, reset before every test."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterator

import pytest

import enduco
from support import SANDBOX_BIN, DbServers, Sandbox, make_async_client, make_client


@contextlib.contextmanager
def running_sandbox() -> Iterator[Sandbox]:
    """A sandbox process of its own, stopped on exit."""
    if not SANDBOX_BIN.exists():
        pytest.fail(f"{SANDBOX_BIN} is missing: run `cargo build --workspace` first")
    process = subprocess.Popen(
        [str(SANDBOX_BIN), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    prefix = "listening on "
    if not line.startswith(prefix):
        process.kill()
        pytest.fail(f"unexpected first line from the sandbox: {line!r}")
    # Keep draining stdout so the sandbox never blocks on a full pipe.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    try:
        yield Sandbox(process, line[len(prefix):])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def private_sandbox() -> Iterator[Sandbox]:
    """A sandbox no other test talks to: for tests whose faults must not be consumed by a
    request some earlier test left running (child processes, background threads)."""
    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _reset_sandbox(request: pytest.FixtureRequest) -> None:
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").reset()


@pytest.fixture
def client(sandbox: Sandbox) -> enduco.EnducoClient:
    return make_client(sandbox)


@pytest.fixture
def aclient(sandbox: Sandbox) -> enduco.AsyncEnducoClient:
    return make_async_client(sandbox)




@pytest.fixture(scope="module")
def db_servers() -> Iterator[DbServers]:
    """PostgreSQL and Redis for one test module (`tests/db-servers up`), always stopped and
    removed at its end."""
    directory = Path(tempfile.mkdtemp(prefix="enduco-python-db-"))
    servers = DbServers(directory)
    try:
        servers.up()
        yield servers
    finally:
        try:
            servers.down()
        finally:
            shutil.rmtree(directory, ignore_errors=True)
