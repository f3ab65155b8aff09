"""The ``query=`` search language of List Conversations / List Customers.

Terms are ``field:"value"``, ``field:value``, ``field:[low TO high]`` (dates) or bare words,
combined with ``AND``, ``OR``, ``NOT`` and parentheses; two terms side by side mean AND.
Matching is case-insensitive substring matching, close enough to Help Scout's full-text
search for a sandbox.
A query that does not parse is a 400, like the v3 search endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A query compiles to a predicate over a "document": field name -> list of searchable strings.
Document = dict[str, list[str]]
_DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
Predicate = Callable[[Document], bool]


class QuerySyntaxError(ValueError):
    """The query cannot be parsed; the message says where."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # "term", "range", "and", "or", "not", "(", ")"
    field: str | None = None
    value: str = ""
    exact: bool = False
    upper: str = ""


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<lp>\()|(?P<rp>\))|
        (?P<rfield>[A-Za-z_][A-Za-z0-9_.]*):\[\s*(?P<lo>[^\s\]]+)\s+TO\s+(?P<hi>[^\s\]]+)\s*\]|
        (?:(?P<field>[A-Za-z_][A-Za-z0-9_.]*):)?
        (?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s()"]+))
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise QuerySyntaxError(f"Unexpected character at position {pos}")
        pos = m.end()
        if m.group("lp"):
            tokens.append(_Tok("("))
            continue
        if m.group("rp"):
            tokens.append(_Tok(")"))
            continue
        if m.group("rfield"):
            tokens.append(
                _Tok("range", m.group("rfield").lower(), m.group("lo"), upper=m.group("hi"))
            )
            continue
        field = m.group("field")
        quoted = m.group("quoted")
        if quoted is not None:
            value = re.sub(r"\\(.)", r"\1", quoted)
            tokens.append(_Tok("term", field.lower() if field else None, value, True))
            continue
        bare = m.group("bare") or ""
        if field is None and bare in ("AND", "OR", "NOT"):
            tokens.append(_Tok(bare.lower()))
        else:
            tokens.append(_Tok("term", field.lower() if field else None, bare, False))
    return tokens


class _Parser:
    def __init__(
        self,
        tokens: list[_Tok],
        fields: set[str],
        exact_fields: set[str],
        range_fields: set[str],
    ) -> None:
        self.tokens = tokens
        self.i = 0
        self.fields = fields
        self.exact_fields = exact_fields
        self.range_fields = range_fields

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        if not self.tokens:
            raise QuerySyntaxError("Empty query")
        pred = self.expr()
        if self.peek() is not None:
            raise QuerySyntaxError("Unbalanced parenthesis")
        return pred

    def expr(self) -> Predicate:
        parts = [self.conj()]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            parts.append(self.conj())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: any(p(doc) for p in parts)

    def conj(self) -> Predicate:
        parts = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind in (
            "and",
            "not",
            "term",
            "range",
            "(",
        ):
            if tok.kind == "and":
                self.take()
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: all(p(doc) for p in parts)

    def unary(self) -> Predicate:
        tok = self.peek()
        if tok is None:
            raise QuerySyntaxError("Query ends too early")
        if tok.kind == "not":
            self.take()
            inner = self.unary()
            return lambda doc: not inner(doc)
        if tok.kind == "(":
            self.take()
            inner = self.expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QuerySyntaxError("Unbalanced parenthesis")
            self.take()
            return inner
        if tok.kind == "term":
            self.take()
            return self.term(tok)
        if tok.kind == "range":
            self.take()
            return self.range(tok)
        raise QuerySyntaxError(f"Unexpected {tok.kind.upper()}")

    def range(self, tok: _Tok) -> Predicate:
        """``field:[low TO high]`` on ISO dates (``*`` = open end), inclusive."""
        field = tok.field or ""
        if field not in self.range_fields:
            raise QuerySyntaxError(f"Range not supported on field: {tok.field}")
        low, high = tok.value, tok.upper
        for bound in (low, high):
            if bound != "*" and not _DATE_RE.match(bound):
                raise QuerySyntaxError(f"Malformed date in range: {bound}")

        def match(doc: Document) -> bool:
            return any(
                (low == "*" or value >= low) and (high == "*" or value <= high)
                for value in doc.get(field, ())
            )

        return match

    def term(self, tok: _Tok) -> Predicate:
        field = tok.field or "_text"
        if field != "_text" and field not in self.fields:
            raise QuerySyntaxError(f"Unknown search field: {tok.field}")
        needle = tok.value.lower()
        if field in self.exact_fields:
            return lambda doc: any(needle == value.lower() for value in doc.get(field, ()))

        def match(doc: Document) -> bool:
            return any(needle in value.lower() for value in doc.get(field, ()))

        return match


def compile_query(
    text: str,
    fields: set[str],
    exact_fields: frozenset[str] = frozenset(),
    range_fields: frozenset[str] = frozenset(),
) -> Predicate:
    """Compile ``text`` into a predicate; raises QuerySyntaxError when it does not parse.

    ``fields`` are the known ``field:`` names; ``exact_fields`` compare whole values (ids,
    numbers) instead of substrings; ``range_fields`` take ``[low TO high]`` date ranges.
    """
    return _Parser(_tokenize(text), fields, set(exact_fields), set(range_fields)).parse()
