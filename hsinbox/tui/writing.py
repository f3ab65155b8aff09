"""Writing keys: reply, note, new conversation, customer edit, and resuming drafts."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work

from hsinbox.helpscout.models import Conversation, NewConversation, NewThread, Thread
from hsinbox.inbox import actions as act
from hsinbox.inbox.drafts import Draft, DraftStore
from hsinbox.inbox.text import (
    blocks_to_text,
    clean,
    html_to_blocks,
    markdown_to_html,
    safe_text,
)
from hsinbox.tui.screen_base import InboxScreenBase
from hsinbox.tui.send_later import send_later

if TYPE_CHECKING:
    from hsinbox.tui.compose import (
        Composed,
        CustomerForm,
        NewConversationFields,
        NewConversationForm,
    )


def draft_attachments(draft: Draft | None) -> tuple[str, ...]:
    """The file paths a reply or note draft keeps (a hand-edited file may hold anything)."""
    files = draft.fields.get("attachments") if draft is not None else None
    if not isinstance(files, list):
        return ()
    return tuple(f for f in files if isinstance(f, str) and f)


class Writing(InboxScreenBase):
    """Mixed into ``InboxScreen``: the text is kept as a draft until Help Scout has it."""

    def _drafts(self) -> DraftStore:
        return self.session.drafts

    def action_reply(self) -> None:
        self.single_only("A reply")
        conv = self.table.current or self.thread.conversation
        drafting = self.colleague_draft_notice(conv) if conv is not None else None
        if conv is None or drafting is None:
            self._open_composer("reply")
            return
        from hsinbox.tui.dialogs import ConfirmScreen

        def done(anyway: bool | None) -> None:
            if anyway:
                self._open_composer("reply", conv)

        # Asked before the composer opens (noticing.py): two replies would reach the customer.
        question = safe_text(f"✎ {drafting} Write a reply anyway?")
        self.app.push_screen(
            ConfirmScreen("A colleague is writing", question, yes="Reply anyway"), done
        )

    def action_note(self) -> None:
        self.single_only("A note")
        self._open_composer("note")

    def _open_composer(
        self,
        kind: str,
        conversation: Conversation | None = None,
        seen: frozenset[int] | None = None,
        *,
        text: str | None = None,
    ) -> None:
        """``text``: what the composer shows instead of the draft (a send that was refused)."""
        from hsinbox.tui.compose import ComposerScreen

        conv = conversation or self.current_conversation()
        if conv is None:
            return
        # What the agent has seen when they start writing: the send-time check compares.
        opened_at = datetime.now(UTC)
        known = self.session.store.threads.get(conv.id)
        if known is not None:
            seen = (seen or frozenset()) | frozenset(t.id for t in known)
        if kind == "reply" and (conv.primary_customer is None or conv.primary_customer.id is None):
            self.notify(
                markup=False,
                message="This conversation has no customer to reply to.",
                severity="warning",
            )
            return
        drafts = self._drafts()
        saved = drafts.load(conv.id, kind)
        if saved is not None and saved.queued:
            # That text is on its way already: offering it again would send it twice.
            saved = None
            self.notify(
                markup=False,
                message=f"Your earlier {kind} is queued to send; this is a new one.",
                timeout=4,
            )
        initial = saved.text if saved else ""
        # A Help Scout draft of mine is resumed: saving keeps it a draft (its text replaced);
        # sending posts a new reply with the text, and the draft stays in Help Scout (the
        # docs have no way to publish a draft reply in place).
        hs_draft = self.my_help_scout_draft(conv.id) if kind == "reply" else None
        if hs_draft is not None and saved is None:
            initial = blocks_to_text(html_to_blocks(hs_draft.body), show_quoted=True).plain
        if hs_draft is not None:
            self.notify(
                markup=False,
                message="Resuming your Help Scout draft: sending posts a new reply with "
                "this text, and the draft stays in Help Scout (delete it there).",
                timeout=4,
            )
        if not saved and kind == "reply" and self.inbox_app.settings.signature:
            initial = "\n\n" + self.inbox_app.settings.signature
        if text is not None:
            initial = text
        settings = self.inbox_app.settings
        default_status = settings.status_after_reply if kind == "reply" else conv.status
        if saved is not None and saved.status:
            default_status = saved.status  # the draft's choice wins
        if default_status not in ("active", "pending", "closed"):
            default_status = "active"

        signature = (settings.signature or "").strip()

        def save(typed: Composed) -> None:
            """Every field of the composer goes into the draft, not only the body (its files
            too); the signature alone is not the agent's work, so an untouched reply keeps
            none."""
            body = typed.body.strip()
            if (body and body != signature) or typed.cc or typed.bcc or typed.files:
                fields: dict[str, object] = {}
                if typed.draft:
                    fields["help_scout_draft"] = True
                if typed.files:
                    fields["attachments"] = list(typed.files)
                drafts.save(
                    Draft(
                        conversation_id=conv.id,
                        kind=kind,
                        text=typed.body,
                        cc=list(typed.cc),
                        bcc=list(typed.bcc),
                        status=typed.status,
                        fields=fields,
                    )
                )
            else:
                drafts.delete(conv.id, kind)

        def done(result: Composed | None) -> None:
            if result is None:
                return
            # A refused save: the composer said so; the text goes out all the same.
            with contextlib.suppress(OSError):
                save(result)
            key = drafts.load(conv.id, kind)
            draft_key = key.key if key else None
            html = markdown_to_html(result.body)
            fresh = self.session.store.get(conv.id) or conv
            try:
                if result.kind == "reply" and result.send_at is not None:
                    self.submit_each(send_later(fresh, html, result, hs_draft, draft_key=draft_key))
                    return
                if result.kind == "reply" and hs_draft is not None and result.draft:
                    action: act.Action = act.SendDraft(
                        fresh.id,
                        hs_draft.id,
                        html,
                        number=fresh.number,
                        draft_key=draft_key,
                    )
                elif result.kind == "reply":
                    action = act.Reply.of(
                        fresh,
                        html,
                        cc=result.cc,
                        bcc=result.bcc,
                        status=result.status,
                        draft=result.draft,
                        draft_key=draft_key,
                        attachments=result.attachments,
                    )
                else:
                    status = result.status if result.status != fresh.status else None
                    action = act.Note(
                        fresh.id,
                        html,
                        status,
                        number=fresh.number,
                        draft_key=draft_key,
                        attachments=result.attachments,
                    )
            except ValueError as exc:
                self.report_error(str(exc))
                return
            self.check_and_send(action, kind, conv.id, seen, opened_at, text=result.body)

        self.app.push_screen(
            ComposerScreen(
                kind,
                conv,
                initial=initial,
                default_status=default_status,
                save_draft=save,
                editor=self.inbox_app.editor,
                debounce=self.inbox_app.draft_debounce,
                cc=tuple(saved.cc) if saved else (),
                bcc=tuple(saved.bcc) if saved else (),
                hs_draft=bool(saved and saved.fields.get("help_scout_draft")),
                attachments=draft_attachments(saved),
                now=self.inbox_app.now,
            ),
            done,
        )

    @work(group="collision", exit_on_error=False)
    async def check_and_send(
        self,
        action: act.Action,
        kind: str,
        conversation_id: int,
        seen: frozenset[int] | None,
        opened_at: datetime,
        *,
        text: str | None = None,
    ) -> None:
        """Hold a reply or note back when someone else wrote in the conversation meanwhile.

        The text is already in its draft; a failed check sends anyway (the outbox queues it
        while Help Scout is unreachable) rather than losing or sitting on it.
        """
        from hsinbox.tui.collision import EDIT, SEND, CollisionScreen, unseen_threads

        try:
            threads = await self.session.new_threads_since(conversation_id, seen or frozenset())
        except Exception as exc:
            self.notify(
                markup=False,
                message=clean(f"Could not check for new messages ({exc}); sending anyway."),
                severity="warning",
            )
            self._send_or_reopen(action, kind, conversation_id, seen, text)
            return
        me = self.session.me
        unseen = unseen_threads(
            threads, seen, me_id=me.id if me is not None else None, opened_at=opened_at
        )
        if not unseen:
            self._send_or_reopen(action, kind, conversation_id, seen, text)
            return
        self.refresh_from_store()
        choice = await self.app.push_screen_wait(CollisionScreen(kind, unseen))
        if choice == SEND:
            self._send_or_reopen(action, kind, conversation_id, seen, text)
        elif choice == EDIT:
            conv = self.session.store.get(conversation_id)
            if conv is not None:
                known = frozenset(t.id for t in threads) | (seen or frozenset())
                self._open_composer(kind, conv, known)
        else:
            self.notify(markup=False, message="Not sent; your text is kept as a draft.", timeout=4)

    def _send_or_reopen(
        self,
        action: act.Action,
        kind: str,
        conversation_id: int,
        seen: frozenset[int] | None,
        text: str | None,
    ) -> None:
        """Submit; a refused submit (a full disk refused the outbox line) opens the composer
        again with the text, since its draft may not have been saved either."""
        if self.submit(action) or text is None:
            return
        conv = self.session.store.get(conversation_id)
        if conv is not None:
            self._open_composer(kind, conv, seen, text=text)

    def action_new_conversation(self) -> None:
        """The form, restored from the "new" draft when one was left (escape, a crash)."""
        from hsinbox.tui.compose import (
            NewConversationFields,
            NewConversationScreen,
        )

        drafts = self._drafts()
        saved = drafts.load(None, "new")
        if saved is not None and saved.queued:
            saved = None  # that conversation is on its way: this form starts afresh
        initial = NewConversationFields.from_draft(saved) if saved is not None else None
        view_mailbox = self.view.mailbox_id if self.view else None
        known = {m.id for m in self.session.mailboxes}
        mailbox_id = view_mailbox
        if initial is not None and initial.mailbox_id in known:
            mailbox_id = initial.mailbox_id
        me = self.session.me

        def save(fields: NewConversationFields) -> None:
            if fields.empty:
                drafts.delete(None, "new")
            else:
                drafts.save(fields.to_draft())

        def done(form: NewConversationForm | None) -> None:
            if form is None:
                return
            customer = {"email": form.customer_email}
            me_id = me.id if me is not None else None
            outbound = form.direction == "outbound" and form.type == "email"
            if outbound:
                # An email from the agent to the customer: a reply thread, written by me.
                thread = NewThread(
                    type="reply", text=markdown_to_html(form.body), customer=customer, user=me_id
                )
            else:
                # What the customer sent (by email, chat or phone), logged in their name.
                thread = NewThread(
                    type="customer" if form.type == "email" else form.type,
                    text=markdown_to_html(form.body),
                    customer=customer,
                )
            new = NewConversation(
                subject=form.subject,
                type=form.type,
                mailbox_id=form.mailbox_id,
                status=form.status,
                customer=customer,
                threads=[thread],
                tags=list(form.tags) or None,
                assign_to=form.assignee_id,
                user=me_id if outbound else None,
            )
            # The draft stays on disk until Help Scout confirmed the conversation.
            self.submit(act.CreateConversation(new, draft_key=Draft(None, "new").key))

        self.app.push_screen(
            NewConversationScreen(
                list(self.session.mailboxes),
                self.users_for(mailbox_id),
                mailbox_id=mailbox_id,
                me_id=me.id if me else None,
                initial=initial,
                save_draft=save,
                debounce=self.inbox_app.draft_debounce,
            ),
            done,
        )

    def my_help_scout_draft(self, conversation_id: int) -> Thread | None:
        """The newest draft reply of mine among the conversation's loaded threads."""
        me = self.session.me
        drafts = [
            t
            for t in self.session.store.threads.get(conversation_id, [])
            if t.is_draft
            and t.scheduled is None  # a scheduled reply is edited by its own key
            and t.id > 0
            and t.type in ("message", "reply")
            and (me is None or t.created_by is None or t.created_by.id == me.id)
        ]
        return drafts[-1] if drafts else None

    def help_scout_drafts(self) -> list[Draft]:
        """My Help Scout drafts in the conversations loaded so far, for the drafts list."""
        found = []
        for conversation_id in list(self.session.store.threads):
            thread = self.my_help_scout_draft(conversation_id)
            if thread is None:
                continue
            text = blocks_to_text(html_to_blocks(thread.body), show_quoted=True).plain
            stamp = thread.created_at.timestamp() if thread.created_at else 0.0
            found.append(
                Draft(
                    conversation_id,
                    "reply",
                    text,
                    fields={"help_scout_thread_id": thread.id},
                    updated_at=stamp,
                )
            )
        return found

    def action_edit_customer(self) -> None:
        self.single_only("Editing the customer")
        conv = self.current_conversation()
        if conv is None or conv.primary_customer is None or conv.primary_customer.id is None:
            self.notify(
                markup=False, message="This conversation has no customer.", severity="warning"
            )
            return
        self._edit_customer(conv.primary_customer.id, conv)

    @work(exclusive=True, group="customer-edit", exit_on_error=False)
    async def _edit_customer(self, customer_id: int, conv: Conversation) -> None:
        from hsinbox.tui.compose import CustomerEditScreen

        try:
            customer = await self.session.load_customer(customer_id)
        except Exception as exc:
            self.report_error(f"Could not load the customer: {exc}")
            return

        def save(form: CustomerForm) -> str | None:
            """Submit the form's changes; the form waits for the outcome by this id."""
            changes: dict[str, Any] = {}
            pairs = [
                ("first_name", form.first_name, customer.first_name),
                ("last_name", form.last_name, customer.last_name),
                ("organization", form.organization, customer.organization),
                ("job_title", form.job_title, customer.job_title),
            ]
            for key, new, old in pairs:
                if (new or None) != (old or None):
                    changes[key] = new or None
            if list(form.emails) != [e.value for e in customer.emails]:
                changes["emails"] = list(form.emails)
            if list(form.phones) != [p.value for p in customer.phones]:
                changes["phones"] = list(form.phones)
            if not changes:
                self.notify(markup=False, message="No changes to the customer.", timeout=2)
                return None
            action = act.UpdateCustomer.of(customer, **changes)
            return action.id if self.submit(action) else None

        self.app.push_screen(CustomerEditScreen(customer, save))

    def action_drafts(self) -> None:
        from hsinbox.tui.drafts_screen import DraftsScreen

        store = self.session.drafts

        def describe(conversation_id: int) -> Text:
            conv = self.session.store.get(conversation_id)
            if conv is None:
                return Text(f"conversation {conversation_id}", "dim")
            label = Text(f"#{conv.number or conv.id} ", end="")
            subject = safe_text(conv.subject or "(no subject)")
            subject.truncate(40, overflow="ellipsis")
            label.append(subject)
            return label

        def done(draft: Draft | None) -> None:
            if draft is not None:
                self.resume_draft(draft)

        self.app.push_screen(DraftsScreen(store, describe, remote=self.help_scout_drafts()), done)

    @work(group="resume-draft", exit_on_error=False)
    async def resume_draft(self, draft: Draft) -> None:
        """Open the composer or form the draft was written in, its text restored."""
        if draft.conversation_id is None:
            if self.inbox_app.read_only:
                self.explain_read_only("New conversation")
            else:
                self.action_new_conversation()
            return
        try:
            conv = await self.session.load_conversation(draft.conversation_id)
        except Exception as exc:
            self.report_error(f"Could not open the draft's conversation: {exc}")
            return
        if conv.id in self.table.conversations:
            self.table.go_to(conv.id)
        self._open_composer(draft.kind, conv)
