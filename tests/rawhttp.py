"""A tiny HTTP/1.1 client on raw sockets, for requests no HTTP library will send.

``requests`` and ``http.client`` refuse NUL bytes, repeated ``Authorization``
headers, raw non-ASCII bytes and other malformed input; a hostile client does
not. Each call opens one connection, sends the bytes as given and reads the
answer until the server closes it.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    base_url: str,
    target: str,
    headers: list[bytes],
    method: str = "GET",
    body: bytes = b"",
    timeout: float = 10,
) -> RawResponse:
    """Send one request with ``headers`` (complete ``Name: value`` lines) verbatim."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [
        f"{method} {target} HTTP/1.1".encode("ascii"),
        f"Host: {host}:{port}".encode("ascii"),
        b"Connection: close",
        *headers,
    ]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}".encode("ascii"))
    payload = b"\r\n".join(lines) + b"\r\n\r\n" + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return parse(b"".join(chunks))


def parse(data: bytes) -> RawResponse:
    """Split a raw HTTP/1.x response into status, headers and body."""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    response = RawResponse(status, headers, body)
    if "chunked" in (response.header("Transfer-Encoding") or "").lower():
        response.body = _unchunk(body)
    return response


def _unchunk(body: bytes) -> bytes:
    out = bytearray()
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += body[:size]
        body = body[size + 2 :]
    return bytes(out)
