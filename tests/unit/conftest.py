"""The unit tier is pure: no sockets (pytest-socket), no AWS, no network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tldextract  # noqa: F401  (its urllib3 import opens a local IPv6 socket once to probe support: not network)
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()
