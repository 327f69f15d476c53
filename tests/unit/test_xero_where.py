"""where-clause building: quoting that cannot break or inject into the filter."""

import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest

from qondor_xero.xero import where


def _unquote(literal: str) -> str:
    """Read a literal back the way a backslash-escaping parser does (inverse of where.string)."""
    assert literal[0] == literal[-1] == '"'
    out, i, body = [], 0, literal[1:-1]
    escapes = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
    while i < len(body):
        if body[i] == "\\":
            out.append(escapes[body[i + 1]])
            i += 2
        else:
            assert body[i] != '"', f"unescaped quote ends the literal early in {literal}"
            out.append(body[i])
            i += 1
    return "".join(out)


def test_plain_equality():
    assert where.eq("EmailAddress", "a@b.no") == 'EmailAddress=="a@b.no"'


@pytest.mark.parametrize(
    "value",
    ['Fjord "Nord" AS', "C:\\temp\\", '" OR Name!=""', "\\", '\\"', "line\nbreak\ttab", "ÆØÅ æøå"],
)
def test_tricky_values_stay_one_literal(value):
    expression = where.eq("Name", value)
    assert expression.startswith("Name==")
    assert _unquote(expression[len("Name==") :]) == value


def test_injection_attempt_is_escaped():
    assert where.eq("Name", '" OR Name!=""') == 'Name=="\\" OR Name!=\\"\\""'


def test_backslash_before_quote_cannot_close_the_literal():
    assert where.eq("Name", 'a\\" OR 1==1') == 'Name=="a\\\\\\" OR 1==1"'


def test_field_names_are_checked():
    assert where.eq("Contact.ContactID", "x") == 'Contact.ContactID=="x"'
    for bad in ["Name==1 OR Name", "Name)", "", "1Name", "Name.Contains(x)"]:
        with pytest.raises(ValueError, match="not a Xero field name"):
            where.eq(bad, "x")


def test_guid():
    value = "3E7B2C4F-1C8A-4D3B-9F61-0A7C5D2E9B10"
    assert where.guid_eq("ContactID", value) == f'ContactID==Guid("{value.lower()}")'
    assert where.literal(uuid.UUID(value)) == f'Guid("{value.lower()}")'
    with pytest.raises(ValueError, match="not a GUID"):
        where.guid('") OR (1==1')


def test_datetime_literals():
    assert where.ge("Date", date(2026, 11, 1)) == "Date>=DateTime(2026, 11, 01)"
    assert where.lt("UpdatedDateUTC", datetime(2026, 11, 20, 8, 5, 0)) == (
        "UpdatedDateUTC<DateTime(2026, 11, 20, 08, 05, 00)"
    )
    assert where.datetime(datetime(2026, 1, 2)) == "DateTime(2026, 01, 02)"


def test_other_literals():
    assert where.eq("IsCustomer", True) == "IsCustomer==true"
    assert where.ne("EmailAddress", None) == "EmailAddress!=null"
    assert where.gt("AmountDue", 0) == "AmountDue>0"
    assert where.le("Total", Decimal("10.50")) == "Total<=10.50"
    with pytest.raises(TypeError):
        where.literal(object())


def test_methods_quote_their_argument():
    assert where.contains("Name", 'a"b') == 'Name.Contains("a\\"b")'
    assert where.starts_with("Name", "Fj") == 'Name.StartsWith("Fj")'


def test_and_or_group_each_part_and_skip_empty():
    assert where.and_(where.eq("A", "1"), None, where.eq("B", "2")) == '(A=="1") AND (B=="2")'
    assert where.or_(where.eq("A", "1")) == 'A=="1"'
    assert where.or_("A==1", where.and_("B==2", "C==3")) == "(A==1) OR ((B==2) AND (C==3))"
    with pytest.raises(ValueError):
        where.and_(None, "")
