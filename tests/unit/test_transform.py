"""Pure transforms: what a Qondor customer, booker, invoice or credit note becomes in Xero."""

import copy

import pytest

from qondor_xero.checks import check_item, failure_message
from qondor_xero.contacts import (
    ContactIndex,
    booker_contact_number,
    disambiguate_name,
    email_key,
    tax_key,
)
from qondor_xero.mapping import parse_mapping
from qondor_xero.transform import (
    booker_keys,
    booker_to_contact,
    card_payment,
    contact_update,
    credit_allocation,
    credit_note_to_xero,
    customer_keys,
    customer_to_contact,
    invoice_to_xero,
    render_reference,
)

MAPPING = parse_mapping(
    """
invoice_status: DRAFT
account_codes: {VAT25: "200", VAT0: "260"}
card_payment_account: "090"
reference: "{customerInvoiceFields[PO number]}"
""",
    "mappings/acme.yml",
)

CUSTOMER = {
    "id": 77,
    "name": "Fjord Events AS",
    "organisationNumber": "923456789",
    "vatNumber": "NO923456789MVA",
    "invoiceEmail": "Faktura@FjordEvents.no ",
    "address": "Karl Johans gate 1",
    "zipCode": "0154",
    "city": "Oslo",
    "countryCode": "NO",
    "invoiceAddressEnabled": True,
    "invoiceAddress": "Postboks 12",
    "invoiceZipCode": "0101",
    "invoiceCity": "Oslo",
    "invoiceCountry": "Norway",
    "phoneNumber": "+47 22 00 00 00",
    "invoiceCurrency": "NOK",
}

INVOICE = {
    "id": 5012,
    "invoiceNumber": "100231",
    "invoiceType": 1,
    "invoiceKind": "offer",
    "invoiceDate": "2026-11-20",
    "dueDate": "2026-12-04",
    "currency": "NOK",
    "officeId": 1,
    "projectNo": "P-881",
    "customerId": 77,
    "customer": {"id": 77, "name": "Fjord Events AS", "vatNumber": "NO923456789MVA"},
    "booker": None,
    "customerInvoiceFields": [
        {"heading": "PO number", "externalReference": "po", "value": "4500012"}
    ],
    "lines": [
        {
            "lineNo": 1,
            "articleNumber": "VAT25",
            "description": "Hotel, 2 nights",
            "quantity": 2,
            "unitPriceExclVat": 1500.00,
            "vatPercentage": 25,
            "amountExclVat": 3000.00,
            "vatAmount": 750.00,
            "amountInclVat": 3750.00,
        },
        {
            "lineNo": 2,
            "articleNumber": "VAT0",
            "description": "Fee",
            "quantity": 1,
            "unitPriceExclVat": 100.00,
            "vatPercentage": 0,
            "amountExclVat": 100.00,
            "vatAmount": 0,
            "amountInclVat": 100.00,
        },
    ],
    "totalExclVat": 3100.00,
    "totalVat": 750.00,
    "totalInclVat": 3850.00,
}

BOOKER = {
    "firstName": "Kari",
    "lastName": "Nordmann",
    "email": "Kari@Example.no",
    "phoneNumber": "90000000",
    "address": "Storgata 2",
    "zipCode": "0155",
    "city": "Oslo",
    "countryCode": "NO",
}


def booker_invoice(**changes):
    item = copy.deepcopy(INVOICE) | {
        "invoiceType": 3,
        "invoiceKind": "booking",
        "customerId": None,
        "customer": None,
        "booker": dict(BOOKER),
    }
    return item | changes


def credit_note():
    item = copy.deepcopy(INVOICE) | {
        "id": 5020,
        "invoiceNumber": "100240",
        "invoiceType": 5,
        "invoiceKind": "credit_note",
        "creditedInvoiceNumber": "100231",
    }
    for line in item["lines"]:
        for key in ("quantity", "amountExclVat", "vatAmount", "amountInclVat"):
            line[key] = -line[key]
    for key in ("totalExclVat", "totalVat", "totalInclVat"):
        item[key] = -item[key]
    return item


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("NO923456789MVA", "923 456 789"),
        ("923456789", "NO 923 456 789 MVA"),
        ("no923456789mva", "923.456.789"),
        ("SE556677889901", "556677-8899"),
        ("DK12345678", "12345678"),
        ("CHE-123.456.789 MWST", "123456789"),
        ("GB123456789", "123 456 789"),
        ("FI12345678", "1234567-8"),
    ],
)
def test_tax_numbers_in_any_format_give_the_same_key(a, b):
    assert tax_key(a) == tax_key(b)


def test_different_tax_numbers_differ_and_empty_ones_are_none():
    assert tax_key("NO923456789MVA") != tax_key("NO923456788MVA")
    assert tax_key("NL123456789B01") == "123456789B01"
    assert tax_key("") is None and tax_key(None) is None and tax_key("MVA") is None


