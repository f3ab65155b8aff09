"""The conversation list: a virtual list that draws only the rows on screen.

A view may hold tens of thousands of conversations. The list keeps them once (the ``dict`` of
conversations and the sorted list of what is shown) and paints a row only when Textual asks for
that line, so a key press costs one screen of rows whatever the number loaded. No row widget and
no per-row ``Text`` is kept.

Text from Help Scout reaches a cell as ``rich.text.Text`` from ``hsinbox.inbox.text`` made with
``one_line=True`` (the one sanitiser; it also flattens the graphemes whose width terminals
disagree about) and is cut by cell width, so one subject cannot push the later columns off.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from hsinbox.helpscout.models import Conversation
from hsinbox.inbox.text import safe_text, waiting
from hsinbox.tui.registry import bindings
from hsinbox.tui.scheduled_lines import scheduled_cell

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

SHORT_TITLES = {"waiting": "Wait", "status": "Stat", "assignee": "Agent", "customer": "Cust"}
SHORT_STATUS = {"active": "act", "pending": "pend", "closed": "clsd", "spam": "spam"}
STATUS_STYLE = {"active": "bold", "pending": "italic", "closed": "dim", "spam": "dim strike"}

NEAR_END = 5  # rows from the end of what is loaded that ask for more
STRIP_CACHE = 256  # drawn rows kept: a few screens, whatever the number of rows


@dataclass(frozen=True)
class Layout:
    """Which columns show at a width, how wide each is, and the gap between them."""

    widths: dict[str, int]
    gap: int
    short: bool

    @property
    def keys(self) -> list[str]:
        return [key for key, _title in COLUMNS if key in self.widths]


# Widest first; the first whose fixed columns leave the subject its minimum wins. The subject
# gives way first, then tags, updated and the customer; number, waiting, status and assignee
# always show (in short forms at the end).
_LAYOUTS: list[tuple[int, int, bool, dict[str, int]]] = [
    # gap, subject's minimum, short forms, the other columns
    (2, 30, False, dict(customer=18, waiting=8, status=7, assignee=16, tags=20, updated=8)),
    (1, 24, False, dict(customer=18, waiting=7, status=7, assignee=16, tags=14, updated=7)),
    (1, 20, False, dict(customer=16, waiting=7, status=7, assignee=14, tags=12)),
    (1, 16, False, dict(customer=14, waiting=7, status=7, assignee=12)),
    (1, 12, True, dict(customer=12, waiting=6, status=4, assignee=8)),
    (1, 0, True, dict(waiting=6, status=4, assignee=8)),
]


def choose_layout(width: int, number_width: int) -> Layout:
    """The columns for ``width`` cells; the subject takes whatever the others leave."""
    for i, (gap, subject_min, short, fixed) in enumerate(_LAYOUTS):
        widths = {"mark": 1, "number": number_width, **fixed}
        # A space before the mark, then one gap before each later column, the subject's too.
        used = 1 + sum(widths.values()) + gap * (len(widths) - 1) + gap
        if width - used >= subject_min or i == len(_LAYOUTS) - 1:
            widths["subject"] = max(0, width - used)
            return Layout(widths, gap, short)
    raise AssertionError("unreachable")


def fit(text: Text, width: int) -> Text:
    """``text`` cut to ``width`` cells (an ellipsis when cut) and padded to exactly that.

    API text comes in as ``safe_text(..., one_line=True)``: already without the graphemes
    terminals disagree about the width of, so the cells' cell counts are every terminal's."""
    text.no_wrap = True
    if width <= 0:
        return Text("", end="")
    if cell_len(text.plain) > width:
        used, end = 0, 0
        for end, char in enumerate(text.plain):  # noqa: B007  (end is the cut after the loop)
            used += cell_len(char)
            if used > width - 1:
                break
        text = text[:end]
        text.append("…")
    text.pad_right(width - cell_len(text.plain))
    text.end = ""
    return text


def gap_style_after(style: str | Style) -> str | Style:
    """The gap after a cell takes the cell's style, so it ends the cell's run of text rather
    than starting the next one: an SVG viewer that drops a run's leading spaces (librsvg)
    would otherwise draw "10063Chloé Khan" and shift every column after a styled one. Not a
    style a space would show (strike, underline, reverse, a background)."""
    parsed = Style.parse(style) if isinstance(style, str) else style
    if parsed.strike or parsed.underline or parsed.reverse or parsed.overline or parsed.bgcolor:
        return ""
    return style


class ConversationTable(ScrollView, can_focus=True):
    """One line per conversation, keyed by conversation id, drawn on demand.

    The cursor is an index into the shown rows; it follows its conversation when rows change and
    moves to the neighbour at the same position when that conversation leaves the list.
    """

    DEFAULT_CSS = """
    ConversationTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        &:focus {
            background-tint: $foreground 5%;
            & > .conversation-list--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .conversation-list--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .conversation-list--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .conversation-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .conversation-list--note {
            color: $text-muted;
            text-style: italic;
        }
        & > .conversation-list--error {
            color: $text-error;
        }
    }
    """

    COMPONENT_CLASSES = {
        "conversation-list--header",
        "conversation-list--cursor",
        "conversation-list--note",
        "conversation-list--error",
    }

    BINDINGS = bindings("list")

    class Highlighted(Message):
        """The cursor rests on another conversation (or on none)."""

        def __init__(self, table: ConversationTable, conversation_id: int | None) -> None:
            super().__init__()
            self.table = table
            self.conversation_id = conversation_id

        @property
        def control(self) -> ConversationTable:
            return self.table

    class Selected(Message):
        """Enter on a conversation."""

        def __init__(self, table: ConversationTable, conversation_id: int) -> None:
            super().__init__()
            self.table = table
            self.conversation_id = conversation_id

        @property
        def control(self) -> ConversationTable:
            return self.table

    class NearEnd(Message):
        """The cursor came within ``NEAR_END`` rows of the last loaded row: time to page."""

        def __init__(self, table: ConversationTable, loaded: int) -> None:
            super().__init__()
            self.table = table
            self.loaded = loaded

        @property
        def control(self) -> ConversationTable:
            return self.table

    def __init__(self, *, now: Callable[[], datetime], warn: int, alert: int, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self._now = now
        self._warn = warn
        self._alert = alert
        self.conversations: dict[int, Conversation] = {}
        self.marked: set[int] = set()
        # Marks from what only this machine knows (changed since opened, watched, a
        # colleague's draft, a bad rating): a short string drawn before the subject, "●"
        # among them making the subject bold. Set by the screen (tui/noticing.py).
        self.flags: Callable[[Conversation], str] = _no_flags
        self.filter_text = ""
        self.match_ids: set[int] = set()  # found by the session's search (thread text too)
        self.sort_index = 0
        self.total: int | None = None  # the server's count for the view, when it said
        self._rows: list[Conversation] = []
        self._index: dict[int, int] = {}
        self._cursor = 0
        self._announced: int | None = None
        self._number_width = 1
        self._loading_more = False
        self._load_error: str | None = None
        self._near_end_sent_at: int | None = None
        self._frame: _Frame | None = None
        self._strips: OrderedDict[tuple[object, ...], tuple[Conversation, Strip]] = OrderedDict()
        self._built_for: tuple[str, set[int], int] | None = None
        self._cursor_hidden = False

    # data ---------------------------------------------------------------------------------
    def set_conversations(self, conversations: Iterable[Conversation]) -> None:
        """Replace the rows; the cursor stays on its conversation, else takes its neighbour.

        The same rows with a few new copies that keep their place in the order (a status,
        an assignee, tags) are swapped in place: an event costs the rows it changed, not a
        re-sort of every loaded row.
        """
        new = {c.id: c for c in conversations}
        old = self.conversations
        if new.keys() == old.keys() and self._rows_current():
            changed = [c for i, c in new.items() if old[i] is not c]
            key = self._sort_key()
            if all(key(c) == key(old[c.id]) for c in changed):
                self.conversations = new
                if changed:
                    for conv in changed:
                        self._rows[self._index[conv.id]] = conv
                    self._strips.clear()
                    self.refresh()
                return
        self.conversations = new
        self.marked &= set(self.conversations)
        self._rebuild()

    def update_rows(self, conversations: Iterable[Conversation]) -> bool:
        """Swap in new copies of rows already shown that keep their place; False (nothing
        done) when one is not shown or would move (then ``set_conversations``)."""
        fresh = list(conversations)
        if not self._rows_current():
            return False
        key = self._sort_key()
        old = self.conversations
        for conv in fresh:
            before = old.get(conv.id)
            if before is None or (before is not conv and key(before) != key(conv)):
                return False
        changed = False
        for conv in fresh:
            if old[conv.id] is not conv:
                old[conv.id] = conv
                self._rows[self._index[conv.id]] = conv
                changed = True
        if changed:
            self._strips.clear()
            self.refresh()
        return True

    def append_conversations(self, conversations: Iterable[Conversation]) -> None:
        """Add a page at the end of what is loaded; the cursor does not move."""
        for conv in conversations:
            self.conversations[conv.id] = conv
        self._load_error = None
        self._loading_more = False
        self._near_end_sent_at = None
        self._rebuild()

    def upsert(self, conv: Conversation) -> None:
        self.conversations[conv.id] = conv
        self._rebuild()

    def discard(self, conversation_id: int) -> None:
        self.conversations.pop(conversation_id, None)
        self.marked.discard(conversation_id)
        self._rebuild()

    def visible(self) -> list[Conversation]:
        """The shown rows in list order (the filter and sort applied)."""
        return list(self._rows)

    def _compute_rows(self) -> list[Conversation]:
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
        self._rebuild()
        return SORTS[self.sort_index][1]

    def sort_by(self, name: str) -> str:
        self.sort_index = next(i for i, (key, _label) in enumerate(SORTS) if key == name)
        self._rebuild()
        return SORTS[self.sort_index][1]

    @property
    def cursor_hidden(self) -> bool:
        """The thread pane shows a conversation other than the cursor's (opened from outside
        the list): the cursor row is not drawn as current, so the screen never shows one
        conversation highlighted and another open."""
        return self._cursor_hidden

    @cursor_hidden.setter
    def cursor_hidden(self, value: bool) -> None:
        if value != self._cursor_hidden:
            self._cursor_hidden = value
            self._strips.clear()
            self.refresh()

    def _rows_current(self) -> bool:
        """The shown rows were built with today's filter and sort (none typed, same sort)."""
        built = self._built_for
        return (
            not self.filter_text.strip()
            and built is not None
            and built[0] == self.filter_text
            and built[1] is self.match_ids
            and built[2] == self.sort_index
        )

    def _rebuild(self) -> None:
        """Recompute the shown rows and put the cursor where the agent expects it."""
        self._built_for = (self.filter_text, self.match_ids, self.sort_index)
        old_rows, old_cursor = self._rows, self._cursor
        self._strips.clear()  # new data: drawn rows are redrawn
        keep = old_rows[old_cursor].id if 0 <= old_cursor < len(old_rows) else None
        self._rows = self._compute_rows()
        self._index = {c.id: i for i, c in enumerate(self._rows)}
        self._number_width = max(
            [1, *(len(str(c.number)) for c in self._rows if c.number is not None)]
        )
        if not self._rows:
            self._cursor = 0
        elif keep is not None and keep in self._index:
            self._cursor = self._index[keep]
        elif keep is not None:
            self._cursor = self._neighbour(old_rows, old_cursor)
        else:
            self._cursor = min(old_cursor, len(self._rows) - 1)
        self._sync_size()
        self.refresh()
        self._after_move()

    def _neighbour(self, old_rows: list[Conversation], old_cursor: int) -> int:
        """Where a vanished row's cursor goes: the next surviving row below, else above."""
        for i in range(old_cursor + 1, len(old_rows)):
            if old_rows[i].id in self._index:
                return self._index[old_rows[i].id]
        for i in range(old_cursor - 1, -1, -1):
            if old_rows[i].id in self._index:
                return self._index[old_rows[i].id]
        return min(old_cursor, len(self._rows) - 1)

    # paging -------------------------------------------------------------------------------
    @property
    def loading_more(self) -> bool:
        return self._loading_more

    @loading_more.setter
    def loading_more(self, value: bool) -> None:
        self._loading_more = value
        if value:
            self._load_error = None
        self._extra_changed()

    @property
    def load_error(self) -> str | None:
        return self._load_error

    @load_error.setter
    def load_error(self, message: str | None) -> None:
        """A failed page: shown as the last row; moving the cursor asks again."""
        self._load_error = message
        if message is not None:
            self._loading_more = False
            self._near_end_sent_at = None
        self._extra_changed()

    def _extra_changed(self) -> None:
        self._sync_size()
        self.refresh()
        if self.is_mounted:
            self.call_after_refresh(self._scroll_to_cursor)

    def _extra_rows(self) -> int:
        return 1 if self._loading_more or self._load_error is not None else 0

    def _sync_size(self) -> None:
        width = self.scrollable_content_region.width if self.is_mounted else 0
        self.virtual_size = Size(width, 1 + len(self._rows) + self._extra_rows())

    def on_resize(self) -> None:
        self._sync_size()
        self.refresh()

    # cursor -------------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def row_id(self, index: int) -> int | None:
        """The conversation id on row ``index`` (None outside the list)."""
        return self._rows[index].id if 0 <= index < len(self._rows) else None

    @property
    def current_id(self) -> int | None:
        return self.row_id(self._cursor)

    @property
    def current(self) -> Conversation | None:
        return self._rows[self._cursor] if 0 <= self._cursor < len(self._rows) else None

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row == self._cursor:
            self._scroll_to_cursor()
            self._check_near_end()
            return
        before = self._cursor
        self._cursor = row
        self._refresh_row(before)
        self._refresh_row(row)
        self._scroll_to_cursor()
        self._after_move()

    def go_to(self, conversation_id: int) -> None:
        if conversation_id in self._index:
            self.move_cursor(row=self._index[conversation_id])

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_down(self) -> None:
        if self._load_error is not None and self._cursor >= len(self._rows) - 1:
            self._retry()
        self.move_cursor(row=self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self._cursor - 1)

    def action_cursor_top(self) -> None:
        self.move_cursor(row=0)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(row=len(self._rows) - 1)

    def action_page_up_rows(self) -> None:
        self.move_cursor(row=self._cursor - self._page())

    def action_page_down_rows(self) -> None:
        self.move_cursor(row=self._cursor + self._page())

    def action_open(self) -> None:
        cid = self.current_id
        if cid is not None:
            self.post_message(self.Selected(self, cid))

    def on_click(self, event: events.Click) -> None:
        """A click highlights its row; a click on the highlighted row opens it (as DataTable)."""
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        index = round(self.scroll_y) + offset.y - 1
        if not 0 <= index < len(self._rows):
            return
        if index == self._cursor or event.chain > 1:
            self.move_cursor(row=index)
            self.action_open()
        else:
            self.move_cursor(row=index)

    def _retry(self) -> None:
        """Moving on the error row asks for the page again."""
        self._load_error = None
        self._near_end_sent_at = None
        self._extra_changed()

    def _scroll_to_cursor(self) -> None:
        if not self.is_mounted:
            return
        height = self._page()
        top = round(self.scroll_y)
        # On the last row, the extra row (loading, error) shows too.
        last = self._cursor + (self._extra_rows() if self._cursor == len(self._rows) - 1 else 0)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif last >= top + height:
            self.scroll_to(y=last - height + 1, animate=False, immediate=True)

    def _after_move(self) -> None:
        cid = self.current_id
        if cid != self._announced:
            self._announced = cid
            self.post_message(self.Highlighted(self, cid))
        self._check_near_end()

    def check_near_end(self) -> None:
        """Ask again whether the cursor is near the end (after a load that could not take
        the request: the message is otherwise sent once per loaded length)."""
        self._near_end_sent_at = None
        self._check_near_end()

    def _check_near_end(self) -> None:
        loaded = len(self._rows)
        if not loaded or self._loading_more or self._load_error is not None:
            return
        if self.total is not None and len(self.conversations) >= self.total:
            return
        if self._cursor >= loaded - NEAR_END and self._near_end_sent_at != loaded:
            self._near_end_sent_at = loaded
            self.post_message(self.NearEnd(self, loaded))

    def _refresh_row(self, index: int) -> None:
        self.refresh_line(1 + index)  # a virtual line: the header is line 0

    # marks --------------------------------------------------------------------------------
    def toggle_mark(self) -> None:
        cid = self.current_id
        if cid is None:
            return
        self.marked.symmetric_difference_update({cid})
        self._refresh_row(self._cursor)
        if self._cursor < len(self._rows) - 1:
            self.move_cursor(row=self._cursor + 1)

    def targets(self) -> list[Conversation]:
        """The marked conversations in list order, else the one under the cursor."""
        if self.marked:
            return [c for c in self._rows if c.id in self.marked] or [
                self.conversations[i] for i in sorted(self.marked) if i in self.conversations
            ]
        cur = self.current
        return [cur] if cur else []

    def next_id_after(self, conversation_id: int) -> int | None:
        i = self._index.get(conversation_id)
        if i is None:
            return None
        if i + 1 < len(self._rows):
            return self._rows[i + 1].id
        return self._rows[i - 1].id if i > 0 else None

    # painting -----------------------------------------------------------------------------
    def layout_for(self, width: int) -> Layout:
        return choose_layout(width, self._number_width)

    def cells(self, conv: Conversation, layout: Layout | None = None) -> dict[str, Text]:
        """A row's cells (unfitted), built when painted and dropped after."""
        short = layout.short if layout else False
        now = self._now()
        mark = Text("●" if conv.id in self.marked else " ", "bold cyan")
        number = Text(str(conv.number or ""), "dim", justify="right")
        who = safe_text(
            conv.primary_customer.display if conv.primary_customer else "", one_line=True
        )
        flags = self.flags(conv)
        weight = "bold" if conv.status == "active" or CHANGED_MARK in flags else ""
        subject = safe_text(conv.subject or "(no subject)", weight, one_line=True)
        if flags:
            subject = Text(f"{flags} ", "bold", end="") + subject
        word = SHORT_STATUS.get(conv.status, conv.status) if short else conv.status
        status = Text(word, STATUS_STYLE.get(conv.status, ""))
        assignee = safe_text(conv.assignee.display if conv.assignee else "—", one_line=True)
        if short and conv.assignee is not None and conv.assignee.first:
            assignee = safe_text(conv.assignee.first, one_line=True)
        tags = safe_text(", ".join(conv.tag_names), "italic", one_line=True)
        since = conv.customer_waiting_since.time if conv.customer_waiting_since else None
        wait = Text(waiting(since, now) if conv.status == "active" else "")
        if since is not None and conv.status == "active":
            minutes = (now - since).total_seconds() / 60
            if minutes >= self._alert:
                wait = Text("!! " if not short else "!!", "bold red") + wait
            elif minutes >= self._warn:
                wait = Text("! " if not short else "!", "bold yellow") + wait
        wait = snooze_cell(conv, now) or wait  # a snoozed row shows when it wakes instead
        wait = scheduled_cell(conv, now) or wait  # a reply waiting to go out: when it goes
        updated = Text(waiting(conv.modified_at, now), "dim")
        return {
            "mark": mark,
            "number": number,
            "customer": who,
            "subject": subject,
            "status": status,
            "assignee": assignee,
            "tags": tags,
            "waiting": wait,
            "updated": updated,
        }

    def _line(self, parts: list[Text], layout: Layout, width: int) -> Text:
        line = Text(end="", no_wrap=True)
        gap = " " * layout.gap
        gap_style: str | Style = ""
        for key, part in zip(layout.keys, parts, strict=True):
            cell_width = layout.widths[key]
            style = part.style
            if key == "number":  # right-aligned, as numbers read
                part = Text(" " * max(0, cell_width - cell_len(part.plain)), end="") + part
            fitted = fit(part, cell_width)
            line.append(gap if key != "mark" else " ", gap_style)
            line.append_text(fitted)
            gap_style = gap_style_after(style)
        pad = width - cell_len(line.plain)
        if pad > 0:
            line.append(" " * pad)
        return line

    def header_text(self, width: int) -> Text:
        layout = self.layout_for(width)
        sort_key = SORTS[self.sort_index][0]
        parts = []
        for key in layout.keys:
            title = dict(COLUMNS)[key]
            if layout.short and key in SHORT_TITLES:
                title = SHORT_TITLES[key]
            if key == sort_key:  # the indicator in the title's last cell when it must
                title = f"{title[: max(0, layout.widths[key] - 1)]}▾"
            parts.append(Text(title))
        return self._line(parts, layout, width)

    def row_text(self, conv: Conversation, width: int) -> Text:
        """One row as drawn at ``width`` cells (without the cursor style)."""
        layout = self.layout_for(width)
        cells = self.cells(conv, layout)
        return self._line([cells[key] for key in layout.keys], layout, width)

    def render_lines(self, crop: Region) -> list[Strip]:
        """One frame: the styles and the width are looked up once, not once per line."""
        self._frame = None
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def _frame_styles(self) -> _Frame:
        frame = self._frame
        if frame is None:
            base = self.rich_style
            frame = _Frame(
                width=self.scrollable_content_region.width,
                base=base,
                header=base + self.get_component_rich_style("conversation-list--header"),
                cursor=base + self.get_component_rich_style("conversation-list--cursor"),
                note=base + self.get_component_rich_style("conversation-list--note"),
                error=base + self.get_component_rich_style("conversation-list--error"),
                minute=self._now().replace(second=0, microsecond=0),
            )
            self._frame = frame
        return frame

    def render_line(self, y: int) -> Strip:
        frame = self._frame_styles()
        width = frame.width
        if y == 0:
            return self._strip(self.header_text(width), frame.header, width)
        index = round(self.scroll_y) + y - 1
        if 0 <= index < len(self._rows):
            conv = self._rows[index]
            shown = index == self._cursor and not self.cursor_hidden
            style = frame.cursor if shown else frame.base
            # A scroll by one row redraws every line: the others come from this small cache,
            # keyed by everything a row's look depends on (the object changes when it does).
            key = (id(conv), conv.id in self.marked, self.flags(conv), style, width, frame.minute)
            strip = self._strips.get(key)
            if strip is None or strip[0] is not conv:
                strip = (conv, self._strip(self.row_text(conv, width), style, width))
                self._strips[key] = strip
                if len(self._strips) > STRIP_CACHE:
                    self._strips.popitem(last=False)
            else:
                self._strips.move_to_end(key)
            return strip[1]
        if index == len(self._rows) and self._extra_rows():
            if self._load_error is not None:
                text = Text(f" Could not load more: {self._load_error}; move to retry")
                style = frame.error
            else:
                text = Text(" loading…")
                style = frame.note
            return self._strip(fit(text, width), style, width)
        return Strip.blank(width, frame.base)

    def _strip(self, text: Text, style: Style, width: int) -> Strip:
        """The row's own styles (marks, waiting alerts) over the line's (cursor, header)."""
        segments = [
            Segment(s.text, style + s.style if s.style else style)
            for s in text.render(self.app.console)
        ]
        return Strip(segments, cell_len(text.plain)).crop_extend(0, width, style)


@dataclass(frozen=True)
class _Frame:
    """What every line of one frame shares."""

    width: int
    base: Style
    header: Style
    cursor: Style
    note: Style
    error: Style
    minute: datetime


CHANGED_MARK = "●"


def _no_flags(conv: Conversation) -> str:
    return ""


def snooze_cell(conv: Conversation, now: datetime) -> Text | None:
    """The waiting cell of a snoozed conversation: when it wakes, short enough for the
    narrowest waiting column (None once awake)."""
    until = conv.snooze.snoozed_until if conv.snooze else None
    if until is None or until <= now:
        return None
    local, today = until.astimezone(), now.astimezone()
    if local.date() == today.date():
        when = local.strftime("%H:%M")
    elif (local.date() - today.date()).days < 7:
        when = local.strftime("%a")
    else:
        when = local.strftime("%d/%m")
    return Text(f"z {when}", "italic magenta")
