"""The hsinbox Textual application: wiring only; behaviour lives in the screens."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import App
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.theme import Theme

from hsinbox import paths
from hsinbox.config import Settings
from hsinbox.inbox.events import Event
from hsinbox.inbox.session import InboxSession
from hsinbox.inbox.text import clean, safe_text
from hsinbox.tui.clipboard import (
    clipboard_sequence,
    has_graphical_browser,
    notice_sequence,
    osc2,
)
from hsinbox.tui.commands import ActionsProvider, FoldersProvider
from hsinbox.tui.inbox_screen import InboxScreen, read_state, write_state
from hsinbox.tui.registry import (
    CONTEXTS,
    bindings,
    bound_keys,
    keymap_conflicts,
    known_binding_ids,
)
from hsinbox.tui.status_report import LoggedMessage

if TYPE_CHECKING:
    from hsinbox.tui.compose import EditorLauncher
    from hsinbox.tui.dialogs import QuitScreen


class SessionEvents(Message):
    """The session's events since the last such message (a burst: a bulk's 50 closes),
    delivered on the app's message queue in order, so the screen repaints once for all."""


# The help screen's sections: the registry's contexts that have a title, in its order.
HELP_CONTEXTS: list[tuple[str, str]] = [
    (title, context) for context, title in CONTEXTS.items() if title is not None
]