def test_customer_becomes_contact_with_invoice_address():
    contact = customer_to_contact(CUSTOMER)
    assert contact == {
        "Name": "Fjord Events AS",
        "ContactNumber": "QONDOR-C-77",
        "EmailAddress": "Faktura@FjordEvents.no",
        "TaxNumber": "NO923456789MVA",
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": "Postboks 12",
                "PostalCode": "0101",
                "City": "Oslo",
                "Country": "Norway",
            }
        ],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "+47 22 00 00 00"}],
        "DefaultCurrency": "NOK",
    }


def test_customer_without_invoice_address_uses_visiting_address():
    customer = CUSTOMER | {
        "invoiceAddressEnabled": False,
        "invoiceAddress": None,
        "vatNumber": None,
    }
    contact = customer_to_contact(customer)
    assert contact["Addresses"][0]["AddressLine1"] == "Karl Johans gate 1"
    assert contact["Addresses"][0]["Country"] == "NO"
    assert contact["TaxNumber"] == "923456789"


def test_booker_becomes_named_contact_with_hashed_key():
    contact = booker_to_contact(BOOKER, "NOK")
    assert contact["Name"] == "Kari Nordmann"
    assert (contact["FirstName"], contact["LastName"]) == ("Kari", "Nordmann")
    # Pinned: every customer's Xero holds these keys, a changed hash would duplicate every booker.
    assert contact["ContactNumber"] == "QONDOR-B-6b3cf4ce611b5356"
    assert booker_contact_number("  Kari@Example.NO ") == contact["ContactNumber"]
    assert contact["ContactNumber"].startswith("QONDOR-B-") and len(contact["ContactNumber"]) <= 50
    assert "TaxNumber" not in contact
    assert booker_keys(BOOKER).tax_keys == () and booker_keys(BOOKER).email == "kari@example.no"
    assert booker_keys(BOOKER | {"email": None}) is None


def test_index_matches_by_rule_order_first_contact_wins():
    index = ContactIndex()
    index.add({"ContactID": "a", "Name": "Fjord Events", "TaxNumber": "923 456 789"})
    index.add(
        {
            "ContactID": "b",
            "Name": "Fjord Events 2",
            "TaxNumber": "NO923456789MVA",
            "EmailAddress": "faktura@fjordevents.no",
        }
    )
    index.add(
        {
            "ContactID": "c",
            "Name": "Old",
            "EmailAddress": "faktura@fjordevents.no",
            "ContactStatus": "ARCHIVED",
        }
    )
    keys = customer_keys(CUSTOMER)
    assert index.match(keys, ["tax_number", "email"])[0]["ContactID"] == "a"
    assert index.match(keys, ["email", "tax_number"]) == (index.by_id["b"], "email")
    index.add({"ContactID": "d", "Name": "Ours", "ContactNumber": "QONDOR-C-77"})
    lone = customer_keys({"id": 77, "name": "X"})
    assert index.match(lone, ["tax_number", "email"])[0]["ContactID"] == "d"
    assert index.name_owner("FJORD  events") == "a"
    assert index.name_owner("Old") is None


def test_same_digits_in_another_country_do_not_match():
    index = ContactIndex()
    index.add({"ContactID": "uk", "Name": "Thames", "TaxNumber": "GB 123 4567 89"})
    berlin = customer_keys({"id": 112, "name": "Berliner Messe GmbH", "vatNumber": "DE123456789"})
    london = customer_keys({"id": 113, "name": "Thames", "vatNumber": "GB123456789"})
    bare = customer_keys({"id": 114, "name": "Anon", "organisationNumber": "123456789"})
    assert index.match(berlin, ["tax_number"]) is None
    assert index.match(london, ["tax_number"])[0]["ContactID"] == "uk"
    assert index.match(bare, ["tax_number"])[0]["ContactID"] == "uk"


def test_contact_update_only_when_something_changed():
    existing = {
        "ContactID": "a",
        **customer_to_contact(CUSTOMER),
        "TaxNumber": "923 456 789",
        "ContactNumber": "FINANCE-1",
    }
    assert contact_update(existing, customer_to_contact(CUSTOMER)) is None
    moved = CUSTOMER | {"invoiceCity": "Bergen", "invoiceEmail": "ap@fjordevents.no"}
    update = contact_update(existing, customer_to_contact(moved))
    assert update["ContactID"] == "a" and update["EmailAddress"] == "ap@fjordevents.no"
    assert update["Addresses"][0]["City"] == "Bergen"
    assert "ContactNumber" not in update and "TaxNumber" not in update


