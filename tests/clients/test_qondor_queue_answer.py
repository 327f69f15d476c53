"""Qondor's one-answer queue read item by item: the same values as json.loads, or one clear error."""

from __future__ import annotations

import io
import json

import ijson
import pytest

from qondor_xero.qondor.client import _array_of_objects

QUEUE = [
    {"id": 1, "invoiceNumber": "100231", "lines": [{"price": 1250.5, "text": "Bølgen og Moi"}]},
    {"id": 2, "invoiceNumber": "100232", "customer": None, "note": 'quote " and ] and , in text'},
    {"id": 3, "name": "日本語 ✓", "amount": -0.25e3, "vatPercentage": 25},
]


def read(data: bytes) -> list:
    return list(_array_of_objects(io.BytesIO(data)))


@pytest.mark.parametrize("indent", [None, 2])
def test_same_values_and_types_as_json_loads(indent):
    data = json.dumps(QUEUE, indent=indent, ensure_ascii=False).encode()
    items = read(data)
    assert items == json.loads(data)
    assert type(items[0]["lines"][0]["price"]) is float and type(items[0]["id"]) is int


@pytest.mark.parametrize(
    "data", [b"", b"   \n", b"[]", b" [ \n ] \n", b"\xef\xbb\xbf[]", b" " * 10_000 + b"[]"]
)
def test_empty_answers_are_an_empty_queue(data):
    assert read(data) == []


def test_a_byte_order_mark_and_leading_space_are_skipped():
    assert read(b"\xef\xbb\xbf" + b"\n" * 5000 + json.dumps(QUEUE).encode()) == QUEUE


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b'{"id": 1}', ValueError),
        (b"<html>502 Bad Gateway</html>", ValueError),
        (b"[1, 2]", ValueError),
        (b'[{"id": 1} {"id": 2}]', ijson.JSONError),
        (b'[{"id": 1},', ijson.JSONError),
        (b"[{}] x", ijson.JSONError),
    ],
)
def test_anything_but_an_array_of_objects_is_refused(data, error):
    with pytest.raises(error):
        read(data)
