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


def for_terminal(plain: str, environ: Mapping[str, str]) -> str:
    """What to write for an OSC sequence meant for the outer terminal, given the environment.

    In tmux both forms are sent: the plain one serves tmux's own handling (``set-clipboard
    on`` for OSC 52), the wrapped one ``allow-passthrough on``; a terminal that gets both acts
    twice on the same thing (a clipboard set twice; see ``notice_sequence`` for notices).
    """
    if environ.get("TMUX"):
        return plain + tmux_passthrough(plain)
    return plain


def clipboard_sequence(text: str, environ: Mapping[str, str]) -> str:
    """What to write to the terminal to copy ``text``, given the process environment."""
    return for_terminal(osc52(text), environ)


# --- notices: bell, desktop notification, window title ------------------------------------
BEL = "\a"
NOTICE_MAX = 200


def _osc_text(text: str) -> str:
    """Text inside an OSC string: no control characters at all (ESC, BEL, C1 included) and
    no ``;`` (OSC 777 splits on it); callers pass text already through ``inbox.text.clean``."""
    kept = "".join(ch if ch.isprintable() else " " for ch in text).replace(";", ",")
    return kept[:NOTICE_MAX]


def osc9(body: str) -> str:
    """``ESC ] 9 ; text ST``: a desktop notification (iTerm2, WezTerm, Windows Terminal, kitty)."""
    return f"{ESC}]9;{_osc_text(body)}{ST}"


def osc777(title: str, body: str) -> str:
    """``ESC ] 777 ; notify ; title ; body ST``: the same for urxvt, foot, Ghostty, VTE."""
    return f"{ESC}]777;notify;{_osc_text(title)};{_osc_text(body)}{ST}"


def osc2(title: str) -> str:
    """``ESC ] 2 ; title ST``: the window (and tmux pane) title."""
    return f"{ESC}]2;{_osc_text(title)}{ST}"


def notice_sequence(
    title: str, body: str, environ: Mapping[str, str], *, bell: bool, desktop: bool
) -> str:
    """Bell and/or desktop notice. In tmux the desktop notice goes only wrapped (tmux does
    not act on OSC 9 itself, so the plain copy would be lost, not doubled); BEL goes plain,
    as tmux turns it into its own bell and activity flag."""
    out = BEL if bell else ""
    if desktop:
        notice = osc9(body) + osc777(title, body)
        out += tmux_passthrough(notice) if environ.get("TMUX") else notice
    return out


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
