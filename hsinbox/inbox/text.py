"""Untrusted text from Help Scout, made safe and readable for a terminal.

Everything the API sends (subjects, names, HTML bodies, tags) may carry terminal escape
sequences, control characters, bidi overrides or strings that look like Rich markup. The UI
shows API text only through :func:`safe_text`, which strips the dangerous bytes and builds a
``rich.text.Text`` directly, so nothing is ever parsed as markup.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from html.parser import HTMLParser
from typing import Generic, TypeVar

from rich.text import Text

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# ESC-introduced sequences: CSI (ESC [ ... final), OSC / DCS / APC / PM / SOS (ESC ] ... ST or
# BEL), two-byte escapes (ESC + one char). Also the 8-bit C1 forms (0x9b CSI, 0x9d OSC, ...).
_ESCAPES = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                       # CSI
  | \x9b[0-?]*[ -/]*[@-~]?                         # 8-bit CSI
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])        # OSC DCS SOS PM APC (7- and 8-bit)
    [^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?          #   ... up to BEL / ST
  | \x1b[ -/]*[0-~]?                               # other escapes (ESC c, ESC ( B, lone ESC)
    """,
    re.VERBOSE,
)
# The one set of rules for text from the API (every screen, list cell and header uses it):
# C0 (except \n and \t), DEL and C1; and the invisible format characters, which can hide
# or reorder what a reader sees: soft hyphen, Arabic letter mark, Mongolian vowel separator,
# zero-width space and non-joiner, LRM/RLM, bidi embeddings, overrides and isolates, word
# joiner and invisible operators, deprecated format controls, BOM, interlinear annotations
# and the tag characters (invisible ASCII).
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
# A zero-width joiner joins emoji (👨‍👩‍👧, ❤️‍🔥); anywhere else it is one more invisible character.
_EMOJI = "\u2600-\u27bf\u2b00-\u2bff\ufe0f\U0001f000-\U0001faff"
_STRAY_ZWJ = re.compile(f"(?<![{_EMOJI}])\u200d|\u200d(?![{_EMOJI}])")
# Line and paragraph separators are line breaks.
_SEPARATORS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})
# ``one_line`` (list cells, one-line headers) also drops what terminals disagree about the
# width of: a ZWJ sequence is one glyph in some and every part in others, a skin tone joins or
# stands alone, a variation selector widens a symbol in some only. Drawn as their parts, every
# terminal and Rich agree on a row's width. Line breaks become spaces.
_UNSTEADY = re.compile("[\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0100-\U000e01ef]")
_BREAKS = re.compile(r"\s*\n\s*")


def clean(s: str | None, *, one_line: bool = False) -> str:
    """Strip escape sequences, control and invisible format characters and bidi overrides;
    tabs become spaces. ``one_line``: also the width-unsteady joiners and modifiers, and line
    breaks become spaces (a list cell, a header)."""
    if not s:
        return ""
    s = s.replace("\r\n", "\n")
    s = _ESCAPES.sub("", s)
    s = s.replace("\t", "    ").replace("\r", "\n").translate(_SEPARATORS)
    s = _CONTROLS.sub("", s)
    if "\u200d" in s:
        s = _STRAY_ZWJ.sub("", s)
    if one_line:
        s = _UNSTEADY.sub("", s)
        if "\n" in s:
            s = _BREAKS.sub(" ", s)
    return s


def safe_text(s: str | None, style: str = "", *, one_line: bool = False) -> Text:
    """A Rich ``Text`` holding ``s`` literally: cleaned, never interpreted as markup."""
    return Text(clean(s, one_line=one_line), style=style, end="")


# --- HTML ------------------------------------------------------------------------------


@dataclass
class Block:
    """One paragraph-like unit of a message body; ``quoted`` marks history to fold."""

    text: str
    quoted: bool = False
    kind: str = "p"  # p, li, pre, heading


