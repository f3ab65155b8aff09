"""The browser sign-in's callback: a one-shot loopback server that receives the code.

Apart from ``auth`` because only ``hsinbox auth login`` needs it: ``http.server`` and the
e-mail parsing it pulls in stay out of every other start.
"""

from __future__ import annotations

import html
import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hsinbox.helpscout.auth import DEFAULT_CALLBACK_PORT
from hsinbox.helpscout.errors import AuthError, clean_detail

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>hsinbox</title></head>
<body style="font-family: sans-serif; margin: 3em"><h1>{title}</h1><p>{body}</p></body></html>
"""


class _CallbackHTTPServer(HTTPServer):
    owner: CallbackServer


class _Handler(BaseHTTPRequestHandler):
    server: _CallbackHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """The query string holds the code: never log requests."""

    def _answer(self, status: int, title: str, body: str) -> None:
        page = _PAGE.format(title=html.escape(title), body=html.escape(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)

    def do_GET(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        if parts.path != owner.path:
            self._answer(404, "Not found", "This address is not part of the hsinbox sign-in.")
            return
        query = parse_qs(parts.query)
        state = (query.get("state") or [""])[0]
        if not secrets.compare_digest(state.encode(), owner.state.encode()):
            self._answer(
                400,
                "Sign-in link not recognised",
                "This sign-in answer does not match the one hsinbox started. "
                "Start again with: hsinbox auth login",
            )
            return
        error = (query.get("error") or [""])[0]
        code = (query.get("code") or [""])[0]
        if error or not code:
            owner._finish(None, clean_detail(error or "no code in the answer", 120))
            self._answer(400, "Sign-in failed", "Help Scout did not approve the sign-in.")
            return
        owner._finish(code, None)
        if owner.confirm:
            # Say "Signed in" only once the code became a token (hsinbox reports back).
            if not owner._outcome.wait(owner.confirm_timeout):
                self._answer(
                    504,
                    "Sign-in not finished",
                    "hsinbox did not finish the sign-in in time. Check the terminal.",
                )
                return
            if owner._outcome_error is not None:
                self._answer(
                    400,
                    "Sign-in failed",
                    f"Help Scout approved, but the sign-in could not be completed: "
                    f"{owner._outcome_error}. The terminal says more; start again with: "
                    "hsinbox auth login",
                )
                return
        self._answer(200, "Signed in", "hsinbox received the sign-in. You can close this tab now.")


class CallbackServer:
    """A one-shot listener on 127.0.0.1 that waits for the OAuth redirect.

    The default port is fixed so the Redirection URL users register in Help Scout is stable.
    Answers with a wrong or missing ``state`` are turned away and the wait goes on: a stray or
    forged request cannot end a sign-in that is still in progress.
    """

    path = "/callback"

    def __init__(
        self,
        port: int = DEFAULT_CALLBACK_PORT,
        *,
        state: str | None = None,
        timeout: float = 300.0,
        confirm: bool = False,
        confirm_timeout: float = 60.0,
    ) -> None:
        self.state = state or secrets.token_urlsafe(24)
        self.timeout = timeout
        # ``confirm``: the browser's page waits for ``report()`` (the code exchange's outcome).
        self.confirm = confirm
        self.confirm_timeout = confirm_timeout
        self._outcome = threading.Event()
        self._outcome_error: str | None = None
        self._requested_port = port
        self._server: _CallbackHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._code: str | None = None
        self._error: str | None = None

    def start(self) -> CallbackServer:
        try:
            server = _CallbackHTTPServer(("127.0.0.1", self._requested_port), _Handler)
        except OSError as exc:
            raise AuthError(
                f"could not listen on 127.0.0.1:{self._requested_port} for the sign-in "
                f"answer ({clean_detail(exc.strerror or exc, 80)}); choose another --port"
            ) from None
        server.owner = self
        self._server = server
        self._requested_port = int(server.server_address[1])  # the real port, after close too
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    @property
    def port(self) -> int:
        return self._requested_port

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def _finish(self, code: str | None, error: str | None) -> None:
        if self._done.is_set():
            return
        self._code, self._error = code, error
        self._done.set()

    def wait(self, timeout: float | None = None) -> str:
        """Block until the browser comes back; return the authorization code."""
        if not self._done.wait(self.timeout if timeout is None else timeout):
            raise AuthError("no answer from the browser before the time ran out")
        if self._code is None:
            raise AuthError(self._error or "the sign-in was not approved")
        return self._code

    def report(self, error: str | None = None) -> None:
        """The code exchange is over: ``error`` None shows "Signed in", else "Sign-in failed"."""
        if not self._outcome.is_set():
            self._outcome_error = clean_detail(error, 160) if error is not None else None
            self._outcome.set()

    def close(self) -> None:
        self.report("hsinbox stopped before the sign-in finished")  # never leave a page hanging
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> CallbackServer:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()
