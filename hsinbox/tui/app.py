"""The hsinbox Textual application: wiring only; behaviour lives in the screens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding, BindingsMap
from textual.message import Message

from hsinbox import paths
from hsinbox.config import Settings
from hsinbox.tui.commands import ActionsProvider
from hsinbox.tui.compose import ComposerScreen, EditorLauncher, run_external_editor
from hsinbox.tui.dialogs import HelpScreen, PickerScreen, SignInScreen, StatusPicker, TagsScreen
from hsinbox.tui.inbox_screen import InboxScreen, read_state, write_state
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

    def on_mount(self) -> None:
        try:
            self.theme = self.settings.theme
        except Exception:
            self.notify(
                markup=False, message=f"Unknown theme {self.settings.theme!r}; using the default."
            )
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
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
            screen.action_refresh()

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

    # --- remembered view -----------------------------------------------------------------
    def _state_file(self) -> Path:
        return self.state_path or paths.data_dir() / "state.json"

    def load_state(self) -> dict[str, Any]:
        return read_state(self._state_file())

    def save_state(self, data: dict[str, Any]) -> None:
        write_state(self._state_file(), data)

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
            for binding, keys in grouped.values():
                rows.append((where, " ".join(keys), binding.description, binding.id or ""))
        return rows

    def show_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows()))
