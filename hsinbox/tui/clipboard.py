"""Copy and open over SSH and tmux: OSC 52 sequences, the web URL, and whether a browser exists.

OSC 52 asks the *terminal* to set the clipboard, so a copy made on a remote host lands on the
machine the person is sitting at. Inside tmux the sequence is also sent wrapped in tmux's DCS
passthrough, because tmux only forwards OSC 52 itself when ``set-clipboard`` is ``on``.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Mapping

ESC = "\x1b"
ST = ESC + "\\"
WEB_BASE = "https://secure.helpscout.net"


def osc52(text: str) -> str:
    """``ESC ] 52 ; c ; <base64 of UTF-8> ST``: set the system clipboard to ``text``."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"{ESC}]52;c;{payload}{ST}"


def tmux_passthrough(sequence: str) -> str:
    """Wrap a sequence so tmux hands it to the outer terminal (ESC doubled inside)."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def clipboard_sequence(text: str, environ: Mapping[str, str]) -> str:
    """What to write to the terminal to copy ``text``, given the process environment.

    In tmux both forms are sent: the plain one serves ``set-clipboard on``, the wrapped one
    ``allow-passthrough on``; a terminal that gets both sets the same text twice.
    """
    plain = osc52(text)
    if environ.get("TMUX"):
        return plain + tmux_passthrough(plain)
    return plain


def web_url(conversation_id: int, number: int | None) -> str:
    """The conversation's page in the Help Scout web app."""
    if number is None:
        return f"{WEB_BASE}/conversation/{conversation_id}/"
    return f"{WEB_BASE}/conversation/{conversation_id}/{number}/"


def has_graphical_browser(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether opening a URL would show a browser to this person, not to a remote host.

    Over SSH a browser started on the remote machine is either text-only or invisible, so a
    session with SSH variables and no forwarded display counts as having none.
    """
    if platform == "darwin":
        return not (environ.get("SSH_CONNECTION") or environ.get("SSH_TTY"))
    if platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