def test_disambiguated_name_is_deterministic_and_fits():
    assert disambiguate_name("Fjord Events AS", "923456789") == "Fjord Events AS (923456789)"
    long = disambiguate_name("x" * 300, "923456789")
    assert len(long) == 255 and long.endswith(" (923456789)")
    assert email_key(" A@B.no ") == "a@b.no"


def test_valid_invoice_passes_checks():
    assert check_item(INVOICE, MAPPING, {"NOK", "EUR"}, CUSTOMER) == []
    assert check_item(credit_note(), MAPPING, {"NOK"}, CUSTOMER) == []
    assert check_item(booker_invoice(), MAPPING, {"NOK"}) == []


def test_unmapped_articles_are_listed_with_their_lines():
    item = copy.deepcopy(INVOICE)
    item["lines"][0]["articleNumber"] = "VAT99"
    item["lines"][1]["articleNumber"] = "VAT99"
    item["lines"].append(dict(item["lines"][1], lineNo=3, articleNumber="X7"))
    item["totalExclVat"] += 100
    item["totalInclVat"] += 100
    assert check_item(item, MAPPING, {"NOK"}, CUSTOMER) == [
        "Invoice 100231: article numbers not mapped to a Xero account code: VAT99 (lines 1, 2), "
        "X7 (line 3); add them to account_codes in acme.yml"
    ]


def test_currency_not_enabled_in_xero():
    (problem,) = check_item(INVOICE | {"currency": "SEK"}, MAPPING, {"NOK"}, CUSTOMER)
    assert problem.startswith("Invoice 100231: currency SEK is not enabled in Xero")


def test_booker_without_email_fails_with_that_reason():
    (problem,) = check_item(booker_invoice(booker=BOOKER | {"email": ""}), MAPPING, {"NOK"})
    assert problem.startswith("Invoice 100231: booker Kari Nordmann has no email address")


def test_customer_without_tax_number_or_email():
    bare = {"id": 9, "name": "Nameless Ltd"}
    (problem,) = check_item(INVOICE | {"customerId": 9}, MAPPING, {"NOK"}, bare)
    assert (
        "customer Nameless Ltd (id 9) has neither a VAT/organisation number nor an invoice email"
        in problem
    )


def test_bad_names():
    long = check_item(INVOICE, MAPPING, {"NOK"}, CUSTOMER | {"name": "x" * 256})
    assert long == [
        "Invoice 100231: customer "
        + "x" * 256
        + " (id 77) name is 256 characters long; Xero allows 255"
    ]
    control = check_item(INVOICE, MAPPING, {"NOK"}, CUSTOMER | {"name": "Fjord\x07 Events"})
    assert "contains control characters" in control[0]


def test_zero_quantity_and_totals_that_do_not_add_up():
    item = copy.deepcopy(INVOICE)
    item["lines"][1]["quantity"] = 0
    item["totalVat"] = 700
    problems = check_item(item, MAPPING, {"NOK"}, CUSTOMER)
    assert "Invoice 100231: line 2: quantity 0 must be above zero on an invoice" in problems
    assert "Invoice 100231: line VAT adds up to 750.0, but totalVat is 700" in problems
    assert any("is not totalInclVat 3850.0" in p for p in problems)
    item = copy.deepcopy(INVOICE)
    item["lines"][0]["amountExclVat"] = 3100.0
    item["totalExclVat"] = 3200.0
    item["totalInclVat"] = 3950.0
    assert check_item(item, MAPPING, {"NOK"}, CUSTOMER) == [
        "Invoice 100231: line 1: quantity 2 × unitPriceExclVat 1500.0 is 3000.00, not amountExclVat 3100.0"
    ]


def test_card_payment_needs_a_payment_account():
    mapping = parse_mapping('account_codes: {VAT25: "200", VAT0: "260"}\n', "mappings/x.yml")
    item = booker_invoice(invoiceType=4, invoiceKind="card_payment")
    (problem,) = check_item(item, mapping, {"NOK"})
    assert "no card_payment_account" in problem


def test_invoice_payload():
    invoice = invoice_to_xero(INVOICE, MAPPING, "contact-1")
    assert invoice == {
        "Type": "ACCREC",
        "InvoiceNumber": "100231",
        "Contact": {"ContactID": "contact-1"},
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "CurrencyCode": "NOK",
        "LineAmountTypes": "Exclusive",
        "Reference": "4500012",
        "Status": "DRAFT",
        "LineItems": [
            {
                "Description": "Hotel, 2 nights",
                "Quantity": 2.0,
                "LineAmount": 3000.0,
                "AccountCode": "200",
            },
            {"Description": "Fee", "Quantity": 1.0, "LineAmount": 100.0, "AccountCode": "260"},
        ],
    }
    # Without Xero's tax rates no TaxType is sent (the account's own applies); UnitAmount never
    # is: Xero derives it from LineAmount, so Qondor's line amount is what Xero holds.
    assert all("TaxType" not in line for line in invoice["LineItems"])


