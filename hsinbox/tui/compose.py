"""Writing: the reply/note composer, the new-conversation form and the customer editor.

The composer and the new-conversation form keep what you type: every change is saved to the
draft store after a short pause, and leaving with escape keeps the draft for next time.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from hsinbox.helpscout.models import Customer, Mailbox, NewAttachment, User
from hsinbox.inbox.drafts import Draft
from hsinbox.inbox.text import safe_text
from hsinbox.tui.composer_attachments import AttachmentList, ComposerAttachments
from hsinbox.tui.key_footer import KeyFooter
from hsinbox.tui.registry import bindings
from hsinbox.tui.saved_reply_picker import SavedReplyPicking
from hsinbox.tui.tick_box import TickBox

if TYPE_CHECKING:
    from hsinbox.helpscout.models import Conversation

EditorLauncher = Callable[[App, str], Awaitable[str | None]]
"""Opens ``text`` in an editor and returns the edited text, or None if nothing came back."""


def split_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace(";", ",").split(",") if part.strip()]


async def run_external_editor(app: App, text: str, command: str | None = None) -> str | None:
    """Suspend the app, edit ``text`` in $EDITOR, return the result (None on any failure).

    The editor runs in a thread, so the event loop goes on meanwhile (the outbox sends,
    refreshes land); ``batch_update`` holds every repaint until the terminal is ours again.
    """
    editor = command or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(prefix="hsinbox-", suffix=".md")
    path = Path(name)
    result: str | None = None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o600)
        with app.suspend(), app.batch_update():
            # Anything raised inside suspend() would leave the terminal un-resumed.
            try:
                completed = await asyncio.to_thread(
                    subprocess.run, [*shlex.split(editor), str(path)], check=False
                )
                if completed.returncode == 0:
                    result = path.read_text(encoding="utf-8")
            except Exception:
                result = None
    except Exception:
        result = None
    finally:
        path.unlink(missing_ok=True)
    return result


class ComposerArea(TextArea):
    """The composer's text box: a burst of typed characters becomes one insert.

    A terminal without bracketed paste delivers a paste as one key per character; one edit
    each (a re-wrap of the line, an undo step, a ``Changed``) made 20 KB take minutes and
    795 KB grow past 3 GB. Printable keys and enter are gathered and inserted together
    once the keys already queued are handled; any other key, and every reader of the text
    (``typed_text``), inserts what was gathered first. Bracketed paste stays one insert.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._burst: list[str] = []

    def on_key(self, event: events.Key) -> None:
        if self.read_only:
            return
        if event.key == "enter" or (event.is_printable and event.character is not None):
            event.stop()
            event.prevent_default()  # TextArea's own one-edit-per-key insert does not run
            if not self._burst:
                self.call_later(self.flush_burst)  # after the keys queued behind this one
            self._burst.append("\n" if event.key == "enter" else event.character or "")
            return
        self.flush_burst()  # a cursor key or backspace acts after the text before it

    def flush_burst(self) -> None:
        """Insert what was gathered, at the cursor, as one edit."""
        if not self._burst:
            return
        text, self._burst = "".join(self._burst), []
        start, end = self.selection
        self.replace(text, start, end, maintain_selection_offset=False)

    @property
    def typed_text(self) -> str:
        """The text with every typed key in it."""
        self.flush_burst()
        return self.text


@dataclass(frozen=True)
class Composed:
    """What the composer hands back; ``body`` is Markdown as typed."""

    kind: str  # "reply" or "note"
    body: str
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    status: str | None = None
    draft: bool = False
    attachments: tuple[NewAttachment, ...] = ()  # read when sent
    files: tuple[str, ...] = ()  # the paths attached: what a draft keeps
    send_at: datetime | None = None  # send later: created as a draft, then scheduled
    cancel_on_reply: bool = True


STATUS_OPTIONS = [("Active", "active"), ("Pending", "pending"), ("Closed", "closed")]


