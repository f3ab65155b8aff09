"""text.py: hostile strings are neutralised, HTML becomes readable blocks."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from hsinbox.inbox.text import (
    Block,
    blocks_to_text,
    clean,
    html_to_blocks,
    html_to_plain,
    human_size,
    markdown_to_html,
    safe_text,
    waiting,
)

HOSTILE = [
    "\x1b[31mred\x1b[0m",
    "\x1b]0;pwned title\x07after",
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\x1bP+q544e\x1b\\dcs",
    "\x1b_apc payload\x1b\\apc",
    "\x9b31mc1csi",
    "\x9d0;c1 osc\x9cz",
    "bell\x07 back\x08space del\x7f nul\x00",
    "\x1bcreset",
    "\x1b[2J\x1b[Hclear",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_clean_removes_every_escape_and_control(raw: str) -> None:
    out = clean(raw)
    assert "\x1b" not in out
    assert not any(ord(c) < 32 and c not in "\n" for c in out)
    assert not any(0x7F <= ord(c) <= 0x9F for c in out)


def test_clean_keeps_visible_text() -> None:
    assert clean("\x1b[31mred\x1b[0m") == "red"
    assert clean("\x1b]0;pwned title\x07after") == "after"
    assert clean("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\") == "link"
    assert clean("a\tb\r\nc") == "a    b\nc"
    assert clean(None) == ""


def test_clean_strips_bidi_overrides_keeps_rtl_letters() -> None:
    raw = "invoice\u202egpj.exe \u2066x\u2069 שלום مرحبا"
    out = clean(raw)
    assert out == "invoicegpj.exe x שלום مرحبا"


def test_clean_keeps_emoji_and_combining() -> None:
    assert clean("Thanks 👍🏽 café e\u0301 👨‍👩‍👧") == "Thanks 👍🏽 café e\u0301 👨‍👩‍👧"


def test_safe_text_never_parses_markup() -> None:
    text = safe_text("[bold red]boom[/] [link=http://x]y[/link] [/]", "italic")
    assert text.plain == "[bold red]boom[/] [link=http://x]y[/link] [/]"
    assert [span.style for span in text.spans] == []
    assert text.style == "italic"
    console = Console(width=80, record=True, color_system=None)
    console.print(text)
    assert "[bold red]boom[/]" in console.export_text()


def test_safe_text_output_has_no_escape_bytes() -> None:
    console = Console(width=80, file=io.StringIO(), color_system=None, record=True)
    for raw in HOSTILE:
        console.print(safe_text(raw))
    assert "\x1b" not in console.export_text(styles=False)


def test_html_paragraphs_breaks_entities_and_whitespace() -> None:
    blocks = html_to_blocks("<p>Hello   &amp;\n welcome&nbsp;back</p><div>line1<br>line2</div>")
    assert [b.text for b in blocks] == ["Hello & welcome back", "line1\nline2"]
    assert not any(b.quoted for b in blocks)


def test_html_lists_bulleted_and_numbered() -> None:
    blocks = html_to_blocks("<ul><li>one</li><li>two</li></ul><ol><li>a</li><li>b</li></ol>")
    assert [b.text for b in blocks] == ["• one", "• two", "1. a", "2. b"]
    assert all(b.kind == "li" for b in blocks)


def test_html_links_show_url_only_when_different() -> None:
    blocks = html_to_blocks(
        '<p><a href="https://x.example/a">docs</a> and '
        '<a href="https://x.example/b">https://x.example/b</a> '
        '<a href="mailto:a@b.example">a@b.example</a></p>'
    )
    assert blocks == [Block("docs <https://x.example/a> and https://x.example/b a@b.example")]


def test_html_drops_script_style_and_javascript_links() -> None:
    blocks = html_to_blocks(
        "<style>p{color:red}</style><script>alert(1)</script><p>"
        '<a href="javascript:alert(1)">click</a></p>'
    )
    assert [b.text for b in blocks] == ["click"]


def test_html_blockquote_and_gmail_quote_are_quoted() -> None:
    blocks = html_to_blocks(
        "<p>New text</p><blockquote><p>old 1</p><p>old 2</p></blockquote>"
        '<p>after</p><div class="gmail_quote">On Mon, Bob wrote:<div>older</div></div>'
    )
    assert [(b.text, b.quoted) for b in blocks] == [
        ("New text", False),
        ("old 1", True),
        ("old 2", True),
        ("after", False),
        ("On Mon, Bob wrote:", True),
        ("older", True),
    ]


def test_html_on_wrote_marks_rest_as_history() -> None:
    blocks = html_to_blocks(
        "<p>Thanks!</p><p>On Tue, 3 Mar 2026, Ann &lt;ann@x.example&gt; wrote:</p><p>hi</p>"
    )
    assert [b.quoted for b in blocks] == [False, True, True]


def test_html_plain_text_body() -> None:
    blocks = html_to_blocks("first line\nsecond 3 < 4 > 2\n\n> quoted\n> more")
    assert blocks[0].text == "first line\nsecond 3 < 4 > 2"
    assert blocks[1].quoted is True


def test_html_hostile_escapes_and_markup_survive_literally() -> None:
    blocks = html_to_blocks("<p>\x1b[2J[bold]x[/bold] &#27;]0;t&#7;</p>")
    assert blocks[0].text == "[bold]x[/bold] ]0;t"
    text = blocks_to_text(blocks)
    assert "\x1b" not in text.plain and "[bold]x[/bold]" in text.plain


def test_blocks_to_text_folds_quoted() -> None:
    blocks = [Block("new"), Block("old", quoted=True), Block("older", quoted=True)]
    assert blocks_to_text(blocks).plain == "new\n\n··· quoted history hidden (2 blocks)"
    assert blocks_to_text(blocks, show_quoted=True).plain == "new\n\nold\n\nolder"


def test_large_body_is_linear_not_quadratic() -> None:
    """A generous bound: only a quadratic blow-up (minutes) can trip it, not a busy CI box."""
    para = "<p>Lorem <b>ipsum</b> dolor <a href='https://e.example'>sit</a> amet &amp; co.</p>"
    html = para * (300_000 // len(para))
    assert len(html) >= 290_000
    start = time.perf_counter()
    blocks = html_to_blocks(html)
    blocks_to_text(blocks)
    assert time.perf_counter() - start < 5
    assert len(blocks) == 300_000 // len(para)


def test_large_escape_flood_is_linear_not_quadratic() -> None:
    raw = "\x1b[" * 100_000 + "x"
    start = time.perf_counter()
    out = clean(raw)
    assert time.perf_counter() - start < 5
    assert "\x1b" not in out


def test_markdown_to_html_escapes_typed_html() -> None:
    html = markdown_to_html("**Hi** <script>alert(1)</script>\n\n- a\n- b")
    assert "<strong>Hi</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<li>a</li>" in html


def test_human_size() -> None:
    assert human_size(0) == "0 B"
    assert human_size(512) == "512 B"
    assert human_size(1536) == "1.5 KB"
    assert human_size(5 * 1024 * 1024) == "5.0 MB"
    assert human_size(None) == "?"


def test_waiting() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert waiting(now - timedelta(seconds=10), now) == "now"
    assert waiting(now - timedelta(minutes=12), now) == "12m"
    assert waiting(now - timedelta(hours=3, minutes=5), now) == "3h"
    assert waiting(now - timedelta(days=2, hours=1), now) == "2d"
    assert waiting(None, now) == ""


# --- tables and the one HTML-to-text path -----------------------------------------------


def test_a_table_row_is_a_line_with_its_cells_separated() -> None:
    blocks = html_to_blocks(
        "<table><tr><th>Name</th><th>Plan</th></tr>"
        "<tr><td>Ann</td><td>Pro</td></tr></table><p>Thanks</p>"
    )
    assert [b.text for b in blocks] == ["Name | Plan\nAnn | Pro", "Thanks"]


def test_empty_cells_and_cell_padding_leave_no_stray_separator() -> None:
    html = "<table><tr><td> </td><td>\n  Ann\n</td><td></td><td>33</td></tr></table>"
    assert html_to_plain(html) == "Ann | 33"


def test_the_issue_example_no_longer_reads_as_one_word() -> None:
    assert html_to_plain("<tr><td>Name</td><td>Ann</td></tr>") == "Name | Ann"


def test_a_layout_table_keeps_its_paragraphs() -> None:
    html = "<table><tr><td><p>Hello there</p><p>Second</p></td></tr></table>"
    assert html_to_plain(html) == "Hello there\n\nSecond"


def test_markers_in_the_text_itself_are_not_taken_for_structure() -> None:
    assert html_to_plain("<p>a\ue001b\ue000c</p>") == "abc"


def test_the_index_and_the_sent_check_read_html_as_the_reader_does() -> None:
    from hsinbox.inbox.actions import normalise_text
    from hsinbox.inbox.cache import strip_html

    html = (
        "<style>p {color: red}</style><table><tr><td>Order</td><td>#42</td></tr></table>"
        "<p>Caf&eacute; <b>ok</b></p>"
    )
    assert html_to_plain(html) == "Order | #42\n\nCafé ok"
    assert strip_html(html) == "Order | #42 Café ok"
    assert normalise_text(html) == "order | #42 café ok"
    assert normalise_text("<p>Order | #42</p><p>Café ok</p>") == normalise_text(html)


INVISIBLE = {
    "\u200b": "zero width space",
    "\u200c": "zero width non-joiner",
    "\u200d": "zero width joiner (between letters)",
    "\ufeff": "byte order mark",
    "\u2060": "word joiner",
    "\u00ad": "soft hyphen",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
    "\U000e0041": "tag A (invisible ASCII)",
}


@pytest.mark.parametrize("char", sorted(INVISIBLE), ids=lambda c: INVISIBLE[c])
def test_invisible_format_characters_are_removed(char: str) -> None:
    assert clean(f"pay{char}pal") == "paypal"
    assert clean(f"pay{char}pal", one_line=True) == "paypal"


def test_line_separators_are_line_breaks_and_one_line_folds_them() -> None:
    assert clean("a\u2028b\u2029c") == "a\nb\nc"
    assert clean("a\u2028b\n  c", one_line=True) == "a b c"


def test_emoji_that_render_are_kept_and_one_line_flattens_them() -> None:
    family = "👨\u200d👩\u200d👧"
    fire = "❤\ufe0f\u200d🔥"
    assert clean(f"{family} {fire} 👍🏽") == f"{family} {fire} 👍🏽"
    assert clean(f"{family} {fire} 👍🏽", one_line=True) == "👨👩👧 ❤🔥 👍"
    assert safe_text(f"x{family}", "bold", one_line=True).plain == "x👨👩👧"
