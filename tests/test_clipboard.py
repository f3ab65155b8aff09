"""OSC 52 bytes exactly as terminals (and tmux) expect them; the web link; browser detection."""

from __future__ import annotations

import base64

from hsinbox.tui.clipboard import (
    clipboard_sequence,
    has_graphical_browser,
    osc52,
    tmux_passthrough,
    web_url,
)


def test_osc52_is_esc_bracket_52_c_base64_st() -> None:
    assert osc52("10072") == "\x1b]52;c;MTAwNzI=\x1b\\"


def test_osc52_encodes_utf8() -> None:
    seq = osc52("Zoë → ✓")
    payload = seq.removeprefix("\x1b]52;c;").removesuffix("\x1b\\")
    assert base64.b64decode(payload).decode("utf-8") == "Zoë → ✓"
    assert "\x07" not in seq and seq.count("\x1b") == 2


def test_tmux_passthrough_doubles_every_escape() -> None:
    assert tmux_passthrough(osc52("10072")) == ("\x1bPtmux;\x1b\x1b]52;c;MTAwNzI=\x1b\x1b\\\x1b\\")


def test_clipboard_sequence_plain_outside_tmux() -> None:
    assert clipboard_sequence("10072", {"TERM": "xterm-256color"}) == osc52("10072")
    assert clipboard_sequence("10072", {"TMUX": ""}) == osc52("10072")


def test_clipboard_sequence_in_tmux_sends_plain_then_wrapped() -> None:
    env = {"TMUX": "/tmp/tmux-0/default,123,0"}
    assert clipboard_sequence("10072", env) == (
        "\x1b]52;c;MTAwNzI=\x1b\\" + "\x1bPtmux;\x1b\x1b]52;c;MTAwNzI=\x1b\x1b\\\x1b\\"
    )


def test_web_url() -> None:
    assert web_url(472611182, 10072) == "https://secure.helpscout.net/conversation/472611182/10072/"
    assert web_url(472611182, None) == "https://secure.helpscout.net/conversation/472611182/"


def test_graphical_browser_needs_a_display_on_linux() -> None:
    assert not has_graphical_browser({}, "linux")
    assert not has_graphical_browser({"SSH_TTY": "/dev/pts/1"}, "linux")
    assert has_graphical_browser({"DISPLAY": ":0"}, "linux")
    assert has_graphical_browser({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert has_graphical_browser({}, "darwin")
    assert not has_graphical_browser({"SSH_CONNECTION": "1 2 3 4"}, "darwin")


# --- notices: bell, OSC 9 / 777, OSC 2 ------------------------------------------------------


def test_notice_sequences_exactly() -> None:
    from hsinbox.tui.clipboard import notice_sequence, osc2, osc9, osc777

    assert osc9("New in Unassigned: #1 Lamp") == "\x1b]9;New in Unassigned: #1 Lamp\x1b\\"
    assert osc777("hsinbox", "a; b") == "\x1b]777;notify;hsinbox;a, b\x1b\\", "; would split"
    assert osc2("hsinbox (3)") == "\x1b]2;hsinbox (3)\x1b\\"
    plain = notice_sequence("t", "b", {}, bell=True, desktop=True)
    assert plain == "\a" + osc9("b") + osc777("t", "b")
    assert notice_sequence("t", "b", {}, bell=True, desktop=False) == "\a"
    tmux = notice_sequence("t", "b", {"TMUX": "/tmp/tmux"}, bell=True, desktop=True)
    assert tmux == "\a" + tmux_passthrough(osc9("b") + osc777("t", "b"))


def test_notice_text_carries_no_control_character() -> None:
    from hsinbox.tui.clipboard import osc9

    seq = osc9("a\x1b]0;x\x07b\x9cc\nd")
    inner = seq.removeprefix("\x1b]9;").removesuffix("\x1b\\")
    assert all(ch.isprintable() for ch in inner)
    assert len(osc9("x" * 1000)) < 220, "bounded"
