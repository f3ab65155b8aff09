"""``hsinbox sandbox``: serve the sample Help Scout API on loopback until Ctrl-C."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

from hsinbox.sandbox.core import Sandbox


def _wait_forever() -> None:
    while True:
        time.sleep(3600)


def default_state_path() -> Path:
    from hsinbox.paths import data_dir

    return data_dir() / "sandbox-state.json"


def serve_command(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    state_path: Path | None = None,
    wait: Callable[[], None] = _wait_forever,
) -> int:
    """Serve until Ctrl-C; print one ``export …`` line a user can paste. Returns an exit code.

    The state is kept in the data dir so changes survive a restart (``state_path`` overrides).
    """
    try:
        sandbox = Sandbox(state_path=state_path or default_state_path())
    except OSError as exc:
        print(f"hsinbox sandbox: cannot use the state file: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        with sandbox.serve(host, port) as base_url:
            print(
                f"export HSINBOX_API_URL={base_url} HSINBOX_APP_ID={sandbox.app_id} "
                f"HSINBOX_APP_SECRET={sandbox.app_secret}",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                wait()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"hsinbox sandbox: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return 1
    return 0