class HsInboxApp(App[int]):
    """A keyboard-driven Help Scout inbox."""

    CSS_PATH = "app.tcss"
    TITLE = "hsinbox"
    COMMANDS = App.COMMANDS | {ActionsProvider, FoldersProvider}
    BINDINGS = bindings("app")

    def __init__(
        self,
        session: InboxSession | None = None,
        settings: Settings | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        editor: EditorLauncher | None = None,
        state_path: Path | None = None,
        read_only: bool = False,
        sign_in_problem: str | None = None,
        draft_debounce: float = 0.5,
        notices: list[str] | None = None,
        preview_delay: float = 0.12,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self._session_events: list[Event] = []  # arrived, not yet dispatched (one message)
        self.session: InboxSession | None = session
        self.settings = settings or Settings()
        self.now = now or (lambda: datetime.now(UTC))
        self.editor: EditorLauncher = editor or (
            lambda app, text: _external_editor(app, text, self.settings.editor)
        )
        self.state_path = state_path
        self._state_unsaved = False  # state.json refused a write (said once)
        self.read_only = read_only or self.settings.read_only
        self.sign_in_problem = sign_in_problem
        self.draft_debounce = draft_debounce
        self.notices = notices or []
        self.preview_delay = preview_delay
        self.cursor_blink = cursor_blink
        #: How long "send now and quit" waits for the queue before quitting anyway.
        self.quit_send_timeout = 15.0
        #: Notices raised before the inbox screen exists (settings, keymap, theme): its
        #: messages log (``M``) starts with them.
        self.early_notices: list[LoggedMessage] = []

    def on_mount(self) -> None:
        self._apply_theme()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
            for conflict in keymap_conflicts(self.settings.keymap):
                # One line each: a joined list of several conflicts was unreadable in a toast.
                self.notify(
                    markup=False,
                    message=f"[keymap] conflict: {conflict}. ctrl+q always quits.",
                    title="Settings",
                    severity="warning",
                    timeout=20,
                )
            unknown = sorted(set(self.settings.keymap) - known_binding_ids())
            if unknown:
                names = ", ".join(unknown)
                self.notify(
                    markup=False,
                    message=f"[keymap] in config.toml names no key binding: {names}; ignored. "
                    "The help screen (?) lists the names.",
                    title="Settings",
                    severity="warning",
                    timeout=15,
                )
        for notice in self.notices:
            self.notify(
                markup=False, message=notice, title="Settings", severity="warning", timeout=15
            )
        if self.session is None or self.sign_in_problem:
            from hsinbox.tui.dialogs import SignInScreen

            self.push_screen(SignInScreen(self.sign_in_problem or "No Help Scout session."))
        else:
            screen = InboxScreen()
            screen.messages_log.extend(self.early_notices)
            self.push_screen(screen)
            interval = self.settings.refresh_interval
            if interval:
                self.set_interval(interval, self._refresh_tick)

    def _fatal_error(self) -> None:
        """A crash's traceback without local variables.

        Textual's own shows every frame's locals: a customer's email, a note's text, maybe a
        token. Private in Textual (no setting exists); ``tests/tui/test_crash_output.py``
        fails loudly if Textual stops calling it or starts printing tracebacks elsewhere.
        """
        import rich
        from rich.traceback import Traceback

        self.bell()
        self.panic(Traceback(show_locals=False, width=None, suppress=[rich]))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A notice before the inbox screen exists is kept for its messages log too (the
        screen logs its own notices itself, then calls this)."""
        if self.inbox_screen is None:
            text = clean(f"{title}: {message}" if title else message)
            self.early_notices.append(LoggedMessage(self.now(), severity, text))
        if timeout is None:
            super().notify(message, title=title, severity=severity, markup=markup)
        else:
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """``cursor_blink=False`` keeps text cursors steady: a blink timer changes pictures."""
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False  # type: ignore[attr-defined]

    async def on_unmount(self) -> None:
        if self.session is not None:
            try:
                await self.session.close()
            except Exception:
                return

    # --- quitting with unsent work ----------------------------------------------------
    async def action_quit(self) -> None:
        """``ctrl+q`` and ``ctrl+c``: as ``q`` at the top, ask first when work is unsent."""
        self.request_quit()

    def request_quit(self) -> None:
        """Quit, unless something is unsent: then ask (send now / next time / cancel)."""
        from hsinbox.tui.dialogs import QuitScreen

        session = self.session
        queued = session.queue_length if session is not None else 0
        asking = next((s for s in self.screen_stack if isinstance(s, QuitScreen)), None)
        if not queued or asking is not None:
            # Nothing to lose, or asked a second time: the journal keeps the rest.
            self.exit()
            return
        self.push_screen(QuitScreen(self._unsent_question(), self._send_then_quit), self._quit)

    def _unsent_question(self) -> Text:
        session = self.session
        assert session is not None  # asked only when something is queued
        pending = list(session.pending_actions)
        screen = self.inbox_screen
        undo = screen.pending_undo if screen is not None else None
        noun = "change is" if len(pending) == 1 else "changes are"
        text = Text(f"{len(pending)} {noun} not sent to Help Scout yet:\n", end="")
        for action in pending[:6]:
            text.append("  · ")
            text.append(safe_text(action.describe()))
            if undo is not None and action.id == undo.id:
                text.append(" (undo window)", "dim")
            text.append("\n")
        if len(pending) > 6:
            text.append(f"  … and {len(pending) - 6} more\n")
        if not session.online:
            text.append("Help Scout is unreachable right now.\n", "bold")
        text.append("Quitting now keeps them for the next start.", "dim")
        return text

    def _quit(self, answer: str | None) -> None:
        from hsinbox.tui.dialogs import QUIT_LATER

        if answer == QUIT_LATER:
            self.exit()

    def _send_then_quit(self, screen: QuitScreen) -> None:
        self.run_worker(self._flush_and_exit(screen), group="quit", exit_on_error=False)

    async def _flush_and_exit(self, screen: QuitScreen) -> None:
        """End the undo windows, wait (bounded) for the queue, then quit either way."""
        session = self.session
        if session is None:
            self.exit()
            return
        session.send_now()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.quit_send_timeout
        while session.queue_length and not session.worker.paused:
            left = deadline - loop.time()
            if left <= 0:
                break
            state = "" if session.online else " (Help Scout is unreachable; retrying)"
            screen.progress(f"Sending {session.queue_length} change(s)…{state} {left:.0f} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.drain(), timeout=min(left, 1.0))
        if session.queue_length:
            screen.progress(f"{session.queue_length} not sent; they go out on the next start.")
        self.exit()

    def _refresh_tick(self) -> None:
        screen = self.inbox_screen
        waiting = screen is not None and (screen.view is not None or screen.start_failed)
        if screen is not None and waiting and self.screen is screen:
            screen.refresh_on_timer()

    @property
    def inbox_screen(self) -> InboxScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                return screen
        return None

    # --- session events arrive from the session's task: hop onto the message queue ------
    def session_callback(self, event: Event) -> None:
        self._session_events.append(event)
        if len(self._session_events) == 1:
            self.post_message(SessionEvents())

    def on_session_events(self, _message: SessionEvents) -> None:
        burst, self._session_events = self._session_events, []
        for event in burst:
            self._dispatch(event)

    def _dispatch(self, event: Event) -> None:
        screen = self.inbox_screen
        if screen is not None:
            screen.handle_event(event)

    # --- theme ---------------------------------------------------------------------------
    def _apply_theme(self) -> None:
        """The palette's last choice wins until the theme in config.toml is changed."""
        wanted = self.settings.theme
        state = self.load_state()
        chosen = state.get("theme")
        if (
            isinstance(chosen, str)
            and state.get("theme_setting") == wanted
            and chosen in self.available_themes
        ):
            wanted = chosen
        if wanted not in self.available_themes:
            self.notify(
                markup=False,
                message=f"Unknown theme {wanted!r} in config.toml; using {self.theme}.",
                title="Settings",
                severity="warning",
                timeout=15,
            )
            return
        self.theme = wanted

    def _remember_theme(self, theme: Theme) -> None:
        state = self.load_state()
        if state.get("theme") != theme.name or state.get("theme_setting") != self.settings.theme:
            self.save_state({"theme": theme.name, "theme_setting": self.settings.theme})

    # --- clipboard and browser -----------------------------------------------------------
    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52, also wrapped for tmux passthrough, so a copy over SSH reaches this desk."""
        self._clipboard = text
        if self._driver is None:
            return
        self._driver.write(clipboard_sequence(text, os.environ))

    def alert_terminal(self, title: str, body: str, *, bell: bool, desktop: bool) -> None:
        """A bell and/or a desktop notice (OSC 9 and OSC 777, wrapped for tmux): both reach
        the desk over SSH. ``title`` and ``body`` are already cleaned (inbox.text.clean)."""
        if self._driver is not None and (bell or desktop):
            self._driver.write(notice_sequence(title, body, os.environ, bell=bell, desktop=desktop))

    def set_terminal_title(self, title: str) -> None:
        """OSC 2: the terminal's (and tmux pane's) title."""
        if self._driver is not None:
            self._driver.write(osc2(title))

    def open_in_browser(self, url: str) -> bool:
        """Open ``url`` when a graphical browser can show it here; False when none can."""
        if not has_graphical_browser(os.environ):
            return False
        try:
            self.open_url(url)
        except Exception:
            return False
        return True

    # --- remembered view -----------------------------------------------------------------
    def _state_file(self) -> Path:
        return self.state_path or paths.data_dir() / "state.json"

    def load_state(self) -> dict[str, Any]:
        return read_state(self._state_file())

    def save_state(self, data: dict[str, Any]) -> None:
        """Merge ``data`` into the state file (view and theme live side by side)."""
        problem = write_state(self._state_file(), {**self.load_state(), **data})
        if problem is not None and not self._state_unsaved:
            self._state_unsaved = True  # one line per session, not one per keystroke
            self.notify(
                markup=False,
                message=f"Could not remember the view for next time ({problem}).",
                severity="warning",
            )

    # --- keys ----------------------------------------------------------------------------
    def current_keymap(self) -> Mapping[str, str]:
        """The user's ``[keymap]`` as Textual applied it; the one reader of ``App._keymap``."""
        return self._keymap

    def help_rows(self) -> list[tuple[str, str, str, str]]:
        """Every binding as currently bound: defaults with the user's keymap applied."""
        rows: list[tuple[str, str, str, str]] = []
        for where, context in HELP_CONTEXTS:
            for spec, keys in bound_keys(context, self.current_keymap(), self.get_key_display):
                # The footer's word is short; a tooltip says the rest (x marks *and* moves).
                description = spec.tooltip or spec.description
                if self.read_only and spec.writes:
                    description += " (off: read-only)"
                rows.append((where, " ".join(keys) or "palette", description, spec.id or ""))
        return rows

    def show_help(self) -> None:
        from hsinbox.tui.dialogs import HelpScreen

        self.push_screen(HelpScreen(self.help_rows()))


async def _external_editor(app: Any, text: str, editor: str | None) -> str | None:
    """The composer module (and its Markdown) is imported when a composer first opens."""
    from hsinbox.tui.compose import run_external_editor

    return await run_external_editor(app, text, editor)