class ComposerScreen(SavedReplyPicking, ComposerAttachments, ModalScreen[Composed | None]):
    """Reply or note. ctrl+s sends, escape leaves keeping a draft, ctrl+e opens $EDITOR,
    ctrl+t inserts a saved reply, ctrl+o attaches a file."""

    BINDINGS = bindings("composer")

    def __init__(
        self,
        kind: str,
        conversation: Conversation,
        *,
        initial: str = "",
        default_status: str = "pending",
        save_draft: Callable[[Composed], None] | None = None,
        editor: EditorLauncher | None = None,
        debounce: float = 0.5,
        cc: tuple[str, ...] = (),
        bcc: tuple[str, ...] = (),
        hs_draft: bool = False,
        attachments: tuple[str, ...] = (),
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.now = now
        self.attachment_paths = list(attachments)
        self.kind = kind
        self.conversation = conversation
        self.initial = initial
        self.default_status = default_status
        self.initial_cc = cc
        self.initial_bcc = bcc
        self.initial_hs_draft = hs_draft
        self._save_draft = save_draft
        self._editor = editor
        self._debounce = debounce
        self._timer: Timer | None = None
        self._saved: Composed | None = None
        # Why the last draft save failed (a full disk): said once, and escape asks twice.
        self._draft_error: str | None = None
        self._leave_unsaved = False

    def compose(self) -> ComposeResult:
        reply = self.kind == "reply"
        classes = "dialog composer " + ("-reply" if reply else "-note")
        with Vertical(classes=classes):
            title = Text("REPLY to customer" if reply else "NOTE (team only)", "bold", end="")
            title.append(f"  ·  #{self.conversation.number or self.conversation.id} ")
            title.append(safe_text(self.conversation.subject or ""))
            yield Label(title, classes="dialog-title composer-title")
            if reply:
                with Horizontal(classes="composer-row"):
                    to = self.conversation.primary_customer
                    who = Text("To: ", "dim", end="")
                    who.append(safe_text(to.email or to.display if to else "customer"))
                    yield Label(who, id="composer-to")
                with Horizontal(classes="composer-row"):
                    yield Input(
                        ", ".join(self.initial_cc),
                        placeholder="cc (comma separated)",
                        id="composer-cc",
                    )
                    yield Input(", ".join(self.initial_bcc), placeholder="bcc", id="composer-bcc")
            yield ComposerArea(
                self.initial, id="composer-body", soft_wrap=True, show_line_numbers=False
            )
            yield AttachmentList(id="composer-attachments")
            yield Static(id="composer-notice")  # shown only when it has something to say
            with Horizontal(classes="composer-row"):
                yield Label("Status after sending:", classes="composer-label")
                yield Select(
                    STATUS_OPTIONS,
                    value=self.default_status,
                    allow_blank=False,
                    id="composer-status",
                )
                if reply:
                    yield TickBox(
                        "Save as Help Scout draft", self.initial_hs_draft, id="composer-draft"
                    )
            yield Static(
                Text(
                    "Markdown: **bold**, _italic_, - lists, [text](url). "
                    "ctrl+s send · escape keep as draft · ctrl+e $EDITOR"
                ),
                classes="dialog-help",
            )
            yield KeyFooter()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        self.show_attachments()
        self._saved = self.composed()

    @on(TextArea.Changed, "#composer-body")
    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self._debounce, self._save_now)

    def _save_now(self) -> bool:
        """Save every field; mounting the widgets alone does not touch the draft.

        False when the disk refused it: the text stays here (and can be sent), one line
        says so, and the next change tries again."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = None
        current = self.composed()
        if self._save_draft is not None and current != self._saved:
            try:
                self._save_draft(current)
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                if reason != self._draft_error:
                    self._composer_notice(
                        f"The draft could not be saved ({reason}): your text stays here "
                        "and ctrl+s still sends it.",
                        "error",
                    )
                self._draft_error = reason
                return False
            self._saved = current
            if self._draft_error is not None:
                self._draft_error = None
                self._leave_unsaved = False
                notice = self.query_one("#composer-notice", Static)
                notice.update("")
                notice.display = False
        return self._draft_error is None

    @property
    def body(self) -> str:
        return self.query_one("#composer-body", ComposerArea).typed_text

    def composed(self) -> Composed:
        """Every field as it stands (the body as typed, not stripped)."""
        reply = self.kind == "reply"
        status = self.query_one("#composer-status", Select).value
        return Composed(
            kind=self.kind,
            body=self.body,
            cc=tuple(split_list(self.query_one("#composer-cc", Input).value)) if reply else (),
            bcc=tuple(split_list(self.query_one("#composer-bcc", Input).value)) if reply else (),
            status=str(status) if isinstance(status, str) else None,
            draft=reply and self.query_one("#composer-draft", Checkbox).value,
            files=tuple(self.attachment_paths),
        )

    def action_send(self) -> None:
        body = self.body.strip()
        if not body:
            self.notify(
                markup=False, message="Nothing to send: the message is empty.", severity="warning"
            )
            return
        files = self.attachments_to_send()
        if files is None:
            return
        self.dismiss(replace(self.composed(), body=body, attachments=tuple(files)))

    def action_send_later(self) -> None:
        """The snooze picker's times; the reply is then created as a draft and scheduled."""
        from hsinbox.tui.snooze_picker import SendLaterScreen, SnoozeRequest

        if self.kind != "reply":
            self.notify(markup=False, message="Only a reply can be sent later.", timeout=3)
            return
        body = self.body.strip()
        if not body:
            self.notify(
                markup=False, message="Nothing to send: the message is empty.", severity="warning"
            )
            return

        def picked(choice: SnoozeRequest | None) -> None:
            if choice is None:
                return
            files = self.attachments_to_send()
            if files is None:
                return
            composed = replace(self.composed(), body=body, attachments=tuple(files))
            self.dismiss(
                replace(
                    composed,
                    send_at=choice.until,
                    cancel_on_reply=choice.unsnooze_on_customer_reply,
                )
            )

        number = self.conversation.number or self.conversation.id
        self.app.push_screen(
            SendLaterScreen(f"Send the reply to #{number} later", now=self.now), picked
        )

    def action_leave(self) -> None:
        saved = self._save_now()
        kept = self.composed()
        if not saved and kept.body.strip() and not self._leave_unsaved:
            # Leaving would lose the text: say so once; a second escape means it.
            self._leave_unsaved = True
            self._composer_notice(
                f"The draft could not be saved ({self._draft_error}): escape again discards "
                "the text, ctrl+s sends it.",
                "error",
            )
            return
        if not saved:
            self.dismiss(None)
            return
        if kept.body.strip() or kept.cc or kept.bcc:
            what = "Reply" if self.kind == "reply" else "Note"
            parts = ["text"] + (["cc"] if kept.cc else []) + (["bcc"] if kept.bcc else [])
            number = self.conversation.number or self.conversation.id
            self.app.notify(
                markup=False,
                message=f"{what} to #{number} kept as a draft ({', '.join(parts)}, status "
                f"after sending); {'r' if self.kind == 'reply' else 'n'} or D opens it again.",
                timeout=5,
            )
        self.dismiss(None)

    def action_external_editor(self) -> None:
        if self._editor is not None:
            self._edit_externally(self._editor)

    @work(exclusive=True, group="editor", exit_on_error=False)
    async def _edit_externally(self, editor: EditorLauncher) -> None:
        """A worker: while $EDITOR is open the key handler has returned and the loop runs."""
        text = await editor(self.app, self.body)
        if text is None:
            self.notify(
                markup=False,
                message="The editor did not return any text; nothing changed.",
                severity="warning",
            )
            return
        area = self.query_one(TextArea)
        area.load_text(text.rstrip("\n"))
        area.move_cursor(area.document.end)
        self._save_now()


