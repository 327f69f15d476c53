"""Reading Qondor's one-answer queue element by element: the same values as json.loads, or a clear error."""

from __future__ import annotations

import io
import json
import re

import pytest

from qondor_xero.qondor.jsonstream import NotAJsonArray, iter_json_array

QUEUE = [
    {"id": 1, "invoiceNumber": "100231", "lines": [{"price": 1250.5, "text": "Bølgen og Moi"}]},
    {"id": 2, "invoiceNumber": "100232", "customer": None, "note": 'quote " and ] and , in text'},
    12345678901234567890,
    [],
    {"id": 3, "name": "日本語 ✓", "amount": -0.25e3},
]


def read(text: str | bytes, chunk: int) -> list:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return [value for value, _text in iter_json_array(io.BytesIO(data), chunk_chars=chunk)]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_same_values_as_json_loads_at_any_chunk_size(chunk, indent):
    text = json.dumps(QUEUE, indent=indent, ensure_ascii=False)
    assert read(text, chunk) == QUEUE


def test_each_element_comes_with_its_own_text():
    text = json.dumps(QUEUE, indent=1, ensure_ascii=False)
    pairs = list(iter_json_array(io.BytesIO(text.encode()), chunk_chars=5))
    assert [json.loads(t) for _v, t in pairs] == QUEUE
    assert all(t == t.strip() for _v, t in pairs)


def test_a_number_cut_by_a_chunk_is_read_whole():
    assert read("[1234567, 89]", 3) == [1234567, 89]


@pytest.mark.parametrize("text", ["", "   \n", "[]", " [ \n ] \n", "\ufeff[]"])
def test_empty_answers_are_an_empty_queue(text):
    assert read(text, 2) == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"id": 1}', "expected '['"),
        ('[{"id": 1} {"id": 2}]', "expected ',' or ']'"),
        ('[{"id": 1},', "unexpected end"),
        ('[{"id": 1}', "unexpected end"),
        ('[{"id": 1]', "at character"),
        ("[1] x", "extra text after the array"),
        ("<html>502 Bad Gateway</html>", "expected '['"),
    ],
)
def test_broken_answers_say_what_and_where(text, why):
    with pytest.raises(NotAJsonArray, match=re.escape(why)):
        read(text, 4)
