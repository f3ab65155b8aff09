"""A checkbox that reads checked or not by its mark alone: ``[x]`` / ``[ ]``.

Textual's ``Checkbox`` draws the same "X" either way and tells the states apart by colour, so
under ``NO_COLOR`` (or a monochrome terminal) a checked box and an empty one look alike.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox

CHECKED = "[x]"
UNCHECKED = "[ ]"


class TickBox(Checkbox):
    """``Checkbox`` with distinct marks, through its public ``BUTTON_*`` glyphs: the whole
    mark is the button (styled in app.tcss); the half-block sides, drawn in the button's
    background colour, are left out."""

    BUTTON_LEFT = ""
    BUTTON_RIGHT = ""

    def render(self) -> Content:
        self.BUTTON_INNER = CHECKED if self.value else UNCHECKED
        return super().render()
