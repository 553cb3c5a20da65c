"""The tests' ports for servers run as separate processes (tests/support/net.py)."""

from __future__ import annotations

import socket

from tests.support.net import _first_ephemeral_port, free_port


def test_a_free_port_is_below_the_range_outgoing_connections_take_theirs_from():
    # A port inside the ephemeral range was once taken as some connection's source port
    # between being chosen and being bound: the process then failed with "address in use".
    port = free_port()
    assert 1024 < port < _first_ephemeral_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # and nobody listens on it
