"""How the inbox screen shares its height between the list and the thread (``+`` / ``_``),
and whether the sidebar takes width from the list (``b``).

Like lazygit's screen modes: the thread's preview can shrink to a peek or go away, so a
triage pass sees more rows. The mode is a class on the screen (the stylesheet does the
rest) and is remembered in state.json.
"""

from __future__ import annotations

from hsinbox.tui.screen_base import InboxScreenBase

# From the most thread to the most list; ``+`` moves right, ``_`` left (both wrap).
SPLITS: list[tuple[str, str]] = [
    ("normal", "list and a large thread"),
    ("half", "half and half"),
    ("large", "large list, small thread"),
    ("list", "list only (enter opens the thread in its place)"),
]
SPLIT_NAMES = [name for name, _label in SPLITS]


class SplitModes(InboxScreenBase):
    """Mixed into ``InboxScreen``."""

    split = "normal"

    def restore_split(self) -> None:
        saved = self.inbox_app.load_state().get("split")
        self.set_split(saved if saved in SPLIT_NAMES else "normal", remember=False)

    def set_split(self, name: str, *, remember: bool = True) -> None:
        for other in SPLIT_NAMES:
            self.set_class(other == name and other != "normal", f"-split-{other}")
        self.split = name
        if remember:
            self.inbox_app.save_state({"split": name})

    def _step_split(self, step: int) -> None:
        index = (SPLIT_NAMES.index(self.split) + step) % len(SPLITS)
        self.set_split(SPLIT_NAMES[index])
        self.notify(markup=False, message=f"Layout: {SPLITS[index][1]}.", timeout=2)
        if self.split == "list" and self.focused is self.thread:
            self._focus_pane(1)

    def action_grow_list(self) -> None:
        self._step_split(1)

    def action_shrink_list(self) -> None:
        self._step_split(-1)

    # --- the sidebar: shown or hidden (``b``), kept across restarts ---------------------
    def restore_sidebar(self) -> None:
        self.set_class(self.inbox_app.load_state().get("sidebar_hidden") is True, "-sidebar-hidden")

    def action_toggle_sidebar(self) -> None:
        """Hide the folders for a wider list (``tab`` still reaches them), or show them."""
        hidden = not self.has_class("-sidebar-hidden")
        self.set_class(hidden, "-sidebar-hidden")
        self.inbox_app.save_state({"sidebar_hidden": hidden})
        if hidden and self.has_class("sidebar-open"):
            self._focus_pane(1)
        shown = "hidden (b or tab shows it)" if hidden else "shown"
        self.notify(markup=False, message=f"Sidebar {shown}.", timeout=2)
