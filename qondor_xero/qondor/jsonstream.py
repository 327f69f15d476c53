"""Read a large JSON array one element at a time, from a file, without holding the whole text."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

CHUNK_CHARS = 1 << 20
_WHITESPACE = " \t\n\r"
_decoder = json.JSONDecoder()


class NotAJsonArray(ValueError):
    """The text is not one JSON array; the message says where it went wrong."""


def iter_json_array(stream: IO[bytes], chunk_chars: int = CHUNK_CHARS) -> Iterator[tuple[Any, str]]:
    """Yield (element, its JSON text) for each element of the UTF-8 JSON array in `stream`.

    An empty stream is an empty array. Memory is about one chunk plus the largest element.
    """
    reader = _Reader(stream, chunk_chars)
    if not reader.skip_space():
        return
    if reader.peek() != "[":
        raise reader.error("expected '['")
    reader.pos += 1
    if reader.skip_space() and reader.peek() == "]":
        reader.pos += 1
        reader.expect_end()
        return
    while True:
        yield reader.element()
        if not reader.skip_space():
            raise reader.error("unexpected end of the text")
        char = reader.peek()
        reader.pos += 1
        if char == "]":
            reader.expect_end()
            return
        if char != ",":
            raise reader.error("expected ',' or ']'")
        if not reader.skip_space():
            raise reader.error("unexpected end of the text")


class _Reader:
    """A window of decoded text over the stream, refilled on demand."""

    def __init__(self, stream: IO[bytes], chunk_chars: int) -> None:
        self.stream = stream
        self.chunk = chunk_chars
        self.decode = codecs.getincrementaldecoder("utf-8-sig")().decode
        self.buf = ""
        self.pos = 0
        self.consumed = 0  # characters dropped from the front of buf
        self.eof = False

    def more(self) -> bool:
        """Append the next chunk; False at the end of the stream."""
        if self.eof:
            return False
        data = self.stream.read(self.chunk)
        if self.pos:
            self.consumed += self.pos
            self.buf, self.pos = self.buf[self.pos :], 0
        self.buf += self.decode(data, final=not data)
        self.eof = not data
        return True

    def skip_space(self) -> bool:
        """Move past whitespace; False when the text ends first."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return True
            if not self.more():
                return False

    def peek(self) -> str:
        return self.buf[self.pos]

    def element(self) -> tuple[Any, str]:
        """Decode the element at pos; more text is read until it and the character after it fit."""
        while True:
            try:
                value, end = _decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.more():
                    continue
                raise self.error(exc.msg, self.consumed + exc.pos) from None
            # A number cut at the chunk's end would decode short: see the next character first.
            if end < len(self.buf) or not self.more():
                text = self.buf[self.pos : end]
                self.pos = end
                return value, text

    def expect_end(self) -> None:
        if self.skip_space():
            raise self.error("extra text after the array")

    def error(self, what: str, at: int | None = None) -> NotAJsonArray:
        where = self.consumed + self.pos if at is None else at
        return NotAJsonArray(f"{what} at character {where}")
