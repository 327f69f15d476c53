"""Reading the granted scopes from a Xero access token (its `scope` claim), without PyJWT."""

from __future__ import annotations

import jwt
import pytest

from qondor_xero.xero.scopes import granted_by


def test_the_scope_claim_of_a_signed_token_is_read_as_a_list_or_as_a_string():
    as_list = jwt.encode({"scope": ["accounting.invoices", "offline_access"]}, "k" * 32)
    as_text = jwt.encode({"scope": "accounting.invoices.read accounting.contacts"}, "k" * 32)
    assert granted_by(as_list) == ["accounting.invoices", "offline_access"]
    assert granted_by(as_text) == ["accounting.invoices.read", "accounting.contacts"]


@pytest.mark.parametrize(
    "token",
    ["opaque-access-token", "a.b", "a.!!!.c", "a.bm90IGpzb24.c", "a.WzFd.c", "a.e30.c"],
    ids=["opaque", "two_parts", "not_base64", "not_json", "not_an_object", "no_scope"],
)
def test_a_token_that_is_not_a_jwt_with_a_scope_claim_gives_none(token):
    assert granted_by(token) is None
