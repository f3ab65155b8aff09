"""Command palette: every inbox action with the key it is bound to right now."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from hsinbox.tui.registry import WRITE_ACTIONS, palette_entries


class ActionsProvider(Provider):
    """Lists the inbox screen's and list's bindings, so the palette teaches the keymap."""

    def _action_commands(self) -> list[tuple[str, str, str]]:
        from hsinbox.tui.inbox_screen import InboxScreen

        screen = self.screen
        if not isinstance(screen, InboxScreen):
            return []
        app = screen.inbox_app
        out = []
        for spec, keys in palette_entries(app.current_keymap(), app.get_key_display):
            description = spec.description
            if app.read_only and spec.writes:
                description += " (off: read-only)"
            out.append((description, " ".join(keys), spec.action_name))
        return out

    async def _run(self, action: str, description: str = "") -> None:
        from hsinbox.tui.inbox_screen import InboxScreen

        screen = self.screen
        read_only = isinstance(screen, InboxScreen) and screen.inbox_app.read_only
        if read_only and action in WRITE_ACTIONS and isinstance(screen, InboxScreen):
            screen.explain_read_only(description.removesuffix(" (off: read-only)"))
            return
        await screen.run_action(action)

    async def discover(self) -> Hits:
        for description, keys, action in self._action_commands():
            yield DiscoveryHit(
                _label(description, keys),
                partial(self._run, action, description),
                help=f"key: {keys}" if keys else "palette only",
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, keys, action in self._action_commands():
            label = _label(description, keys)
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    partial(self._run, action, description),
                    help=keys or "palette only",
                )


class FoldersProvider(Provider):
    """ "Go to mailbox …" and "Go to folder … / …": every view the sidebar offers, by name."""

    def _views(self) -> list[tuple[str, int, int | None]]:
        from hsinbox.inbox.text import safe_text
        from hsinbox.tui.inbox_screen import InboxScreen

        screen = self.screen
        if not isinstance(screen, InboxScreen):
            return []
        session = screen.session
        out: list[tuple[str, int, int | None]] = []
        for mailbox in session.mailboxes:
            name = safe_text(mailbox.name or f"Mailbox {mailbox.id}").plain
            out.append((f"Go to mailbox {name} (active)", mailbox.id, None))
            for folder in session.folders.get(mailbox.id, []):
                label = safe_text(folder.name or folder.type or f"Folder {folder.id}").plain
                out.append(
                    (f"Go to folder {name} / {label} (mailbox folder)", mailbox.id, folder.id)
                )
        return out

    def _go(self, mailbox_id: int, folder_id: int | None) -> None:
        from hsinbox.inbox.view import View
        from hsinbox.tui.inbox_screen import InboxScreen

        screen = self.screen
        if not isinstance(screen, InboxScreen):
            return
        screen.open_view(View(mailbox_id, folder_id))
        screen.set_focus(screen.table)

    async def discover(self) -> Hits:
        for label, mailbox_id, folder_id in self._views():
            yield DiscoveryHit(label, partial(self._go, mailbox_id, folder_id))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, mailbox_id, folder_id in self._views():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(self._go, mailbox_id, folder_id))


def _label(description: str, keys: str) -> str:
    """ "Reply  (r)"; a command without a key is its description alone."""
    return f"{description}  ({keys})" if keys else description