def test_card_payment_invoice_is_always_authorised():
    item = booker_invoice(invoiceType=4, invoiceKind="card_payment", dueDate=None)
    invoice = invoice_to_xero(item, MAPPING, "c")
    assert invoice["Status"] == "AUTHORISED" and invoice["DueDate"] == "2026-11-20"


def test_credit_note_amounts_are_positive():
    note = credit_note_to_xero(credit_note(), MAPPING, "c")
    assert note["Type"] == "ACCRECCREDIT" and note["CreditNoteNumber"] == "100240"
    assert [(li["Quantity"], li["LineAmount"]) for li in note["LineItems"]] == [
        (2.0, 3000.0),
        (1.0, 100.0),
    ]
    assert "InvoiceNumber" not in note


def test_reference_template():
    assert (
        render_reference("{projectNo} / PO {customerInvoiceFields[po]}", INVOICE)
        == "P-881 / PO 4500012"
    )
    assert render_reference("{customerInvoiceFields[Cost centre]}", INVOICE) is None
    assert render_reference(None, INVOICE) is None
    assert (
        credit_note_to_xero(credit_note() | {"customerInvoiceFields": []}, MAPPING, "c")[
            "Reference"
        ]
        == "100231"
    )


def test_card_payment_pays_what_the_card_was_charged():
    item = booker_invoice(invoiceType=4, invoiceKind="card_payment", invoiceNumber="7")
    item |= {"totalExclVat": 3080.0, "totalVat": 770.0, "totalInclVat": 3850.0}
    invoice = {"InvoiceID": "i", "InvoiceNumber": "7", "Status": "AUTHORISED", "AmountDue": 3850.0}
    payment, problem = card_payment(item, invoice, "090", "2026-11-20")
    assert problem is None
    assert payment == {
        "Invoice": {"InvoiceID": "i"},
        "Account": {"Code": "090"},
        "Date": "2026-11-20",
        "Amount": 3850.0,
        "Reference": "Card payment 7",
    }
    paid = invoice | {"Status": "PAID", "AmountDue": 0}
    assert card_payment(item, paid, "090", "2026-11-20") == (None, None)


def test_card_payment_never_pays_xeros_amount_due_when_it_differs_from_the_charge():
    item = booker_invoice(invoiceType=4, invoiceKind="card_payment", invoiceNumber="100224")
    item |= {"totalExclVat": 3099.8, "totalVat": 774.95, "totalInclVat": 3874.75}
    invoice = {"InvoiceID": "i", "Status": "AUTHORISED", "AmountDue": 3929.25}
    payment, problem = card_payment(item, invoice, "090", "2026-11-20")
    assert payment is None
    assert problem == (
        "Invoice 100224: the card was charged NOK 3,874.75 but Xero's invoice has NOK 3,929.25 "
        "due; nothing was paid, check the invoice in Xero"
    )


def test_credit_allocation_only_onto_an_authorised_invoice_with_amount_due():
    note = {
        "CreditNoteID": "n",
        "Status": "AUTHORISED",
        "RemainingCredit": 500.0,
        "CurrencyCode": "NOK",
    }
    invoice = {"InvoiceID": "i", "Status": "AUTHORISED", "AmountDue": 300.0, "CurrencyCode": "NOK"}
    assert credit_allocation(note, invoice, "2026-11-21") == {
        "Invoice": {"InvoiceID": "i"},
        "Amount": 300.0,
        "Date": "2026-11-21",
    }
    assert (
        credit_allocation(note, invoice | {"Status": "PAID", "AmountDue": 0}, "2026-11-21") is None
    )
    assert credit_allocation(note | {"Status": "DRAFT"}, invoice, "2026-11-21") is None


def test_failure_message_fits_qondor():
    message = failure_message(["a" * 600, "b" * 600])
    assert len(message) == 1000 and message.endswith("…")
    assert failure_message(["one", "two"]) == "one | two"


def test_malformed_record_fails_alone_with_the_fields_named():
    item = copy.deepcopy(INVOICE) | {"invoiceDate": None, "currency": "kroner"}
    item["lines"][0]["quantity"] = "two"
    problems = check_item(item, MAPPING, {"NOK"}, CUSTOMER)
    assert "Invoice 100231: invoiceDate None is not a date (YYYY-MM-DD)" in problems
    assert "Invoice 100231: currency 'kroner' is not a currency code" in problems
    assert (
        "Invoice 100231: line 1: quantity, unitPriceExclVat and amountExclVat are required"
        in problems
    )
    assert check_item(INVOICE | {"lines": None}, MAPPING, {"NOK"}, CUSTOMER) == [
        "Invoice 100231: has no lines"
    ]