@dataclass(frozen=True)
class NewConversationForm:
    mailbox_id: int
    customer_email: str
    subject: str
    type: str
    body: str
    tags: tuple[str, ...]
    assignee_id: int | None
    status: str
    direction: str = "outbound"


CONVERSATION_TYPES = [("Email", "email"), ("Chat", "chat"), ("Phone", "phone")]


DIRECTIONS = [
    ("You write to the customer: an outbound email (reply)", "outbound"),
    ("The customer wrote: log their message (customer thread)", "customer"),
]
"""Whose message an email conversation starts with; outbound unless the agent says so.
A chat or phone conversation starts with a chat or phone thread, as before."""


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class NewConversationFields:
    """The new-conversation form as typed, complete or not: what its draft holds."""

    mailbox_id: int | None = None
    customer_email: str = ""
    subject: str = ""
    type: str = "email"
    body: str = ""
    tags: str = ""  # as typed, comma separated
    assignee_id: int | None = None
    status: str = "active"
    direction: str = "outbound"

    @property
    def empty(self) -> bool:
        """Nothing typed: choices alone are not worth a draft."""
        return not any(
            part.strip() for part in (self.customer_email, self.subject, self.body, self.tags)
        )

    def to_draft(self) -> Draft:
        return Draft(
            conversation_id=None,
            kind="new",
            text=self.body,
            status=self.status,
            fields={
                "mailbox_id": self.mailbox_id,
                "customer_email": self.customer_email,
                "subject": self.subject,
                "type": self.type,
                "tags": self.tags,
                "assignee_id": self.assignee_id,
                "direction": self.direction,
            },
        )

    @classmethod
    def from_draft(cls, draft: Draft) -> NewConversationFields:
        """Read a saved draft back, dropping whatever a hand-edited file got wrong."""
        fields = draft.fields
        kind = _str(fields.get("type"))
        status = draft.status if isinstance(draft.status, str) else ""
        direction = _str(fields.get("direction"))
        return cls(
            mailbox_id=_int_or_none(fields.get("mailbox_id")),
            customer_email=_str(fields.get("customer_email")),
            subject=_str(fields.get("subject")),
            type=kind if kind in {v for _, v in CONVERSATION_TYPES} else "email",
            body=draft.text,
            tags=_str(fields.get("tags")),
            assignee_id=_int_or_none(fields.get("assignee_id")),
            status=status if status in {v for _, v in STATUS_OPTIONS} else "active",
            direction=direction if direction in {v for _, v in DIRECTIONS} else "outbound",
        )


