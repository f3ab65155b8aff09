"""The sandbox over real HTTP: stdlib ``ThreadingHTTPServer`` in a daemon thread.

Each request is converted to an ``httpx.Request``, answered by the same core as the
in-process transport, and written back. A "dropped connection" fault closes the socket
without a single byte of answer.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import httpx

from hsinbox.sandbox.faults import Dropped

if TYPE_CHECKING:
    from hsinbox.sandbox.core import Sandbox

_SKIP_HEADERS = {"content-length", "transfer-encoding", "connection", "server", "date"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a client opening a dozen connections at once (the
    # app's start-up round) had its extra SYNs dropped and retried by the kernel a second
    # later. Help Scout does not do that to anyone.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer is not worth a traceback on stderr."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "hsinbox-sandbox"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the sandbox records requests itself."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        body = self._read_body()
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = httpx.Request(
            self.command,
            f"http://{host}{self.path}",
            headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"]
            + [("Host", host)],
            content=body,
        )
        try:
            response = self.server.sandbox.process(request, body)
        except Dropped:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        content = response.content
        self.send_response(response.status_code)
        for key, value in response.headers.multi_items():
            if key.lower() not in _SKIP_HEADERS:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()


@contextlib.contextmanager
def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run the sandbox on ``host:port`` (0 = any free port) until the block exits.

    Raises ``OSError`` when the port cannot be bound.
    """
    server = _Server((host, port), sandbox)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        daemon=True,
        name="hsinbox-sandbox",
    )
    thread.start()
    bound_port = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{bound_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
