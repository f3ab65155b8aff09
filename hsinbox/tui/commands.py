"""Command palette: every inbox action with the key it is bound to right now."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.binding import BindingsMap
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.binding import Binding


class ActionsProvider(Provider):
    """Lists the inbox screen's and list's bindings, so the palette teaches the keymap."""

    def _action_commands(self) -> list[tuple[str, str, str]]:
        from hsinbox.tui.inbox_screen import WRITE_ACTIONS, InboxScreen
        from hsinbox.tui.widgets import ConversationTable, ThreadView

        screen = self.screen
        if not isinstance(screen, InboxScreen):
            return []
        keymap = self.app._keymap
        found: dict[str, tuple[Binding, list[str]]] = {}
        for cls in (InboxScreen, ConversationTable, ThreadView):
            bindings = BindingsMap(cls.BINDINGS)
            if keymap:
                bindings.apply_keymap(keymap)
            for key, items in bindings.key_to_bindings.items():
                for binding in items:
                    if not binding.id or binding.id in ("down", "up", "thread.down", "thread.up"):
                        continue
                    entry = found.setdefault(binding.id, (binding, []))
                    entry[1].append(self.app.get_key_display(binding.with_key(key)))
        out = []
        read_only = screen.inbox_app.read_only
        for binding, keys in found.values():
            action = binding.action.removeprefix("screen.")
            description = binding.description
            if read_only and action in WRITE_ACTIONS:
                description += " (off: read-only)"
            out.append((description, " ".join(keys), action))
        return out

    async def _run(self, action: str, description: str = "") -> None:
        from hsinbox.tui.inbox_screen import WRITE_ACTIONS, InboxScreen

        screen = self.screen
        read_only = isinstance(screen, InboxScreen) and screen.inbox_app.read_only
        if read_only and action in WRITE_ACTIONS and isinstance(screen, InboxScreen):
            screen.explain_read_only(description.removesuffix(" (off: read-only)"))
            return
        await screen.run_action(action)

    async def discover(self) -> Hits:
        for description, keys, action in self._action_commands():
            yield DiscoveryHit(
                f"{description}  ({keys})",
                partial(self._run, action, description),
                help=f"key: {keys}",
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, keys, action in self._action_commands():
            label = f"{description}  ({keys})"
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    partial(self._run, action, description),
                    help=keys,
                )
