"""Xero `where` and `order` parameters, parsed for real and turned into SQL over indexed columns.

Grammar: comparisons `Field op literal` (`==`, `=`, `!=`, `<>`, `>=`, `<=`, `>`, `<`), method
calls `Field.Contains("x")`, `.StartsWith("x")`, `.EndsWith("x")` (`.ToLower()`/`.ToUpper()`
are accepted and change nothing: string matching is case-insensitive), joined by `AND`/`&&`,
`OR`/`||`, `NOT`/`!`, grouped by parentheses. Literals: `"double quoted"` with backslash
escapes, numbers, `null`, `true`, `false`, `Guid("...")`, `DateTime(y, m, d[, h, mi, s])`.
Anything else is a `QueryError` (a 400), never ignored.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# kinds of field: str, guid, date (day, epoch ms), datetime (epoch ms), num
FieldMap = dict[str, tuple[str, str]]


class QueryError(ValueError):
    """An expression the sandbox (like Xero) refuses; the message says what and where."""


@dataclass
class _Tok:
    kind: str  # ident, string, number, op, lparen, rparen, comma, dot, end
    value: Any
    pos: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<>|>=|<=|&&|\|\||[=<>!])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<lparen>\() | (?P<rparen>\)) | (?P<comma>,) | (?P<dot>\.)
    """,
    re.VERBOSE,
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "'": "'", "/": "/"}


def _unescape(body: str, pos: int) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise QueryError(f"where: unknown escape '\\{nxt}' at position {pos + i + 1}")
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(text: str) -> list[_Tok]:
    """Split an expression into tokens."""
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise QueryError(f"where: unexpected character {text[pos]!r} at position {pos}")
        kind = m.lastgroup or ""
        raw = m.group()
        if kind == "string":
            toks.append(_Tok("string", _unescape(raw[1:-1], pos + 1), pos))
        elif kind == "number":
            toks.append(_Tok("number", float(raw) if "." in raw else int(raw), pos))
        elif kind != "ws":
            toks.append(_Tok(kind, raw, pos))
        pos = m.end()
    toks.append(_Tok("end", None, len(text)))
    return toks


@dataclass
class _Literal:
    kind: str  # str, guid, datetime, num, null, bool
    value: Any


_METHODS = {"Contains", "StartsWith", "EndsWith"}
_NOOP_METHODS = {"ToLower", "ToUpper", "Trim"}
_SQL_OPS = {"==": "=", "=": "=", "!=": "!=", "<>": "!=", ">=": ">=", "<=": "<=", ">": ">", "<": "<"}