_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "ul",
    "ol",
    "li",
    "blockquote",
    "hr",
    "address",
    "dl",
    "dt",
    "dd",
    "center",
    "form",
    "fieldset",
    "figure",
}
_DROP_TAGS = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}
_VOID_TAGS = {"br", "img", "hr", "input", "meta", "link", "area", "base", "col", "wbr", "source"}
_WROTE = re.compile(r"^\s*(On\b.{0,300}\bwrote:|-{2,}\s*Original Message\s*-{2,})", re.I | re.S)
_BR = "\ue000"  # a line break from <br>, kept apart from source newlines until flush
_CELL = "\ue001"  # a table cell starts; empty cells and separators at a line's ends vanish
CELL_SEPARATOR = " | "
_LOOKS_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>|&[a-zA-Z]+;|&#\d+;")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._buf: list[str] = []
        self._drop = 0
        self._quote = 0  # depth of quoting elements
        self._quote_stack: list[bool] = []  # per open element: did it start a quote?
        self._lists: list[list[int]] = []  # per open list: [ordered(0/1), counter]
        self._pre = 0
        self._link: tuple[str, int] | None = None  # href, buffer length at start
        self._kind = "p"
        self._quoted_rest = False  # after "On ... wrote:" everything is history

    # block handling
    def _flush(self) -> None:
        raw = "".join(self._buf)
        self._buf = []
        if self._pre:
            text = clean(raw.replace(_BR, "\n")).strip("\n")
        else:
            lines = [_cells(line) for line in clean(raw).split(_BR)]
            text = "\n".join(line for line in lines if line)
        if not text:
            self._kind = "p"
            return
        quoted = self._quote > 0 or self._quoted_rest
        if not quoted and not self._lists and _WROTE.match(text):
            self._quoted_rest = True
            quoted = True
        self.blocks.append(Block(text=text, quoted=quoted, kind=self._kind))
        self._kind = "p"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_TAGS:
            self._drop += 1
            return
        if self._drop:
            return
        attr = dict(attrs)
        if tag == "br":
            self._buf.append(_BR)
            return
        if tag == "img":
            alt = attr.get("alt")
            if alt:
                self._buf.append(f"[image: {alt}]")
            return
        if tag == "a":
            self._link = (attr.get("href") or "", len(self._buf))
            return
        if tag == "tr":  # a row is a line of its table's block
            self._buf.append(_BR)
            return
        if tag in ("td", "th"):
            self._buf.append(_CELL)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
            classes = (attr.get("class") or "").split()
            starts_quote = tag == "blockquote" or any(
                c in ("gmail_quote", "yahoo_quoted", "moz-cite-prefix") for c in classes
            )
            if tag not in _VOID_TAGS:
                self._quote_stack.append(starts_quote)
            if starts_quote:
                self._quote += 1
            if tag in ("ul", "ol"):
                self._lists.append([1 if tag == "ol" else 0, 0])
            elif tag == "li":
                self._kind = "li"
                if self._lists and self._lists[-1][0]:
                    self._lists[-1][1] += 1
                    marker = f"{self._lists[-1][1]}. "
                else:
                    marker = "• "
                indent = "  " * max(len(self._lists) - 1, 0)
                self._buf.append(indent + marker)
            elif tag == "pre":
                self._pre += 1
                self._kind = "pre"
            elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self._kind = "heading"
            elif tag == "hr":
                self.blocks.append(Block(text="―" * 10, quoted=self._quote > 0, kind="hr"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._drop = max(self._drop - 1, 0)
            return
        if self._drop:
            return
        if tag == "a":
            if self._link is not None:
                href, start = self._link
                self._link = None
                label = _SPACES.sub(" ", "".join(self._buf[start:])).strip()
                href_clean = clean(href).strip()
                if href_clean and not href_clean.lower().startswith("javascript:"):
                    shown = href_clean.removeprefix("mailto:")
                    if label != href_clean and label != shown:
                        self._buf.append(f" <{href_clean}>")
            return
        if tag == "tr":
            self._buf.append(_BR)
            return
        if tag in _BLOCK_TAGS and tag not in _VOID_TAGS:
            self._flush()
            if tag == "pre":
                self._pre = max(self._pre - 1, 0)
            if tag in ("ul", "ol") and self._lists:
                self._lists.pop()
            if self._quote_stack and self._quote_stack.pop():
                self._quote = max(self._quote - 1, 0)

    def handle_data(self, data: str) -> None:
        if not self._drop:
            self._buf.append(data.replace(_BR, "").replace(_CELL, ""))

    def close(self) -> None:
        super().close()
        self._flush()


class BoundedCache(Generic[K, V]):
    """Least recently used out first, bounded by the total size of what it holds (bytes,
    roughly: a body's characters), not by a count: 4,096 entries of 5 MB bodies is 20 GB."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: K, value: V, size: int) -> None:
        if size > self.max_bytes:
            return  # larger than the whole budget: parsed again when asked again
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._items[key] = (value, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self.bytes -= dropped

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0


#: Parsed bodies: opening a conversation again never parses it again (a 5 MB message took
#: ~1.5 s each visit). Keyed by the HTML itself (its hash is computed once per string).
BLOCKS_CACHE: BoundedCache[tuple[str, int | None], list[Block]] = BoundedCache(48 * 1024 * 1024)
#: Plain text of bodies, for the search index and the sent-thread check.
PLAIN_CACHE: BoundedCache[str, str] = BoundedCache(16 * 1024 * 1024)

#: Characters of a body's HTML shown before the rest is folded (``head_blocks``).
FOLD_CHARS = 20_000


def html_to_blocks(html: str | None) -> list[Block]:
    """Readable blocks from an HTML (or plain-text) message body (cached; do not mutate)."""
    if not html:
        return []
    key = (html, None)
    blocks = BLOCKS_CACHE.get(key)
    if blocks is None:
        blocks = _parse_blocks(html)
        BLOCKS_CACHE.put(key, blocks, 2 * len(html))
    return blocks


def head_blocks(html: str | None, limit: int = FOLD_CHARS) -> tuple[list[Block], int]:
    """The blocks of a body's first ``limit`` characters and how many were left out, so a
    5 MB message shows its start at once instead of being parsed whole on the key press."""
    if not html or len(html) <= limit:
        return html_to_blocks(html), 0
    cut = html.rfind(">", 0, limit) + 1 if _LOOKS_HTML.search(html, 0, limit) else 0
    if cut <= limit // 2:  # no tag end near the limit (plain text, one huge tag)
        cut = limit
    key = (html, cut)
    blocks = BLOCKS_CACHE.get(key)
    if blocks is None:
        blocks = _parse_blocks(html[:cut])
        BLOCKS_CACHE.put(key, blocks, 2 * cut)
    return blocks, len(html) - cut


def _parse_blocks(html: str) -> list[Block]:
    if not _LOOKS_HTML.search(html):
        # Plain text: split on blank lines, keep line breaks.
        html = "".join(
            f"<p>{_escape_plain(part)}</p>" for part in re.split(r"\n\s*\n", html) if part.strip()
        )
    parser = _Parser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # a malformed body must still show something
        return [Block(text=_SPACES.sub(" ", clean(unescape(re.sub(r"<[^>]*>", " ", html)))))]
    blocks = parser.blocks
    # Plain-text quoting with leading ">".
    for block in blocks:
        lines = block.text.split("\n")
        if lines and all(line.startswith(">") for line in lines):
            block.quoted = True
    return blocks


def _cells(line: str) -> str:
    """One line of a block, spaces collapsed; a table row's cells joined by the separator
    (so ``<td>Name</td><td>Ann</td>`` reads ``Name | Ann``, not ``NameAnn``)."""
    parts = (_SPACES.sub(" ", part).strip() for part in line.split(_CELL))
    return CELL_SEPARATOR.join(part for part in parts if part)


def html_to_plain(html: str | None) -> str:
    """An HTML (or plain-text) body as plain text, quoted history included: the one
    HTML-to-text path behind the reader (``html_to_blocks``), the search index and the
    "is this the thread we sent?" comparison. Blocks are separated by blank lines."""
    if not html:
        return ""
    return _plain(html)


def _plain(html: str) -> str:
    # Cached (by bytes): local search reads the same bodies on every keystroke.
    plain = PLAIN_CACHE.get(html)
    if plain is None:
        plain = "\n\n".join(block.text for block in _parse_blocks(html))
        PLAIN_CACHE.put(html, plain, len(html) + len(plain))
    return plain


def _escape_plain(part: str) -> str:
    return part.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>")


def blocks_to_text(blocks: list[Block], *, show_quoted: bool = False) -> Text:
    """Join blocks into one Text; folded history becomes a single dim line."""
    out = Text(end="")
    hidden = 0
    first = True
    for block in blocks:
        if block.quoted and not show_quoted:
            hidden += 1
            continue
        if not first:
            out.append("\n\n" if block.kind != "li" else "\n")
        first = False
        style = "dim italic" if block.quoted else ("bold" if block.kind == "heading" else "")
        out.append(safe_text(block.text, style))
    if hidden:
        if not first:
            out.append("\n\n")
        out.append(f"··· quoted history hidden ({hidden} block{'s' if hidden > 1 else ''})", "dim")
    return out


# --- Markdown -----------------------------------------------------------------------------

_md = None


def markdown_to_html(md: str) -> str:
    """Markdown typed by an agent → the HTML Help Scout expects. Typed HTML is escaped."""
    global _md
    if _md is None:
        from markdown_it import MarkdownIt

        _md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    return _md.render(md).strip()


# --- small formatters -----------------------------------------------------------------------


def human_size(n: int | None) -> str:
    """Bytes as a short human string: 512 B, 1.5 KB, 2.0 MB."""
    if n is None or n < 0:
        return "?"
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    return f"{n} B"


def waiting(dt: datetime | None, now: datetime) -> str:
    """How long ago ``dt`` was, compactly: "now", "12m", "3h", "2d"."""
    if dt is None:
        return ""
    if dt.tzinfo is None and now.tzinfo is not None:
        dt = dt.replace(tzinfo=now.tzinfo)
    elif now.tzinfo is None and dt.tzinfo is not None:
        now = now.replace(tzinfo=dt.tzinfo)
    seconds = (now - dt).total_seconds()
    if seconds < 60:
        return "now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 24:
        return f"{hours}h"
    return f"{hours // 24}d"
