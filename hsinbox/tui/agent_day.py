"""The agent-day keys of the inbox screen: snooze (``z``/``Z``), custom fields (``f``),
manual workflows (``w``), attachments (``F``), the subject (``E``), the customer's other
conversations (``H``), the question before closing with a required field empty, and what
the screen does when Help Scout says a conversation was merged.

A mixin of ``InboxScreen``: every change is still one action handed to ``submit``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from hsinbox.helpscout.models import Attachment, Conversation, Customer
from hsinbox.inbox import actions as act
from hsinbox.inbox import events as ev
from hsinbox.inbox.agent_actions import SetCustomFields, SetSubject, Snooze, Unsnooze
from hsinbox.inbox.attachments import (
    AttachmentRefused,
    open_file,
    safe_filename,
    saved_message,
)
from hsinbox.inbox.custom_fields import FieldValueRefused
from hsinbox.inbox.text import clean, safe_text
from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.widgets import render_customer

if TYPE_CHECKING:
    from hsinbox.tui.snooze_picker import SnoozeRequest

UNDOABLE_AFTER_SENDING = (SetSubject, SetCustomFields, Snooze, Unsnooze)
"""Changes that can be taken back after Help Scout has them: ``u`` sends the inverse."""


def _names(fields: list[Any]) -> list[str]:
    return [f.name or str(f.id) for f in fields]


class AgentDay(InboxScreenBase):
    """Mixed into ``InboxScreen``."""

    history: list[Conversation] | None = None
    history_customer: int | None = None

    # --- snooze ----------------------------------------------------------------------
    def action_snooze(self) -> None:
        from hsinbox.tui.snooze_picker import SnoozeScreen

        targets = self.targets()
        if not targets:
            return

        def done(request: SnoozeRequest | None) -> None:
            if request is None:
                return
            self._bulk_or_one(
                [
                    Snooze.of(
                        c,
                        request.until,
                        unsnooze_on_customer_reply=request.unsnooze_on_customer_reply,
                    )
                    for c in targets
                ]
            )

        self.app.push_screen(
            SnoozeScreen(self._title("Snooze", targets), now=self.inbox_app.now), done
        )

    def action_unsnooze(self) -> None:
        targets = [c for c in self.targets() if c.snooze and c.snooze.snoozed_until]
        if not targets:
            self.notify(markup=False, message="Nothing to unsnooze: it is not snoozed.", timeout=3)
            return
        self._bulk_or_one([Unsnooze.of(c) for c in targets])

    def _bulk_or_one(self, items: list[act.Action]) -> None:
        self.submit_each(items)

    # --- custom fields ---------------------------------------------------------------
    def action_custom_fields(self) -> None:
        conv = self.current_conversation()
        if conv is not None:
            self.edit_fields(conv)

    @work(group="fields", exit_on_error=False)
    async def edit_fields(
        self, conv: Conversation, then: Callable[[], None] | None = None, note: str = ""
    ) -> None:
        """The form over the mailbox's fields; saving sends the whole set in one PUT."""
        from hsinbox.tui.fields_form import FieldsFormScreen

        if conv.mailbox_id is None:
            return
        try:
            definitions = await self.session.custom_fields(conv.mailbox_id)
        except Exception as exc:
            self.report_error(f"Could not load the mailbox's custom fields: {exc}")
            return
        if not definitions:
            self.notify(markup=False, message="This mailbox has no custom fields.", timeout=3)
            return
        fresh = self.session.store.get(conv.id) or conv
        values = await self.app.push_screen_wait(FieldsFormScreen(fresh, definitions, note=note))
        if values is None:
            return
        fresh = self.session.store.get(conv.id) or fresh
        try:
            action = SetCustomFields.of(fresh, definitions, values)
        except FieldValueRefused as exc:
            self.report_error(str(exc))
            return
        if tuple(action.fields) != tuple(action.previous):
            self.submit(action)
        else:
            self.notify(markup=False, message="No changes to the fields.", timeout=2)
        if then is not None:
            then()

    # --- closing asks first ----------------------------------------------------------
    def before_closing(self, targets: list[Conversation], proceed: Callable[[], None]) -> None:
        """Close at once unless a required field is empty: then fill / close anyway / cancel.

        With the mailbox's fields already read this decides on the spot (a sweep of ``e``
        stays instant); otherwise one worker reads them, and the same rows pressed again
        meanwhile are not closed twice.
        """
        known = [self.session.known_missing_required_fields(c) for c in targets]
        if all(k is not None for k in known):
            lacking = [(c, _names(k)) for c, k in zip(targets, known, strict=True) if k]
            if not lacking:
                proceed()
            else:
                self._ask_before_closing(targets, lacking, proceed)
            return
        ids = frozenset(c.id for c in targets)
        if ids & self._checking_close:
            return
        self._checking_close.update(ids)
        self._before_closing(targets, proceed, ids)

    @property
    def _checking_close(self) -> set[int]:
        """Rows whose close waits on the first read of their mailbox's fields."""
        return self._close_checks

    @work(group="close-check", exit_on_error=False)
    async def _before_closing(
        self, targets: list[Conversation], proceed: Callable[[], None], ids: frozenset[int]
    ) -> None:
        lacking: list[tuple[Conversation, list[str]]] = []
        try:
            for conv in targets:
                try:
                    missing = await self.session.missing_required_fields(conv)
                except Exception as exc:
                    self.notify(
                        markup=False,
                        message=clean(f"Could not check the required fields ({exc}); closing."),
                        severity="warning",
                    )
                    missing = []
                if missing:
                    lacking.append((conv, _names(missing)))
        finally:
            self._checking_close.difference_update(ids)
        if not lacking:
            proceed()
            return
        self._ask_before_closing(targets, lacking, proceed)

    @work(group="close-ask", exit_on_error=False)
    async def _ask_before_closing(
        self,
        targets: list[Conversation],
        lacking: list[tuple[Conversation, list[str]]],
        proceed: Callable[[], None],
    ) -> None:
        from hsinbox.tui.fields_form import CloseAskScreen

        choice = await self.app.push_screen_wait(CloseAskScreen(lacking, len(targets)))
        if choice == "close":
            proceed()
        elif choice == "fill":
            conv, names = lacking[0]
            note = "Required before closing: " + ", ".join(names) + ". Saving closes it."
            self.edit_fields(conv, then=proceed, note=note)

    # --- workflows -------------------------------------------------------------------
    def action_workflow(self) -> None:
        targets = self.targets()
        if targets:
            self._pick_workflow(targets)

    @work(group="workflow", exit_on_error=False)
    async def _pick_workflow(self, targets: list[Conversation]) -> None:
        from hsinbox.tui.dialogs import Choice, PickerScreen

        mailbox_id = targets[0].mailbox_id
        if mailbox_id is None or any(c.mailbox_id != mailbox_id for c in targets):
            self.report_error("Workflows run in one mailbox: mark those of one mailbox only.")
            return
        try:
            flows = await self.session.workflows(mailbox_id)
        except Exception as exc:
            self.report_error(f"Could not load the mailbox's workflows: {exc}")
            return
        if not flows:
            self.notify(markup=False, message="This mailbox has no manual workflows.", timeout=3)
            return
        choices = [
            Choice(str(f.id), safe_text(f.name or f"Workflow {f.id}"), f.name) for f in flows
        ]
        chosen = await self.app.push_screen_wait(
            PickerScreen(self._title("Run a workflow on", targets), choices)
        )
        if chosen is None:
            return
        if self.inbox_app.read_only:
            self.explain_read_only("Run a workflow")
            return
        flow = next(f for f in flows if str(f.id) == chosen)
        try:
            self.session.run_workflow(flow, targets)
        except Exception as exc:
            self.report_error(str(exc))
            return
        if len(targets) > 1:
            self.table.marked.clear()
        self.refresh_from_store()

    # --- attachments -----------------------------------------------------------------
    def action_attachments(self) -> None:
        from hsinbox.tui.attachments_screen import AttachmentChoice, AttachmentsScreen

        conv = self.current_conversation()
        if conv is None:
            return
        items = self.session.conversation_attachments(conv.id)
        if not items:
            loaded = conv.id in self.session.store.threads
            self.notify(
                markup=False,
                message="This conversation has no attachments."
                if loaded
                else "Open the conversation first (enter); its attachments come with it.",
                timeout=3,
            )
            return

        def done(chosen: AttachmentChoice | None) -> None:
            if chosen is None:
                return
            if chosen.verb == "open":
                self.open_attachment(conv.id, chosen.attachment)
            else:
                self.download(conv.id, chosen.attachment)

        self.app.push_screen(
            AttachmentsScreen(
                self._title("Attachments of", [conv]),
                items,
                self.session.download_dir,
                preview=lambda att: self.session.preview_bytes(conv.id, att.id or 0),
            ),
            done,
        )

    @work(group="download", exit_on_error=False)
    async def download(self, conversation_id: int, attachment: Any) -> None:
        try:
            path = await self.session.download_attachment(conversation_id, attachment)
        except ValueError as exc:  # refused before anything was read (Help Scout's flag)
            self.report_error(str(exc))
            return
        except Exception as exc:
            self.report_error(f"Could not save the attachment: {exc}")
            return
        self.notify(markup=False, message=clean(saved_message(path)), timeout=6)

    @work(group="download", exit_on_error=False)
    async def open_attachment(self, conversation_id: int, attachment: Attachment) -> None:
        """``o`` in ``F``: an image or PDF saved and handed to the viewer, text shown here,
        anything else refused in one sentence (nothing a customer sent is ever run)."""
        from hsinbox.tui.attachments_screen import TextPagerScreen

        try:
            opening = await self.session.open_attachment(conversation_id, attachment)
        except Exception as exc:
            self.report_error(f"Could not open the attachment: {exc}")
            return
        if opening.plan.how == "refused":
            self.notify(markup=False, message=opening.plan.reason, severity="warning", timeout=8)
            return
        if opening.plan.how == "pager" or opening.path is None:
            name = safe_filename(attachment.filename)
            self.app.push_screen(TextPagerScreen(name, opening.text))
            return
        try:
            opened = await asyncio.to_thread(open_file, opening.path)
        except AttachmentRefused as exc:
            self.notify(markup=False, message=str(exc), severity="warning", timeout=8)
            return
        except OSError:
            opened = False
        self.notify(markup=False, message=clean(saved_message(opening.path, opened)), timeout=6)

    # --- subject ---------------------------------------------------------------------
    def action_edit_subject(self) -> None:
        from hsinbox.tui.subject_edit import SubjectScreen

        conv = self.current_conversation()
        if conv is None:
            return

        def done(text: str | None) -> None:
            if text is None or " ".join(text.split()) == (conv.subject or ""):
                return
            fresh = self.session.store.get(conv.id) or conv
            try:
                self.submit(SetSubject.of(fresh, text))
            except ValueError as exc:
                self.report_error(str(exc))

        self.app.push_screen(SubjectScreen(conv), done)

    # --- customer history ------------------------------------------------------------
    def customer_panel_text(self, customer: Customer | None) -> Text:
        """The card, then the customer's other conversations (loaded once per customer)."""
        from hsinbox.tui.customer_history import render_history

        card = render_customer(customer)
        if customer is None:
            return card
        current = self.current_conversation()
        shown = self.history if self.history_customer == customer.id else None
        history = render_history(shown, current.id if current else None)
        return card + self.reach_text(customer) + history

    @work(exclusive=True, group="customer-history", exit_on_error=False)
    async def load_customer_history(self, customer_id: int) -> None:
        try:
            convs = await self.session.customer_history(customer_id)
        except Exception as exc:
            self.report_error(f"Could not load the customer's other conversations: {exc}")
            return
        self.history, self.history_customer = convs, customer_id
        if self.customer is not None and self.customer.id == customer_id:
            self.query_one("#customer", Static).update(self.customer_panel_text(self.customer))

    def action_customer_history(self) -> None:
        from hsinbox.tui.customer_history import history_choices
        from hsinbox.tui.dialogs import PickerScreen

        current = self.current_conversation()
        if self.history is None or self.customer is None:
            self.notify(markup=False, message="Open the customer panel first (i).", timeout=3)
            return
        choices = history_choices(self.history, current.id if current else None)
        if not choices:
            self.notify(markup=False, message="The customer has no other conversation.")
            return
        by_id = {str(c.id): c for c in self.history}

        def done(chosen: str | None) -> None:
            if chosen is not None and chosen in by_id:
                conv = self.session.store.get(int(chosen)) or by_id[chosen]
                self.open_conversation(conv)

        name = safe_text(self.customer.name or "the customer").plain
        self.app.push_screen(PickerScreen(f"Conversations of {name}", choices), done)

    # --- events ----------------------------------------------------------------------
    def agent_day_event(self, event: ev.Event) -> None:
        """Merges move the open thread and the cursor; sent changes become undoable."""
        if isinstance(event, ev.MergedConversation):
            self.notify(markup=False, message=clean(event.message), timeout=6)
            self._show_result(Text(clean(event.message), "cyan"))
            self._follow(event.old_id, event.new_id)
        elif isinstance(event, ev.ActionConfirmed):
            action = event.action
            if isinstance(action, UNDOABLE_AFTER_SENDING):
                self.undoable = action.inverse()
            elif not isinstance(action, act.Bulk):
                self.undoable = None
        elif isinstance(event, ev.BulkFinished) and not event.failed:
            inverses = [
                a.inverse() for a in event.confirmed if isinstance(a, UNDOABLE_AFTER_SENDING)
            ]
            kept = tuple(i for i in inverses if i is not None)
            self.undoable = (kept[0] if len(kept) == 1 else act.Bulk(kept)) if kept else None

    def _follow(self, old_id: int, new_id: int) -> None:
        survivor = self.session.store.get(new_id)
        if self.table.current_id == old_id and survivor is not None:
            self.refresh_from_store()
            self.table.go_to(new_id)
        open_conv = self.thread.conversation
        if open_conv is not None and open_conv.id in (old_id, new_id):
            shown = survivor or open_conv
            self.thread.show(shown, self.session.store.thread_list(new_id) or None)
            self.load_thread(new_id)

    def undo_sent(self) -> bool:
        """``u`` after the window: send the inverse of the last undoable change."""
        inverse = self.undoable
        if inverse is None:
            return False
        self.undoable = None
        self.submit(inverse)
        return True