class _Parser:
    def __init__(self, text: str, fields: FieldMap, type_name: str) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.fields = fields
        self.type_name = type_name
        self.params: list[Any] = []

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self, kind: str, value: str | None = None) -> _Tok:
        tok = self.peek()
        if tok.kind != kind or (value is not None and tok.value != value):
            want = value or kind
            got = "end of expression" if tok.kind == "end" else repr(tok.value)
            raise QueryError(f"where: expected {want} at position {tok.pos}, found {got}")
        self.i += 1
        return tok

    def is_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok.kind == "ident" and tok.value.upper() in words

    def parse(self) -> str:
        sql = self.parse_or()
        if self.peek().kind != "end":
            tok = self.peek()
            raise QueryError(f"where: unexpected {tok.value!r} at position {tok.pos}")
        return sql

    def parse_or(self) -> str:
        parts = [self.parse_and()]
        while self.is_word("OR") or (self.peek().kind == "op" and self.peek().value == "||"):
            self.i += 1
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def parse_and(self) -> str:
        parts = [self.parse_unary()]
        while self.is_word("AND") or (self.peek().kind == "op" and self.peek().value == "&&"):
            self.i += 1
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def parse_unary(self) -> str:
        if self.is_word("NOT") or (self.peek().kind == "op" and self.peek().value == "!"):
            self.i += 1
            return f"(NOT {self.parse_unary()})"
        if self.peek().kind == "lparen":
            self.i += 1
            inner = self.parse_or()
            self.take("rparen")
            return f"({inner})"
        return self.parse_condition()

    def parse_field(self) -> tuple[str, str, str]:
        tok = self.take("ident")
        name = tok.value
        while (
            self.peek().kind == "dot"
            and self.toks[self.i + 1].kind == "ident"
            and any(
                f == f"{name}.{self.toks[self.i + 1].value}"
                or f.startswith(f"{name}.{self.toks[self.i + 1].value}.")
                for f in self.fields
            )
        ):
            self.i += 1
            name += "." + self.take("ident").value
        if name not in self.fields:
            raise QueryError(
                f"where: No property or field '{name}' exists in type '{self.type_name}'"
                f" (position {tok.pos})"
            )
        column, kind = self.fields[name]
        return name, column, kind

    def parse_condition(self) -> str:
        name, column, kind = self.parse_field()
        while self.peek().kind == "dot":
            self.i += 1
            method = self.take("ident")
            self.take("lparen")
            if method.value in _NOOP_METHODS:
                self.take("rparen")
                continue
            if method.value not in _METHODS:
                raise QueryError(f"where: method '{method.value}' is not supported on '{name}'")
            if kind != "str":
                raise QueryError(f"where: {method.value}() needs a text field; '{name}' is not")
            arg = self.take("string").value
            self.take("rparen")
            escaped = arg.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = {
                "Contains": f"%{escaped}%",
                "StartsWith": f"{escaped}%",
                "EndsWith": f"%{escaped}",
            }[method.value]
            self.params.append(pattern)
            return f"({column} LIKE ? ESCAPE '\\')"
        op_tok = self.peek()
        if op_tok.kind != "op" or op_tok.value not in _SQL_OPS:
            raise QueryError(
                f"where: expected a comparison after '{name}' at position {op_tok.pos}"
            )
        self.i += 1
        literal = self.parse_literal()
        return self.comparison(name, column, kind, _SQL_OPS[op_tok.value], literal)

    def parse_literal(self) -> _Literal:
        tok = self.peek()
        if tok.kind == "string":
            self.i += 1
            return _Literal("str", tok.value)
        if tok.kind == "number":
            self.i += 1
            return _Literal("num", tok.value)
        if tok.kind == "ident":
            word = tok.value
            self.i += 1
            if word == "null":
                return _Literal("null", None)
            if word in ("true", "false"):
                return _Literal("bool", word == "true")
            if word == "Guid":
                self.take("lparen")
                text = self.take("string").value
                self.take("rparen")
                try:
                    return _Literal("guid", str(uuid.UUID(text)))
                except ValueError:
                    raise QueryError(f'where: Guid("{text}") is not a valid GUID') from None
            if word == "DateTime":
                self.take("lparen")
                parts = [self.take("number").value]
                while self.peek().kind == "comma":
                    self.i += 1
                    parts.append(self.take("number").value)
                self.take("rparen")
                if len(parts) not in (3, 6) or not all(isinstance(p, int) for p in parts):
                    raise QueryError("where: DateTime() takes (year, month, day[, h, m, s])")
                try:
                    moment = datetime(*parts, tzinfo=UTC)
                except ValueError as exc:
                    raise QueryError(
                        f"where: DateTime{tuple(parts)} is not a date: {exc}"
                    ) from None
                return _Literal("datetime", int(moment.timestamp() * 1000))
            raise QueryError(f"where: unknown literal or function '{word}' at position {tok.pos}")
        got = "end of expression" if tok.kind == "end" else repr(tok.value)
        raise QueryError(f"where: expected a value at position {tok.pos}, found {got}")

    def comparison(self, name: str, column: str, kind: str, op: str, lit: _Literal) -> str:
        if lit.kind == "null":
            if op not in ("=", "!="):
                raise QueryError(f"where: '{name}' can only be compared to null with == or !=")
            if kind in ("str", "guid"):
                return f"(COALESCE({column}, '') {'=' if op == '=' else '!='} '')"
            return f"({column} IS {'NULL' if op == '=' else 'NOT NULL'})"
        compatible = {
            "str": {"str"},
            "guid": {"guid", "str"},
            "date": {"datetime"},
            "datetime": {"datetime"},
            "num": {"num"},
        }[kind]
        if lit.kind not in compatible:
            shown = {
                "str": "String",
                "num": "Number",
                "bool": "Boolean",
                "guid": "Guid",
                "datetime": "DateTime",
            }[lit.kind]
            want = {
                "str": "String",
                "guid": "Guid",
                "date": "DateTime",
                "datetime": "DateTime",
                "num": "Number",
            }[kind]
            raise QueryError(
                f"where: Operator '{op if op != '=' else '=='}' incompatible with operand types "
                f"'{want}' and '{shown}' (field '{name}')"
            )
        value = lit.value
        if kind == "guid":
            try:
                value = str(uuid.UUID(str(value)))
            except ValueError:
                raise QueryError(f"where: '{value}' is not a valid GUID for '{name}'") from None
            self.params.append(value)
            return f"({column} {op} ? COLLATE NOCASE)"
        self.params.append(value)
        return f"({column} {op} ?)"


def where_to_sql(text: str, fields: FieldMap, type_name: str) -> tuple[str, list[Any]]:
    """SQL condition and parameters for a `where` expression over the given field map."""
    if not text.strip():
        return "1", []
    parser = _Parser(text, fields, type_name)
    return parser.parse(), parser.params


def order_to_sql(text: str, fields: FieldMap, type_name: str) -> str:
    """SQL ORDER BY terms for an `order` parameter such as `UpdatedDateUTC DESC, Name`."""
    terms = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"order: cannot understand '{part.strip()}'")
        if words[0] not in fields:
            raise QueryError(
                f"order: No property or field '{words[0]}' exists in type '{type_name}'"
            )
        direction = words[1].upper() if len(words) == 2 else "ASC"
        terms.append(f"{fields[words[0]][0]} {direction}")
    if not terms:
        raise QueryError("order: empty")
    return ", ".join(terms)
