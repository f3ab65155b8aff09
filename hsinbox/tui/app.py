"""The hsinbox Textual application: wiring only; behaviour lives in the screens."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.message import Message
from textual.theme import Theme

from hsinbox import paths
from hsinbox.config import Settings
from hsinbox.tui.attachments_screen import AttachmentsScreen
from hsinbox.tui.clipboard import clipboard_sequence, has_graphical_browser
from hsinbox.tui.commands import ActionsProvider
from hsinbox.tui.compose import ComposerScreen, EditorLauncher, run_external_editor
from hsinbox.tui.composer_attachments import AttachmentList
from hsinbox.tui.dialogs import HelpScreen, PickerScreen, SignInScreen, StatusPicker, TagsScreen
from hsinbox.tui.fields_form import FieldsFormScreen
from hsinbox.tui.inbox_screen import WRITE_ACTIONS, InboxScreen, read_state, write_state
from hsinbox.tui.snooze_picker import SnoozeScreen
from hsinbox.tui.widgets import ConversationTable, Sidebar, ThreadView


class SessionEvent(Message):
    """An ``hsinbox.inbox.events`` event, delivered on the app's message queue."""

    def __init__(self, event: Any) -> None:
        super().__init__()
        self.event = event


HELP_CONTEXTS: list[tuple[str, type]] = [
    ("Inbox", InboxScreen),
    ("List", ConversationTable),
    ("Thread", ThreadView),
    ("Sidebar", Sidebar),
    ("Composer", ComposerScreen),
    ("Picker", PickerScreen),
    ("Status", StatusPicker),
    ("Tags", TagsScreen),
    ("Snooze", SnoozeScreen),
    ("Fields", FieldsFormScreen),
    ("Attachments", AttachmentsScreen),
    ("Composer files", AttachmentList),
]


class HsInboxApp(App[int]):
    """A keyboard-driven Help Scout inbox."""

    CSS_PATH = "app.tcss"
    TITLE = "hsinbox"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = [Binding("ctrl+c", "quit", "Quit", show=False, id="quit", priority=True)]

    def __init__(
        self,
        session: Any = None,
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
        self.session = session
        self.settings = settings or Settings()
        self.now = now or (lambda: datetime.now(UTC))
        self.editor: EditorLauncher = editor or (
            lambda app, text: run_external_editor(app, text, self.settings.editor)
        )
        self.state_path = state_path
        self.read_only = read_only or self.settings.read_only
        self.sign_in_problem = sign_in_problem
        self.draft_debounce = draft_debounce
        self.notices = notices or []
        self.preview_delay = preview_delay
        self.cursor_blink = cursor_blink

    def on_mount(self) -> None:
        self._apply_theme()
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
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
            self.push_screen(SignInScreen(self.sign_in_problem or "No Help Scout session."))
        else:
            self.push_screen(InboxScreen())
            interval = self.settings.refresh_interval
            if interval:
                self.set_interval(interval, self._refresh_tick)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """``cursor_blink=False`` keeps text cursors steady: a blink timer changes pictures."""
        if not self.cursor_blink and hasattr(event.widget, "cursor_blink"):
            event.widget.cursor_blink = False  # type: ignore[attr-defined]

    async def on_unmount(self) -> None:
        close = getattr(self.session, "close", None)
        if close is not None:
            try:
                await close()
            except Exception:
                return

    def _refresh_tick(self) -> None:
        screen = self.inbox_screen
        if screen is not None and screen.view is not None and self.screen is screen:
            screen.refresh_on_timer()

    @property
    def inbox_screen(self) -> InboxScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                return screen
        return None

    # --- session events arrive from the session's task: hop onto the message queue ------
    def session_callback(self, event: Any) -> None:
        self.post_message(SessionEvent(event))

    def on_session_event(self, message: SessionEvent) -> None:
        self._dispatch(message.event)

    def _dispatch(self, event: Any) -> None:
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
        write_state(self._state_file(), {**self.load_state(), **data})

    # --- help ----------------------------------------------------------------------------
    def help_rows(self) -> list[tuple[str, str, str, str]]:
        """Every binding as currently bound: defaults with the user's keymap applied."""
        rows: list[tuple[str, str, str, str]] = []
        for where, cls in HELP_CONTEXTS:
            bindings = BindingsMap(cls.BINDINGS)
            if self._keymap:
                bindings.apply_keymap(self._keymap)
            grouped: dict[str, tuple[Binding, list[str]]] = {}
            for key, items in bindings.key_to_bindings.items():
                for binding in items:
                    group_id = binding.id or binding.action
                    entry = grouped.setdefault(group_id, (binding, []))
                    entry[1].append(self.get_key_display(binding.with_key(key)))
            order = [b.id or b.action for b in cls.BINDINGS if isinstance(b, Binding)]
            ranked = sorted(
                grouped.items(), key=lambda item: order.index(item[0]) if item[0] in order else 999
            )
            for _group_id, (binding, keys) in ranked:
                description = binding.description
                if self.read_only and binding.action.removeprefix("screen.") in WRITE_ACTIONS:
                    description += " (off: read-only)"
                rows.append((where, " ".join(keys), description, binding.id or ""))
        return rows

    def show_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows()))


def known_binding_ids() -> set[str]:
    """Every binding id of every loaded widget, screen and app class: what [keymap] may name."""
    ids: set[str] = set()
    pending: list[type] = [DOMNode]
    seen: set[type] = set()
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending.extend(cls.__subclasses__())
        for binding in getattr(cls, "BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids
