"""The panes of the inbox screen.

Every string that came from Help Scout reaches these widgets as a ``rich.text.Text`` built by
``hsinbox.inbox.text``; none of them ever parses markup from data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from hsinbox.helpscout.models import Conversation, Customer, Folder, Mailbox, Rating, Thread
from hsinbox.inbox.awareness import colleague_drafts
from hsinbox.inbox.text import (
    FOLD_CHARS,
    blocks_to_text,
    head_blocks,
    html_to_blocks,
    human_size,
    safe_text,
    waiting,
)
from hsinbox.tui.conversation_list import COLUMNS, SORTS, STATUS_STYLE, ConversationTable
from hsinbox.tui.registry import bindings
from hsinbox.tui.scheduled_lines import scheduled_line, thread_badge
from hsinbox.tui.thread_lines import attachment_line, field_value_text, snooze_line

__all__ = [
    "COLUMNS",
    "SORTS",
    "STATUS_STYLE",
    "ConversationTable",
    "Sidebar",
    "StatusLine",
    "StatusPart",
    "ThreadView",
    "ViewKey",
]

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

    BINDINGS = bindings("sidebar")

    saved: list[tuple[str, int | None]] = []
    """The saved views (``[[views]]``) shown under "Views": name and count when known."""

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
        if self.saved:
            options.append(Option(Text("Views", "bold"), id="saved-views", disabled=True))
            for index, (name, count) in enumerate(self.saved):
                row = Text("  ", end="")
                row.append(safe_text(name, one_line=True))
                if count is not None:
                    row.append(f" {count:,}", "bold cyan")
                options.append(Option(row, id=f"{SAVED_PREFIX}{index}"))
        self.clear_options()
        self.add_options(options)
        if highlighted:
            self.select_option_id(highlighted)

    def select_view(self, view: ViewKey) -> None:
        self.select_option_id(view.option_id)

    def select_option_id(self, option_id: str) -> None:
        try:
            self.highlighted = self.get_option_index(option_id)
        except Exception:
            return


SAVED_PREFIX = "saved:"  # a saved view's option id: "saved:<index in [[views]]>"


# --- conversation list: hsinbox.tui.conversation_list (re-exported for the screen) ---------

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


def render_thread(
    thread: Thread, now: datetime, *, show_quoted: bool, expanded: bool = False
) -> Text:
    """One thread; a long body shows its first ``FOLD_CHARS`` and one line saying how much
    more there is (``X`` shows it all): a 5 MB message opens at once."""
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
    badge = thread_badge(thread)
    if badge is not None:
        head.append(badge)
    if thread.status and thread.status != "nochange" and thread.type != "lineitem":
        head.append(f"  → {thread.status}", "italic dim")
    if thread.opened_at is not None and not thread.is_draft:
        head.append(f"  · opened {_ago(thread.opened_at, now)}", "dim")
    parts: list[Text] = [head]
    if thread.rating is not None and thread.rating.rating:
        parts.append(rating_line(thread.rating))
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
        if expanded:
            blocks, folded = html_to_blocks(thread.body), 0
        else:
            blocks, folded = head_blocks(thread.body)
        body = blocks_to_text(blocks, show_quoted=show_quoted)
        if not body.plain and thread.action and thread.action.text:
            body = safe_text(thread.action.text, "italic")
        parts.append(body)
        if folded:
            parts.append(
                Text(
                    f"… {human_size(folded)} more of this message folded; X shows all of it",
                    "italic dim",
                )
            )
    parts.extend(attachment_line(att) for att in thread.attachments)
    return Text("\n", end="").join(parts)


def _ago(at: datetime, now: datetime) -> str:
    ago = waiting(at, now)
    return "just now" if ago == "now" else f"{ago} ago"


RATING_WORDS = {"great": "Great", "okay": "Okay", "not_good": "Not good"}


def rating_line(rating: Rating) -> Text:
    """ "★ Rated Not good: “comment”" — the word says it, the colour only repeats it."""
    raw = (rating.rating or "").lower().replace("-", "_")
    word = RATING_WORDS.get(raw, raw.replace("_", " ").capitalize())
    line = Text("★ Rated ", "bold", end="")
    line.append(safe_text(word, "bold red" if rating.is_bad else "bold green"))
    if rating.comments:
        line.append(": “")
        line.append(safe_text(rating.comments, "italic"))
        line.append("”")
    return line


def colleague_draft_lines(threads: list[Thread], me_id: int | None, now: datetime) -> list[Text]:
    """ "✎ Priya has a draft here (3m ago)": another user is writing (threads already read)."""
    lines = []
    for draft in colleague_drafts(threads, me_id):
        line = Text("✎ ", "bold yellow", end="")
        line.append(safe_text(draft.author, "bold"))
        line.append(" has a draft here")
        if draft.created_at is not None:
            line.append(f" ({_ago(draft.created_at, now)})", "dim")
        lines.append(line)
    return lines


class ThreadView(VerticalScroll):
    """The whole conversation, oldest thread first."""

    BINDINGS = bindings("thread")

    def __init__(self, *, now: Callable[[], datetime], **kw) -> None:
        super().__init__(**kw)
        self._now = now
        self.conversation: Conversation | None = None
        self.threads: list[Thread] = []
        # The pane owns its load: "loading" (asked, not in), "failed" (retried on the next
        # key), "loaded" (``threads``, possibly none at all).
        self.load_state = "loading"
        self.load_error = ""
        self._painted: tuple[object, ...] | None = None
        self.show_quoted = False
        self.expanded: set[int] = set()  # threads of this conversation shown unfolded
        self.can_focus = True
        self.me_id: int | None = None  # whose drafts are not "a colleague's"

    def compose(self):
        yield Static(id="thread-header")
        yield Static(id="thread-body")

    def show(self, conv: Conversation | None, threads: list[Thread] | None = None) -> None:
        """Show ``conv``; ``threads`` None while they are on their way."""
        if conv is None or (self.conversation and conv.id != self.conversation.id):
            self.threads = []
            self.load_state = "loading"
            self.expanded = set()
        self.conversation = conv
        if threads is not None:
            self.threads = threads
            self.load_state = "loaded"
        elif self.load_state == "failed":
            self.load_state = "loading"  # asked again
        self._paint()

    def show_failed(self, conv: Conversation, reason: str) -> None:
        """The threads could not be read: say so (the next key asks again)."""
        if self.conversation is None or self.conversation.id != conv.id:
            self.threads = []
        self.conversation = conv
        self.load_state = "failed"
        self.load_error = reason
        self._paint()

    def toggle_quoted(self) -> None:
        self.show_quoted = not self.show_quoted
        self._paint()

    def expand(self) -> bool:
        """Show folded messages whole; False when nothing was folded."""
        folded = {t.id for t in self.threads if t.body and len(t.body) > FOLD_CHARS}
        if folded <= self.expanded:
            return False
        self.expanded |= folded
        self._paint()
        return True

    # Key scrolling is immediate and unanimated: Textual's ``scroll_down`` defers its
    # target until the next refresh, so a burst of j (auto-repeat over SSH) all aimed at
    # the same line. Each key moves from where the previous one left the view.
    def action_line(self, delta: int) -> None:
        self.scroll_to(y=self.scroll_target_y + delta, animate=False, immediate=True)

    def action_top(self) -> None:
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_bottom(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def on_resize(self) -> None:
        # The field line breaks between fields at the pane's width: only the header changes.
        if self.conversation is not None:
            self.query_one("#thread-header", Static).update(self._header_text(self.conversation))

    def _header_text(self, conv: Conversation) -> Text:
        title = Text(f"#{conv.number or conv.id} ", "bold", end="")
        title.append(safe_text(conv.subject or "(no subject)", "bold", one_line=True))
        header = self.query_one("#thread-header", Static)
        title = _two_lines(title, max(header.content_size.width, 20), self.app.console)
        meta = Text(f"{conv.status}", STATUS_STYLE.get(conv.status, ""), end="")
        meta.append("  ·  ")
        meta.append(
            safe_text(conv.assignee.display if conv.assignee else "unassigned", one_line=True)
        )
        if conv.tag_names:
            meta.append("  ·  ")
            meta.append(safe_text(", ".join(conv.tag_names), "italic", one_line=True))
        width = self.scrollable_content_region.width or None
        lines = [title, meta, *agent_day_header_lines(conv, width)]
        lines += colleague_draft_lines(self.threads, self.me_id, self._now())
        return Text("\n", end="").join(lines)

    def _paint(self) -> None:
        conv = self.conversation
        # Conversations and threads are replaced, never changed in place: the same objects
        # in the same state draw the same, so an event that changed neither costs nothing.
        key = (conv, *self.threads, len(self.threads), self.load_state, self.load_error)
        key += (self.show_quoted, tuple(sorted(self.expanded)))
        before = self._painted
        same = before is not None and len(before) == len(key)
        if same and all(a is b or a == b for a, b in zip(before or (), key, strict=True)):
            return
        self._painted = key
        header = self.query_one("#thread-header", Static)
        body = self.query_one("#thread-body", Static)
        if conv is None:
            header.update(Text("No conversation open", "dim"))
            body.update("")
            return
        header.update(self._header_text(conv))
        if self.load_state == "failed":
            line = Text("Could not load the messages: ", "red", end="")
            line.append(safe_text(self.load_error or "no answer"))
            line.append("\nPress any key to try again.", "dim")
            body.update(line)
            return
        if self.load_state == "loading" and not self.threads:
            body.update(Text("Loading messages…", "dim"))
            return
        if not self.threads:
            body.update(Text("No messages in this conversation.", "dim"))
            return
        now = self._now()
        rendered = [
            render_thread(t, now, show_quoted=self.show_quoted, expanded=t.id in self.expanded)
            for t in self.threads
        ]
        body.update(Text("\n\n", end="").join(rendered))


def _two_lines(title: Text, width: int, console: Console) -> Text:
    """At most two lines of the header, the second ending in an ellipsis: a 20,000-character
    subject would fill the pane."""
    if title.cell_len <= width:
        return title
    lines = title.wrap(console, width)
    if len(lines) <= 2:
        return title
    # Where the second line ends in the title itself: the cut keeps the text as it is (no
    # line break of ours), so it wraps into the same two lines, the last cell an ellipsis.
    plain = title.plain
    first = lines[0].plain.rstrip()
    second = lines[1].plain.strip()
    end = plain.find(second, len(first)) + len(second) if second else len(first)
    cut = title[: max(end - 1, 1)]
    cut.rstrip()
    cut.append("…", "bold")
    return cut


def agent_day_header_lines(conv: Conversation, width: int | None = None) -> list[Text]:
    """The thread header's snooze and custom-field lines (none when there is nothing)."""
    lines = [snooze_line(conv), scheduled_line(conv), field_value_text(conv, width=width)]
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


#: A status part ranked ``KEEP`` is never dropped (the view name): the line gives way around it.
KEEP = 1000
SEPARATOR = "  │  "


@dataclass(frozen=True)
class StatusPart:
    """One part of the status line: the higher its ``rank``, the longer it stays when the line
    is too long; ``squeeze(width)`` gives a shorter form (None: all or nothing)."""

    text: Text
    rank: int
    squeeze: Callable[[int], Text] | None = None


#: The fewest cells a part with a shorter form is squeezed to before it is dropped instead.
SQUEEZED = 24


def fit_status(parts: list[StatusPart], width: int) -> Text:
    """The parts in their order, fitted to ``width``: the least important part gives way
    first, shortened when its shorter form is enough (not below ``SQUEEZED`` cells), else
    dropped; parts ranked ``KEEP`` are only shortened; what is still over is cut."""

    def least(part: StatusPart, text: Text) -> int:
        return min(text.cell_len, SQUEEZED) if part.squeeze is not None else text.cell_len

    texts: dict[int, Text] = {}
    cells: dict[int, int] = {}  # each text's width, measured once (a failure can be long)

    def put(part: StatusPart, text: Text) -> None:
        if width > 0 and len(text) > width:  # never more than the line: cut it once, here
            text = text[: 2 * width + 1]  # a cheap cut first (a failure can be long) …
            text.truncate(width, overflow="ellipsis")  # … then by cells
        texts[id(part)] = text
        cells[id(part)] = text.cell_len

    for part in parts:
        put(part, part.text)
    kept = list(parts)

    def over() -> int:
        used = sum(cells[id(p)] for p in kept)
        return 1 + used + len(SEPARATOR) * max(len(kept) - 1, 0) - width

    while over() > 0:
        part = min(reversed(kept), key=lambda p: p.rank)
        text = texts[id(part)]
        room = cells[id(part)] - over()
        if part.squeeze is not None and room >= least(part, text):
            put(part, part.squeeze(room))
            break
        if part.rank < KEEP and len(kept) > 1:
            kept.remove(part)
            continue
        for keep in kept:  # only what must stay is left: shorten it as far as it goes
            if keep.squeeze is not None and over() > 0:
                shown = texts[id(keep)]
                put(keep, keep.squeeze(max(cells[id(keep)] - over(), least(keep, shown))))
        break
    line = Text(" ", end="")
    for i, part in enumerate(kept):
        if i:
            line.append(SEPARATOR, "dim")
        line.append(texts[id(part)])
    if width > 0:
        line.truncate(width, overflow="ellipsis")
    return line


class StatusLine(Static):
    """Signed-in user, view, work in flight, failures, rate budget, offline, undo hint.

    One line whatever the width: the least important parts give way, never the view name.
    """

    _last: str = ""
    _parts: list[StatusPart] = []

    def show(self, parts: list[StatusPart]) -> None:
        self._parts = parts
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        line = fit_status(self._parts, self.size.width or self.app.size.width)
        if line.plain == self._last:
            return
        self._last = line.plain
        # One line high whatever it says: no layout pass (which would re-wrap the thread).
        self.update(line, layout=False)
