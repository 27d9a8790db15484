"""Tests may reach loopback only: a connection elsewhere fails before any packet leaves."""
import socket

import pytest

from tests import conftest


def test_a_connection_to_a_non_loopback_host_fails_the_test(monkeypatch):
    attempts = []
    monkeypatch.setattr(conftest, "_real_connect", lambda sock, address: attempts.append(address))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(AssertionError, match="only loopback"):
            sock.connect(("203.0.113.7", 443))
        sock.connect(("127.0.0.1", 9))
    finally:
        sock.close()
    assert attempts == [("127.0.0.1", 9)]
