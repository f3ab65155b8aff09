"""``serve_command``: one export line, Ctrl-C ends quietly, a used port is one error line."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from hsinbox.sandbox.cli import serve_command


def test_prints_export_line_and_serves(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    seen: list[int] = []

    def wait() -> None:
        line = capsys.readouterr().out.strip()
        assert line.startswith("export HSINBOX_API_URL=http://127.0.0.1:")
        words = dict(w.split("=", 1) for w in line.removeprefix("export ").split())
        assert set(words) == {"HSINBOX_API_URL", "HSINBOX_APP_ID", "HSINBOX_APP_SECRET"}
        r = httpx.post(
            f"{words['HSINBOX_API_URL']}/v2/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": words["HSINBOX_APP_ID"],
                "client_secret": words["HSINBOX_APP_SECRET"],
            },
            timeout=5,
        )
        seen.append(r.status_code)
        raise KeyboardInterrupt

    state = tmp_path / "state.json"
    assert serve_command(state_path=state, wait=wait) == 0
    assert seen == [200]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert state.exists()


def test_default_state_lives_in_the_data_dir(capsys: pytest.CaptureFixture) -> None:
    def wait() -> None:
        raise KeyboardInterrupt

    assert serve_command(wait=wait) == 0
    from hsinbox.paths import data_dir

    assert (data_dir() / "sandbox-state.json").exists()
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_used_port(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve_command(port=port, state_path=tmp_path / "s.json") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and str(port) in captured.err
