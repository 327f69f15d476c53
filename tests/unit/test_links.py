"""The link a Xero invoice carries back to its Qondor item, and the id read back from it."""

import re

import pytest

from qondor_xero.decisions import invoice_decision
from qondor_xero.links import link_template, qondor_id, qondor_link

PROD = "https://qondor.azure-api.net/Prod"
DEFAULT = PROD + "/Invoicing/v1/Invoice/{id}"


def test_default_link_is_the_items_address_under_the_qondor_base():
    assert link_template(None, PROD) == DEFAULT
    assert link_template(None, PROD + "/") == DEFAULT
    assert qondor_link(DEFAULT, 5012) == PROD + "/Invoicing/v1/Invoice/5012"


def test_the_id_comes_back_from_the_link_it_was_written_into():
    template = "https://app.qondor.example/invoicing/{id}/view?tab=finance"
    assert qondor_id(qondor_link(template, 5012), template) == 5012
    assert qondor_id(qondor_link(DEFAULT, "77 "), DEFAULT) == 77


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        42,
        "https://another.app/invoice/5012",  # another app's link (or one made by hand)
        PROD + "/Invoicing/v1/Invoice/",  # no id
        PROD + "/Invoicing/v1/Invoice/abc",
        PROD + "/Invoicing/v1/Invoice/0",
        PROD + "/Invoicing/v1/Invoice/-5",
        PROD + "/Invoicing/v1/Invoice/5012/extra",
        "https://qondor.azure-api.net/Test/Invoicing/v1/Invoice/5012",  # another environment
    ],
)
def test_a_link_not_made_from_the_template_reads_back_as_no_id(url):
    assert qondor_id(url, DEFAULT) is None


def test_links_off_write_nothing_and_read_nothing():
    assert link_template("", PROD) is None
    assert qondor_link(None, 5012) is None
    assert qondor_id(PROD + "/Invoicing/v1/Invoice/5012", None) is None


@pytest.mark.parametrize(
    ("setting", "why"),
    [
        ("https://app.qondor.example/invoice", "must contain {id} exactly once"),
        ("https://app.qondor.example/{id}/{id}", "must contain {id} exactly once"),
        ("app.qondor.example/invoice/{id}", "is not an absolute http(s) URL"),
        ("ftp://app.qondor.example/{id}", "is not an absolute http(s) URL"),
    ],
)
def test_a_bad_link_setting_is_refused_naming_the_setting(setting, why):
    with pytest.raises(ValueError, match=r"qondor_invoice_link .* " + re.escape(why)):
        link_template(setting, PROD)


HELD = {
    "InvoiceID": "i-1",
    "Type": "ACCREC",
    "Status": "AUTHORISED",
    "Reference": "PO 1",
    "Date": "2026-11-20T00:00:00",
}
ITEM = {"id": 5012, "invoiceNumber": "100231"}


def test_an_invoice_that_differs_only_by_its_missing_link_is_left_as_it_is():
    payload = {"Type": "ACCREC", "Reference": "PO 1", "Url": qondor_link(DEFAULT, 5012)}
    decision = invoice_decision(ITEM, payload, HELD)
    assert decision.verb == "leave" and decision.reason is None


def test_an_update_for_another_field_carries_the_link_along():
    payload = {"Type": "ACCREC", "Reference": "PO 2", "Url": qondor_link(DEFAULT, 5012)}
    decision = invoice_decision(ITEM, payload, HELD)
    assert (decision.verb, decision.changed) == ("update", ["Reference", "Url"])
