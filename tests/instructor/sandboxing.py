"""Helpers of the sandbox tests: whether bubblewrap works here, and a listener on loopback."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from grading import sandbox


def sandbox_or_skip() -> None:
    """Skip without bubblewrap, except in CI (ITM528_REQUIRE_SANDBOX=1), where it must work."""
    try:
        sandbox.check()
    except sandbox.SandboxUnavailable as err:
        if os.environ.get("ITM528_REQUIRE_SANDBOX") == "1":
            raise
        pytest.skip(str(err))


class Listener:
    """A TCP server on 127.0.0.1 that records every connection and every byte it receives."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(1)
            try:
                self.received.append(conn.recv(65536))
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.server.close()


def sandbox_processes() -> list[str]:
    """Processes of any sandbox user still alive (``pid user command``)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            command = open(f"/proc/{entry}/cmdline", "rb").read().replace(b"\0", b" ")
        except OSError:
            continue
        if sandbox.UID_BASE <= uid < sandbox.UID_BASE + 256:
            found.append(f"{entry} {uid} {command.decode(errors='replace')[:80]}")
    return found
