"""Write batching, idempotency keys, per-element results and other pure client helpers."""

import json
import os
import stat
from decimal import Decimal

import pytest

from qondor_xero.http import redact
from qondor_xero.xero.auth import TokenStore
from qondor_xero.xero.urls import check_url, chunk_values, endpoint_name
from qondor_xero.xero.writes import (
    element_result,
    encode_json,
    idempotency_key,
    split_batches,
)


def test_batches_hold_at_most_50_elements_in_order():
    elements = [{"InvoiceNumber": f"INV-{i}"} for i in range(120)]
    batches, oversized = split_batches(elements, "Invoices")
    assert [len(b) for b in batches] == [50, 50, 20]
    assert [i for b in batches for i in b] == list(range(120))
    assert oversized == []


def test_batches_stay_under_the_byte_limit():
    elements = [{"Description": "x" * 1000} for _ in range(30)]
    batches, _ = split_batches(elements, "Invoices", max_bytes=5000)
    for batch in batches:
        body = encode_json({"Invoices": [elements[i] for i in batch]})
        assert len(body) <= 5000
    assert sum(len(b) for b in batches) == 30
    assert len(batches) == 8  # four 1 KB elements per 5 KB request


def test_an_element_too_large_alone_is_not_sent():
    elements = [{"a": "small"}, {"a": "x" * 6000}, {"a": "small too"}]
    batches, oversized = split_batches(elements, "Contacts", max_bytes=5000)
    assert batches == [[0, 2]]
    assert oversized == [1]


def test_idempotency_key_depends_on_everything_sent():
    body = encode_json({"Invoices": [{"InvoiceNumber": "1"}]})
    key = idempotency_key("t1", "POST", "/Invoices", {"summarizeErrors": "false"}, body)
    assert key == idempotency_key("t1", "POST", "/Invoices", {"summarizeErrors": "false"}, body)
    assert len(key) <= 128
    other_body = encode_json({"Invoices": [{"InvoiceNumber": "2"}]})
    variants = {
        idempotency_key("t2", "POST", "/Invoices", {"summarizeErrors": "false"}, body),
        idempotency_key("t1", "PUT", "/Invoices", {"summarizeErrors": "false"}, body),
        idempotency_key("t1", "POST", "/CreditNotes", {"summarizeErrors": "false"}, body),
        idempotency_key("t1", "POST", "/Invoices", {}, body),
        idempotency_key("t1", "POST", "/Invoices", {"summarizeErrors": "false"}, other_body),
    }
    assert key not in variants and len(variants) == 5


def test_json_sends_decimals_as_numbers():
    body = json.loads(encode_json({"Amount": Decimal("12.34"), "Qty": Decimal("2.00")}))
    assert body == {"Amount": 12.34, "Qty": 2}


def test_element_results():
    sent = {"InvoiceNumber": "1"}
    ok = element_result({"InvoiceID": "x", "StatusAttributeString": "OK"}, sent)
    assert ok.ok and ok.obj == {"InvoiceID": "x", "StatusAttributeString": "OK"} and ok.sent is sent
    warn = element_result(
        {"StatusAttributeString": "WARNING", "Warnings": [{"Message": "w"}]}, sent
    )
    assert warn.ok
    bad = element_result(
        {
            "StatusAttributeString": "ERROR",
            "HasErrors": True,
            "ValidationErrors": [{"Message": "Invoice # must be unique."}],
            "LineItems": [{"ValidationErrors": [{"Message": "Account code '999' is not valid"}]}],
        },
        sent,
    )
    assert not bad.ok and bad.obj is None
    assert bad.errors == ["Invoice # must be unique.", "Account code '999' is not valid"]


def test_id_lists_are_chunked_without_duplicates():
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(95)] + [
        "00000000-0000-4000-8000-000000000000"
    ]
    chunks = chunk_values(ids)
    assert [len(c) for c in chunks] == [40, 40, 15]
    numbers = [f"INVOICE-NUMBER-{'X' * 80}-{i}" for i in range(40)]
    assert all(len(",".join(c)) <= 1500 for c in chunk_values(numbers))


def test_endpoint_names_normalise_ids():
    assert endpoint_name("/CreditNotes/3e7b2c4f-1c8a-4d3b-9f61-0a7c5d2e9b10/Allocations") == (
        "/CreditNotes/{id}/Allocations"
    )
    assert endpoint_name("/Invoices?page=2") == "/Invoices"


def test_plain_http_only_for_loopback():
    assert (
        check_url("http://127.0.0.1:8702/api.xro/2.0/", "api_url")
        == "http://127.0.0.1:8702/api.xro/2.0"
    )
    assert check_url("http://localhost:1/x", "api_url")
    assert check_url("http://[::1]:1/x", "api_url")
    assert check_url("https://api.xero.com/api.xro/2.0", "api_url")
    for bad in [
        "http://api.xero.com/api.xro/2.0",
        "ftp://127.0.0.1/",
        "api.xero.com",
        "http://10.0.0.1/",
    ]:
        with pytest.raises(ValueError, match="api_url must be an https:// URL"):
            check_url(bad, "api_url")


def test_token_store_is_private_and_replaced_atomically(tmp_path):
    store = TokenStore(tmp_path / "nested" / "xero-token.json")
    with store.locked():
        store.write({"refresh_token": "r1"})
        inode = os.stat(store.path).st_ino
        store.write({"refresh_token": "r2"})
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.lock_path).st_mode) == 0o600
    assert os.stat(store.path).st_ino != inode  # a new file renamed over the old one
    assert store.read() == {"refresh_token": "r2"}
    assert [p.name for p in store.path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_token_store_missing_or_corrupt(tmp_path):
    store = TokenStore(tmp_path / "t.json")
    assert store.read() == {}
    store.path.write_text("{not json")
    with pytest.raises(Exception, match="is not valid JSON") as info:
        store.read()
    assert "not json" not in str(info.value)


def test_redact():
    assert redact("token abcd1234 here", ["abcd1234", "", "ab"]) == "token *** here"
