"""Help Scout's search query syntax (the ``query`` parameter of the conversation list)."""

from __future__ import annotations


def quoted(text: str) -> str:
    """``text`` as one quoted phrase: backslashes and double quotes escaped, so what an agent
    typed (or a subject) can never end the phrase or add operators of its own."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def field_phrase(field: str, text: str) -> str:
    """``field:"text"``, e.g. ``subject:"Refund \\"now\\""``."""
    return f"{field}:{quoted(text)}"


__all__ = ["field_phrase", "quoted"]