class NewConversationScreen(ModalScreen[NewConversationForm | None]):
    """Start a conversation: mailbox, customer, subject, type, body, tags, assignee.

    Like the composer it saves the form as the "new" draft while you type (after a short
    pause) and when you leave with escape; reopening it restores the draft.
    """

    BINDINGS = bindings("new_conversation")

    def __init__(
        self,
        mailboxes: list[Mailbox],
        users: list[User],
        *,
        mailbox_id: int | None,
        me_id: int | None,
        initial: NewConversationFields | None = None,
        save_draft: Callable[[NewConversationFields], None] | None = None,
        debounce: float = 0.5,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.mailboxes = mailboxes
        self.users = users
        self.me_id = me_id
        start = initial or NewConversationFields()
        known = {m.id for m in mailboxes}
        if start.mailbox_id not in known:
            # The draft's mailbox is gone (or none was chosen): the view's, as for a new form.
            start = replace(start, mailbox_id=mailbox_id if mailbox_id in known else None)
        if start.assignee_id not in {value for _, value in self._people()}:
            start = replace(start, assignee_id=None)
        self.initial = start
        self.mailbox_id = start.mailbox_id
        self._save_draft = save_draft
        self._debounce = debounce
        self._timer: Timer | None = None
        self._saved = start
        self._draft_error: str | None = None  # said once until a save works again

    def _people(self) -> list[tuple[str, int]]:
        people = [("me", self.me_id)] if self.me_id is not None else []
        people += [(safe_text(u.name).plain, u.id) for u in self.users if u.id != self.me_id]
        return people

    def compose(self) -> ComposeResult:
        start = self.initial
        with VerticalScroll(classes="dialog form"):
            yield Label("New conversation", classes="dialog-title")
            boxes = [(safe_text(m.name or str(m.id)).plain, m.id) for m in self.mailboxes]
            yield Label("Mailbox")
            yield Select(
                boxes,
                value=start.mailbox_id if start.mailbox_id is not None else Select.NULL,
                allow_blank=not boxes,
                id="new-mailbox",
            )
            yield Label("Customer email")
            yield Input(start.customer_email, placeholder="customer@example.com", id="new-email")
            yield Label("Subject")
            yield Input(start.subject, id="new-subject")
            yield Label("Type")
            yield Select(CONVERSATION_TYPES, value=start.type, allow_blank=False, id="new-type")
            yield Label("Whose message (for type Email)")
            yield Select(DIRECTIONS, value=start.direction, allow_blank=False, id="new-direction")
            yield Label("Message (Markdown)")
            yield ComposerArea(start.body, id="new-body", soft_wrap=True)
            yield Label("Tags (comma separated)")
            yield Input(start.tags, id="new-tags")
            yield Label("Assignee")
            yield Select(
                self._people(),
                value=start.assignee_id if start.assignee_id is not None else Select.NULL,
                id="new-assignee",
                prompt="unassigned",
            )
            yield Label("Status")
            yield Select(STATUS_OPTIONS, value=start.status, allow_blank=False, id="new-status")
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#new-email", Input).focus()

    @property
    def fields(self) -> NewConversationFields:
        """What the form holds right now."""
        mailbox = self.query_one("#new-mailbox", Select).value
        assignee = self.query_one("#new-assignee", Select).value
        return NewConversationFields(
            mailbox_id=mailbox if isinstance(mailbox, int) else None,
            customer_email=self.query_one("#new-email", Input).value,
            subject=self.query_one("#new-subject", Input).value,
            type=str(self.query_one("#new-type", Select).value),
            body=self.query_one("#new-body", ComposerArea).typed_text,
            tags=self.query_one("#new-tags", Input).value,
            assignee_id=assignee if isinstance(assignee, int) else None,
            status=str(self.query_one("#new-status", Select).value),
            direction=str(self.query_one("#new-direction", Select).value),
        )

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self._debounce, self._save_now)

    def _save_now(self) -> None:
        """Save when something changed: mounting the widgets alone must not touch the file."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = None
        fields = self.fields
        if self._save_draft is None or fields == self._saved:
            return
        try:
            self._save_draft(fields)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            if reason != self._draft_error:
                self.notify(
                    markup=False,
                    message=f"The draft could not be saved ({reason}); what you typed stays "
                    "here and ctrl+s still creates it.",
                    severity="error",
                )
            self._draft_error = reason
            return
        self._draft_error = None
        self._saved = fields

    def action_create(self) -> None:
        self._save_now()
        current = self.fields
        email = current.customer_email.strip()
        subject = current.subject.strip()
        body = current.body.strip()
        problems = []
        if current.mailbox_id is None:
            problems.append("choose a mailbox")
        if "@" not in email:
            problems.append("enter the customer's email")
        if not subject:
            problems.append("enter a subject")
        if not body:
            problems.append("write a message")
        if problems or current.mailbox_id is None:
            self.notify(
                markup=False,
                message="To create it, " + ", ".join(problems) + ".",
                severity="warning",
            )
            return
        self.dismiss(
            NewConversationForm(
                mailbox_id=current.mailbox_id,
                customer_email=email,
                subject=subject,
                type=current.type,
                body=body,
                tags=tuple(split_list(current.tags)),
                assignee_id=current.assignee_id,
                status=current.status,
                direction=current.direction,
            )
        )

    def action_cancel(self) -> None:
        self._save_now()
        self.dismiss(None)


@dataclass(frozen=True)
class CustomerForm:
    first_name: str
    last_name: str
    organization: str
    job_title: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]


class CustomerEditScreen(ModalScreen[CustomerForm | None]):
    """Edit a customer's names, organization, job title, emails and phones.

    With ``save`` the form stays open while Help Scout is asked: ``save(form)`` submits and
    returns the action's id (None: nothing to send, close); the screen closes on
    ``outcome(id, None)`` and, on ``outcome(id, reason)``, stays with everything typed and
    says why, so a refused change is corrected, not typed again.
    """

    BINDINGS = bindings("customer_edit")

    def __init__(
        self, customer: Customer, save: Callable[[CustomerForm], str | None] | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.customer = customer
        self._save = save
        self.waiting_for: str | None = None

    def compose(self) -> ComposeResult:
        c = self.customer
        with VerticalScroll(classes="dialog form"):
            yield Label("Edit customer", classes="dialog-title")
            fields = [
                ("First name", "cust-first", c.first_name or ""),
                ("Last name", "cust-last", c.last_name or ""),
                ("Organization", "cust-org", c.organization or ""),
                ("Job title", "cust-job", c.job_title or ""),
                ("Emails (comma separated)", "cust-emails", ", ".join(e.value for e in c.emails)),
                ("Phones (comma separated)", "cust-phones", ", ".join(p.value for p in c.phones)),
            ]
            for label, wid, value in fields:
                yield Label(label)
                yield Input(safe_text(value).plain, id=wid)
            yield Static("", id="cust-problem")
            yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#cust-first", Input).focus()

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    def form(self) -> CustomerForm:
        return CustomerForm(
            first_name=self._value("cust-first"),
            last_name=self._value("cust-last"),
            organization=self._value("cust-org"),
            job_title=self._value("cust-job"),
            emails=tuple(split_list(self._value("cust-emails"))),
            phones=tuple(split_list(self._value("cust-phones"))),
        )

    def action_save(self) -> None:
        if self._save is None:
            self.dismiss(self.form())
            return
        if self.waiting_for is not None:
            return  # one save at a time
        sent = self._save(self.form())
        if sent is None:
            self.dismiss(None)
            return
        self.waiting_for = sent
        self.query_one("#cust-problem", Static).update(Text("Saving…", "italic"))

    def outcome(self, action_id: str, reason: str | None) -> None:
        """Help Scout's answer to the save: close, or stay with the reason shown."""
        if action_id != self.waiting_for:
            return
        self.waiting_for = None
        if reason is None:
            self.dismiss(None)
            return
        problem = Text("Not saved: ", "bold red", end="")
        problem.append(safe_text(reason))
        problem.append("\nEverything typed is still here: correct it and save (ctrl+s) again.")
        self.query_one("#cust-problem", Static).update(problem)

    def action_cancel(self) -> None:
        self.dismiss(None)
