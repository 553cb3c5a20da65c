"""Loopback ports for the servers the tests start as separate processes."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10000


def free_port() -> int:
    """A port nobody listens on now, for a test's process to bind soon after.

    Chosen below the kernel's ephemeral range: a port the OS hands out for `bind(0)` is also
    one it hands out as the source port of any outgoing connection (to PostgreSQL, between
    the tests' own servers), and one did take it before the process bound it ("address already
    in use"). Below that range only another listener can, and this checks there is none."""
    first_ephemeral = _first_ephemeral_port()
    if first_ephemeral - _LOWEST >= 1000:
        for port in random.sample(range(_LOWEST, first_ephemeral), 50):
            if _bindable(port):
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _first_ephemeral_port() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
