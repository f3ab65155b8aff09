"""List cells are stored compactly and must paint exactly as the Text they were made from."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from hsinbox.inbox.text import safe_text
from hsinbox.tui.widgets import Cell


def segments(renderable: object) -> list[tuple[str, str]]:
    console = Console(width=40, color_system="truecolor", force_terminal=True)
    return [(s.text, str(s.style)) for s in console.render(renderable)]


def test_a_cell_paints_like_its_text() -> None:
    wait = Text("!! ", "bold red") + Text("3 h")
    for text in (wait, safe_text("Chloé [b]not markup[/b]", "bold"), Text("42", "dim")):
        cell = Cell(text)
        assert segments(cell) == segments(text)
        assert str(cell) == cell.plain == text.plain


def test_a_cell_keeps_no_text_object() -> None:
    text = Text("!! 3 h", "dim")
    text.stylize("bold red", 0, 3)
    cell = Cell(text)
    assert segments(cell) == segments(text)
    assert not hasattr(cell, "__dict__")
    assert cell.spans is not None and all(not isinstance(v, Text) for v in cell.spans)
    assert cell.__rich__() is not cell.__rich__()
