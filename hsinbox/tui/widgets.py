"""The panes of the inbox screen.

Every string that came from Help Scout reaches these widgets as a ``rich.text.Text`` built by
``hsinbox.inbox.text``; none of them ever parses markup from data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from hsinbox.helpscout.models import Conversation, Customer, Folder, Mailbox, Thread
from hsinbox.inbox.text import blocks_to_text, html_to_blocks, safe_text, waiting
from hsinbox.tui.attachments_screen import attachment_line
from hsinbox.tui.fields_form import field_value_text
from hsinbox.tui.snooze_picker import snooze_cell, snooze_line

# --- sidebar ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewKey:
    """What the sidebar can open: a mailbox's folder, or a mailbox's active conversations."""

    mailbox_id: int
    folder_id: int | None = None

    @property
    def option_id(self) -> str:
        return f"{self.mailbox_id}:{self.folder_id if self.folder_id is not None else ''}"

    @classmethod
    def from_option_id(cls, option_id: str) -> ViewKey:
        mailbox, _, folder = option_id.partition(":")
        return cls(int(mailbox), int(folder) if folder else None)


class Sidebar(OptionList):
    """Mailboxes and, under each, its folders with active counts."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="sidebar.down"),
        Binding("k", "cursor_up", "Up", show=False, id="sidebar.up"),
    ]

    def set_mailboxes(self, mailboxes: list[Mailbox], folders: dict[int, list[Folder]]) -> None:
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option | None] = []
        for mailbox in mailboxes:
            label = safe_text(mailbox.name or f"Mailbox {mailbox.id}", "bold")
            options.append(Option(label, id=ViewKey(mailbox.id).option_id))
            for folder in folders.get(mailbox.id, []):
                row = Text("  ", end="")
                row.append(safe_text(folder.name or folder.type or f"Folder {folder.id}"))
                if folder.active_count:
                    row.append(f" {folder.active_count}", "bold cyan")
                options.append(Option(row, id=ViewKey(mailbox.id, folder.id).option_id))
        self.clear_options()
        self.add_options(options)
        if highlighted:
            self.select_view(ViewKey.from_option_id(highlighted))

    def select_view(self, view: ViewKey) -> None:
        try:
            self.highlighted = self.get_option_index(view.option_id)
        except Exception:
            return


# --- conversation list --------------------------------------------------------------------

SORTS: list[tuple[str, str]] = [
    ("updated", "newest first"),
    ("waiting", "longest waiting first"),
    ("number", "number"),
    ("customer", "customer"),
    ("status", "status"),
]

COLUMNS: list[tuple[str, str]] = [
    ("mark", " "),
    ("number", "#"),
    ("customer", "Customer"),
    ("subject", "Subject"),
    ("waiting", "Waiting"),
    ("status", "Status"),
    ("assignee", "Assignee"),
    ("tags", "Tags"),
    ("updated", "Updated"),
]

STATUS_STYLE = {"active": "bold", "pending": "italic", "closed": "dim", "spam": "dim strike"}


class Cell:
    """One list cell kept as its string and style; the ``Text`` is rebuilt when painted.

    A mailbox of 10,000 conversations is 90,000 cells: held as ``Text`` (with their lists of
    segments and spans) they weighed tens of megabytes, while only one screen of rows is ever
    drawn (and DataTable caches the drawn lines).
    """

    __slots__ = ("end", "plain", "spans", "style")

    def __init__(self, text: Text) -> None:
        self.plain = text.plain
        self.style = text.style
        self.end = text.end
        self.spans = tuple(text.spans) if text.spans else None

    def __rich__(self) -> Text:
        spans = list(self.spans) if self.spans else None
        return Text(self.plain, self.style, end=self.end, spans=spans)

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"Cell({self.plain!r})"


