"""Triage keys: status, close+next, assign, take next, move, tags, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work

from hsinbox.helpscout.models import Conversation, User
from hsinbox.inbox import actions as act
from hsinbox.inbox.text import safe_text
from hsinbox.tui.screen_base import InboxScreenBase

if TYPE_CHECKING:
    from hsinbox.tui.dialogs import (
        TagEdit,
    )


class Triage(InboxScreenBase):
    """Mixed into ``InboxScreen``.

    Each key acts on the marked conversations, else the cursor row.
    """

    def action_status(self) -> None:
        from hsinbox.tui.dialogs import StatusPicker

        targets = self.targets()
        if not targets:
            return
        title = self._title("Set status of", targets)
        current = targets[0].status if len(targets) == 1 else None

        def done(status: str | None) -> None:
            if not status:
                return
            items = [act.SetStatus.of(c, status) for c in targets if c.status != status]
            if status == "closed":  # agent day: a required field left empty asks first
                self.before_closing(targets, lambda: self.submit_each(items))
            else:
                self.submit_each(items)

        self.app.push_screen(StatusPicker(title, current), done)

    def action_close_next(self) -> None:
        """Close the marked rows (as ``s c`` does), else the cursor row; then move on."""
        targets = self.targets()
        conv = self.table.current
        if not targets:
            return
        closing = [c for c in targets if c.status != "closed"]
        if closing:  # agent day: a required field left empty asks first
            self.before_closing(closing, lambda: self._close_and_next(targets, conv))
        else:
            self._close_and_next(targets, conv)

    def _close_and_next(self, targets: list[Conversation], conv: Conversation | None) -> None:
        anchor = conv.id if conv is not None else targets[-1].id
        nxt = self._next_outside(anchor, {c.id for c in targets})
        self.submit_each([act.SetStatus.of(c, "closed") for c in targets if c.status != "closed"])
        if nxt is not None:
            self.table.go_to(nxt)
            self.thread.conversation = None
            if not self.narrow or self.has_class("thread-open"):
                self.show_current()

    def _next_outside(self, anchor: int, leaving: set[int]) -> int | None:
        """``anchor`` itself when it stays (the cursor on an unmarked row during a bulk
        close), else the row after it (else before it) that is not among ``leaving``."""
        ids = [c.id for c in self.table.visible()]
        if anchor not in ids:
            return None
        if anchor not in leaving:
            return anchor
        i = ids.index(anchor)
        later = [x for x in ids[i + 1 :] if x not in leaving]
        earlier = [x for x in reversed(ids[:i]) if x not in leaving]
        return (later or earlier or [None])[0]

    def users_for(self, mailbox_id: int | None) -> list[User]:
        if mailbox_id is None:
            return list(self.session.users)
        return list(self.session.users_for_mailbox(mailbox_id))

    def action_assign(self) -> None:
        from hsinbox.tui.dialogs import Choice, PickerScreen

        targets = self.targets()
        if not targets:
            return
        me = self.session.me
        users = self.users_for(targets[0].mailbox_id)
        choices = []
        if me is not None:
            label = Text("me  ", "bold", end="")
            label.append(safe_text(me.name, "dim"))
            choices.append(Choice(str(me.id), label, f"me {me.name} {me.email or ''}"))
        for user in users:
            if me is not None and user.id == me.id:
                continue
            label = safe_text(user.name)
            if user.email:
                label.append("  ")
                label.append(safe_text(user.email, "dim"))
            choices.append(Choice(str(user.id), label, f"{user.name} {user.email or ''}"))
        choices.append(Choice("none", Text("Unassign", "italic"), "unassign nobody none"))
        known = {u.id: u for u in users}
        if me is not None:
            known.setdefault(me.id, me)

        def done(value: str | None) -> None:
            if value is None:
                return
            user = None if value == "none" else known.get(int(value))
            self.submit_each([act.Assign.of(c, user) for c in targets])

        self.app.push_screen(PickerScreen(self._title("Assign", targets), choices), done)

    def action_assign_me(self) -> None:
        targets = self.targets()
        me = self.session.me
        if not targets or me is None:
            return
        self.submit_each([act.Assign.of(c, me) for c in targets])

    def action_take_next(self) -> None:
        if self.view is None:
            return
        me = self.session.me
        if me is None:
            self.notify(markup=False, message="Still signing in; try again in a moment.")
            return
        self._take_next(self.view.mailbox_id, me)

    @work(exclusive=True, group="take-next", exit_on_error=False)
    async def _take_next(self, mailbox_id: int, me: User) -> None:
        """Ask Help Scout for the one to take (one request), so a colleague's take is seen."""
        try:
            chosen = await self.session.next_to_take(mailbox_id)
        except Exception as exc:
            self.report_error(f"Could not ask Help Scout for the next conversation to take: {exc}")
            return
        if chosen is None:
            self.notify(
                markup=False,
                message="Nothing to take: no unassigned active conversation in this mailbox.",
                timeout=4,
            )
            return
        self.submit(act.Assign.of(chosen, me))
        self.open_conversation(self.session.store.get(chosen.id) or chosen)

    def action_move(self) -> None:
        from hsinbox.tui.dialogs import Choice, PickerScreen

        targets = self.targets()
        if not targets:
            return
        here = {c.mailbox_id for c in targets}
        choices = [
            Choice(str(m.id), safe_text(m.name or str(m.id)), m.name or "")
            for m in self.session.mailboxes
            if not (len(here) == 1 and m.id in here)
        ]
        names = {m.id: m.name for m in self.session.mailboxes}

        def done(value: str | None) -> None:
            if value is None:
                return
            mailbox_id = int(value)
            self.submit_each(
                [
                    act.Move.of(c, mailbox_id, names.get(mailbox_id))
                    for c in targets
                    if c.mailbox_id != mailbox_id
                ]
            )

        self.app.push_screen(PickerScreen(self._title("Move", targets), choices), done)

    def action_tags(self) -> None:
        from hsinbox.tui.dialogs import TagsScreen

        targets = self.targets()
        if not targets:
            return
        common = set(targets[0].tag_names)
        for c in targets[1:]:
            common &= set(c.tag_names)
        known = [t.name for t in self.session.tags]
        known = [k for k in known if k]
        # Tags made since start (in this picker, on another conversation) are on conversations
        # in the store but not in the session's tag list: offer them too.
        for c in (*targets, *self.session.store.conversations.values()):
            known += c.tag_names

        def done(edit: TagEdit | None) -> None:
            if edit is None or not (edit.add or edit.remove):
                return
            items = []
            for c in targets:
                tags = [t for t in c.tag_names if t not in edit.remove]
                tags += [t for t in edit.add if t not in tags]
                if tags != c.tag_names:
                    items.append(act.SetTags.of(c, tags))
            self.submit_each(items)

        self.app.push_screen(
            TagsScreen(self._title("Tags of", targets), sorted(common), known), done
        )

    def action_delete(self) -> None:
        from hsinbox.tui.dialogs import ConfirmScreen

        targets = self.targets()
        if not targets:
            return
        if len(targets) == 1:
            conv = targets[0]
            question = Text(f"Delete conversation #{conv.number or conv.id} “", end="")
            question.append(safe_text(conv.subject or "(no subject)", "bold"))
            question.append("”?\nIt goes to Help Scout's Recently Deleted folder.")
        else:
            question = Text(f"Delete {len(targets)} marked conversations?\n", end="")
            for conv in targets[:8]:
                question.append(f"#{conv.number or conv.id} ")
                question.append(safe_text(conv.subject or "", "bold"))
                question.append("\n")
            if len(targets) > 8:
                question.append(f"… and {len(targets) - 8} more\n")

        def done(yes: bool | None) -> None:
            if yes:
                self.submit_each([act.Delete.of(c) for c in targets])

        self.app.push_screen(ConfirmScreen("Delete", question), done)

    def _title(self, verb: str, targets: list[Conversation]) -> str:
        if len(targets) == 1:
            c = targets[0]
            subject = safe_text(c.subject or "").plain
            if len(subject) > 40:
                subject = subject[:39] + "…"
            return f"{verb} #{c.number or c.id} {subject}"
        return f"{verb} {len(targets)} marked conversations"