class ConversationTable(DataTable[Cell]):
    """One row per conversation, keyed by conversation id (no widget per row)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="down"),
        Binding("k", "cursor_up", "Up", show=False, id="up"),
        Binding("enter", "screen.open", "Open", id="open", show=False),
        Binding("x,space", "screen.toggle_mark", "Mark", id="mark"),
        Binding("o", "screen.sort", "Sort", id="sort", show=False),
        Binding("W", "screen.sort_waiting", "Longest waiting first", id="sort_waiting", show=False),
    ]

    def __init__(self, *, now: Callable[[], datetime], warn: int, alert: int, **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self._now = now
        self._warn = warn
        self._alert = alert
        self.conversations: dict[int, Conversation] = {}
        self.marked: set[int] = set()
        self.filter_text = ""
        self.match_ids: set[int] = set()  # found by the session's search (thread text too)
        self.sort_index = 0

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        """Column widths grow on idle, after a frame may already have cached the rows.

        DataTable keys its line caches without the column widths, so rows painted between
        ``add_row`` and the next idle kept the header-wide columns until something else
        invalidated them (intermittently squeezed columns). Drop those caches when a width
        changes.
        """
        before = [c.content_width for c in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if [c.content_width for c in self.ordered_columns] != before:
            self._clear_caches()
            self.refresh()

    # data ---------------------------------------------------------------------------------
    def set_conversations(self, conversations: Iterable[Conversation]) -> None:
        """Replace the rows, keeping the cursor on the same conversation when possible."""
        current = self.current_id
        self.conversations = {c.id: c for c in conversations}
        self.marked &= set(self.conversations)
        self._rebuild(keep=current)

    def upsert(self, conv: Conversation) -> None:
        self.conversations[conv.id] = conv
        if self.is_valid_row_index(0) and str(conv.id) in {k.value for k in self.rows}:
            for key, value in self._cells(conv).items():
                self.update_cell(str(conv.id), key, value)
        else:
            self._rebuild(keep=self.current_id)

    def discard(self, conversation_id: int) -> None:
        self.conversations.pop(conversation_id, None)
        self.marked.discard(conversation_id)
        if str(conversation_id) in {k.value for k in self.rows}:
            self.remove_row(str(conversation_id))

    def visible(self) -> list[Conversation]:
        items = list(self.conversations.values())
        needle = self.filter_text.casefold().strip()
        if needle:
            items = [c for c in items if c.id in self.match_ids or needle in self._haystack(c)]
        return sorted(items, key=self._sort_key(), reverse=self._sort_reverse())

    def _haystack(self, conv: Conversation) -> str:
        parts = [
            str(conv.number or ""),
            conv.subject or "",
            conv.preview or "",
            conv.primary_customer.display if conv.primary_customer else "",
            conv.primary_customer.email or "" if conv.primary_customer else "",
            conv.assignee.display if conv.assignee else "",
            conv.status,
            *conv.tag_names,
        ]
        return " ".join(parts).casefold()

    def _sort_key(self) -> Callable[[Conversation], object]:
        name = SORTS[self.sort_index][0]
        floor = datetime.min.replace(tzinfo=self._now().tzinfo)
        if name == "waiting":

            def wait_key(c: Conversation) -> tuple[int, datetime]:
                t = c.customer_waiting_since.time if c.customer_waiting_since else None
                return (1, floor) if t is None else (0, t)

            return wait_key
        if name == "number":
            return lambda c: c.number or 0
        if name == "customer":
            return lambda c: (c.primary_customer.display if c.primary_customer else "").casefold()
        if name == "status":
            return lambda c: c.status
        return lambda c: (c.modified_at or floor, c.id)

    def _sort_reverse(self) -> bool:
        return SORTS[self.sort_index][0] in ("updated", "number")

    def cycle_sort(self) -> str:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self._rebuild(keep=self.current_id)
        return SORTS[self.sort_index][1]

    def sort_by(self, name: str) -> str:
        self.sort_index = next(i for i, (key, _label) in enumerate(SORTS) if key == name)
        self._rebuild(keep=self.current_id)
        return SORTS[self.sort_index][1]

    def _rebuild(self, keep: int | None) -> None:
        self.clear()
        for conv in self.visible():
            cells = self._cells(conv)
            self.add_row(*(cells[key] for key, _ in COLUMNS), key=str(conv.id))
        if keep is not None and str(keep) in {k.value for k in self.rows}:
            self.move_cursor(row=self.get_row_index(str(keep)), animate=False)

    def _cells(self, conv: Conversation) -> dict[str, Cell]:
        now = self._now()
        mark = Text("●" if conv.id in self.marked else " ", "bold cyan")
        number = Text(str(conv.number or ""), "dim")
        who = safe_text(conv.primary_customer.display if conv.primary_customer else "")
        who.truncate(18, overflow="ellipsis")
        weight = "bold" if conv.status == "active" else ""
        subject = safe_text(conv.subject or "(no subject)", weight)
        subject.truncate(40, overflow="ellipsis")
        status = Text(conv.status, STATUS_STYLE.get(conv.status, ""))
        assignee = safe_text(conv.assignee.display if conv.assignee else "—")
        assignee.truncate(16, overflow="ellipsis")
        tags = safe_text(", ".join(conv.tag_names), "italic")
        tags.truncate(20, overflow="ellipsis")
        since = conv.customer_waiting_since.time if conv.customer_waiting_since else None
        wait = Text(waiting(since, now) if conv.status == "active" else "")
        if since is not None and conv.status == "active":
            minutes = (now - since).total_seconds() / 60
            if minutes >= self._alert:
                wait = Text("!! ", "bold red") + wait
            elif minutes >= self._warn:
                wait = Text("! ", "bold yellow") + wait
        wait = snooze_cell(conv, now) or wait  # agent day: a snoozed row shows its wake-up time
        updated = Text(waiting(conv.modified_at, now), "dim")
        return {
            "mark": Cell(mark),
            "number": Cell(number),
            "customer": Cell(who),
            "subject": Cell(subject),
            "status": Cell(status),
            "assignee": Cell(assignee),
            "tags": Cell(tags),
            "waiting": Cell(wait),
            "updated": Cell(updated),
        }

    # marks and cursor -----------------------------------------------------------------------
    @property
    def current_id(self) -> int | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return int(key.value) if key.value is not None else None

    @property
    def current(self) -> Conversation | None:
        cid = self.current_id
        return self.conversations.get(cid) if cid is not None else None

    def toggle_mark(self) -> None:
        cid = self.current_id
        if cid is None:
            return
        self.marked.symmetric_difference_update({cid})
        self.update_cell(str(cid), "mark", self._cells(self.conversations[cid])["mark"])
        if self.cursor_row < self.row_count - 1:
            self.move_cursor(row=self.cursor_row + 1)

    def targets(self) -> list[Conversation]:
        """The marked conversations in list order, else the one under the cursor."""
        if self.marked:
            return [c for c in self.visible() if c.id in self.marked] or [
                self.conversations[i] for i in sorted(self.marked) if i in self.conversations
            ]
        cur = self.current
        return [cur] if cur else []

    def next_id_after(self, conversation_id: int) -> int | None:
        ids = [c.id for c in self.visible()]
        if conversation_id not in ids:
            return None
        i = ids.index(conversation_id)
        if i + 1 < len(ids):
            return ids[i + 1]
        return ids[i - 1] if i > 0 else None

    def go_to(self, conversation_id: int) -> None:
        if str(conversation_id) in {k.value for k in self.rows}:
            self.move_cursor(row=self.get_row_index(str(conversation_id)), animate=False)


# --- thread pane --------------------------------------------------------------------------

KINDS: dict[str, tuple[str, str]] = {
    "customer": ("Customer", "bold blue"),
    "message": ("Reply", "bold green"),
    "reply": ("Reply", "bold green"),
    "note": ("Note", "bold yellow"),
    "lineitem": ("Activity", "bright_black"),
    "forwardparent": ("Forward", "bold magenta"),
    "forwardchild": ("Forward", "bold magenta"),
    "phone": ("Phone", "bold cyan"),
    "chat": ("Chat", "bold cyan"),
    "beaconchat": ("Chat", "bold cyan"),
}


def thread_kind(thread: Thread) -> tuple[str, str]:
    """The word and colour for a thread; a type nobody documented keeps its raw name."""
    if thread.is_draft:
        return "Draft", "bold red"
    if thread.type in KINDS:
        return KINDS[thread.type]
    return clean_label(thread.type or "unknown"), "bold"


def clean_label(raw: str) -> str:
    return safe_text(raw).plain[:30] or "unknown"


def render_thread(thread: Thread, now: datetime, *, show_quoted: bool) -> Text:
    kind, style = thread_kind(thread)
    head = Text(f" {kind} ", f"reverse {style}", end="")
    author = thread.created_by or thread.customer
    if author is not None:
        head.append("  ")
        head.append(safe_text(author.display, "bold"))
    if thread.created_at is not None:
        head.append("  ")
        head.append(thread.created_at.strftime("%Y-%m-%d %H:%M"), "dim")
        ago = waiting(thread.created_at, now)
        head.append(" (just now)" if ago == "now" else f" ({ago} ago)", "dim")
    if thread.status and thread.status != "nochange" and thread.type != "lineitem":
        head.append(f"  → {thread.status}", "italic dim")
    parts: list[Text] = [head]
    recipients = [("to", thread.to), ("cc", thread.cc), ("bcc", thread.bcc)]
    for label, values in recipients:
        if values and label != "to":
            line = Text(f"{label}: ", "dim", end="")
            line.append(safe_text(", ".join(values), "dim"))
            parts.append(line)
    if thread.type == "lineitem":
        action = thread.action.text if thread.action and thread.action.text else thread.body
        parts.append(safe_text(action or "", "italic bright_black"))
    else:
        body = blocks_to_text(html_to_blocks(thread.body), show_quoted=show_quoted)
        if not body.plain and thread.action and thread.action.text:
            body = safe_text(thread.action.text, "italic")
        parts.append(body)
    parts.extend(attachment_line(att) for att in thread.attachments)
    return Text("\n", end="").join(parts)


class ThreadView(VerticalScroll):
    """The whole conversation, oldest thread first."""

    BINDINGS = [
        Binding("j", "scroll_down", "Scroll down", show=False, id="thread.down"),
        Binding("k", "scroll_up", "Scroll up", show=False, id="thread.up"),
        Binding("T", "screen.toggle_quoted", "Quoted text", id="toggle_quoted"),
    ]

    def __init__(self, *, now: Callable[[], datetime], **kw) -> None:
        super().__init__(**kw)
        self._now = now
        self.conversation: Conversation | None = None
        self.threads: list[Thread] = []
        self.show_quoted = False
        self.can_focus = True

    def compose(self):
        yield Static(id="thread-header")
        yield Static(id="thread-body")

    def show(self, conv: Conversation | None, threads: list[Thread] | None = None) -> None:
        if conv is None or (self.conversation and conv.id != self.conversation.id):
            self.threads = []
        self.conversation = conv
        if threads is not None:
            self.threads = threads
        self._paint()

    def toggle_quoted(self) -> None:
        self.show_quoted = not self.show_quoted
        self._paint()

    def _paint(self) -> None:
        header = self.query_one("#thread-header", Static)
        body = self.query_one("#thread-body", Static)
        conv = self.conversation
        if conv is None:
            header.update(Text("No conversation open", "dim"))
            body.update("")
            return
        title = Text(f"#{conv.number or conv.id} ", "bold", end="")
        title.append(safe_text(conv.subject or "(no subject)", "bold"))
        meta = Text(f"{conv.status}", STATUS_STYLE.get(conv.status, ""), end="")
        meta.append("  ·  ")
        meta.append(safe_text(conv.assignee.display if conv.assignee else "unassigned"))
        if conv.tag_names:
            meta.append("  ·  ")
            meta.append(safe_text(", ".join(conv.tag_names), "italic"))
        lines = [title, meta, *agent_day_header_lines(conv)]
        header.update(Text("\n", end="").join(lines))
        if not self.threads:
            body.update(Text("Loading threads…", "dim"))
            return
        now = self._now()
        rendered = [render_thread(t, now, show_quoted=self.show_quoted) for t in self.threads]
        body.update(Text("\n\n", end="").join(rendered))


def agent_day_header_lines(conv: Conversation) -> list[Text]:
    """The thread header's snooze and custom-field lines (none when there is nothing)."""
    lines = [snooze_line(conv), field_value_text(conv)]
    return [line for line in lines if line is not None and line.plain]


# --- customer panel and status line ------------------------------------------------------


def render_customer(customer: Customer | None) -> Text:
    if customer is None:
        return Text("Loading customer…", "dim")
    out = Text(end="")
    out.append(safe_text(customer.name or "(no name)", "bold"))
    rows: list[tuple[str, str]] = [
        ("Job title", customer.job_title or ""),
        ("Organization", customer.organization or ""),
    ]
    rows += [("Email", e.value) for e in customer.emails]
    rows += [("Phone", p.value) for p in customer.phones]
    for label, value in rows:
        if value:
            out.append(f"\n{label}: ", "dim")
            out.append(safe_text(value))
    return out


class StatusLine(Static):
    """Signed-in user, view, work in flight, failures, rate budget, offline, undo hint."""

    _last: str = ""

    def show(self, parts: list[Text]) -> None:
        line = Text(" ", end="")
        for i, part in enumerate(parts):
            if i:
                line.append("  │  ", "dim")
            line.append(part)
        if line.plain == self._last:
            return
        self._last = line.plain
        # One line high whatever it says: no layout pass (which would re-wrap the thread).
        self.update(line, layout=False)
