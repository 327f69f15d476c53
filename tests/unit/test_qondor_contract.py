"""The Qondor contract accepts the documented example and rejects what the contract forbids."""

import copy

import jsonschema
import pytest

from qondor_xero.qondor import contract

EXAMPLE_INVOICE = {
    "id": 5012,
    "invoiceNumber": "100231",
    "invoiceType": 1,
    "invoiceTypeText": "OfferInvoice",
    "status": 0,
    "statusText": "Unprocessed",
    "invoiceDate": "2026-11-20",
    "dueDate": "2026-12-04",
    "currency": "NOK",
    "officeId": 1,
    "projectId": 881,
    "projectNo": "P-881",
    "projectName": "Oslo kick-off 2027",
    "customerId": 77,
    "customer": {
        "id": 77,
        "name": "Fjord Events AS",
        "organisationNumber": "923456789",
        "vatNumber": "NO923456789MVA",
        "invoiceEmail": "faktura@fjordevents.no",
    },
    "booker": None,
    "creditedInvoiceId": None,
    "creditedInvoiceNumber": None,
    "externalReference": None,
    "errorMessage": None,
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
        }
    ],
    "totalExclVat": 3000.00,
    "totalVat": 750.00,
    "totalInclVat": 3750.00,
    "createdDate": "2026-11-20T09:14:03.1234567Z",
    "lastModifiedDate": "2026-11-20T09:14:03.1234567Z",
}


def test_documented_invoice_example_matches_the_contract():
    contract.validate("invoice", EXAMPLE_INVOICE)


@pytest.mark.parametrize(
    ("field", "value"),
    [("invoiceType", 6), ("status", 9), ("invoiceDate", "20.11.2026"), ("currency", "nok")],
)
def test_invoice_with_a_value_outside_the_contract_is_rejected(field, value):
    bad = copy.deepcopy(EXAMPLE_INVOICE)
    bad[field] = value
    with pytest.raises(jsonschema.ValidationError):
        contract.validate("invoice", bad)


def test_set_as_failed_message_over_1000_characters_is_rejected():
    contract.validate("SetAsFailed", {"invoiceId": 1, "errorMessage": "x" * 1000})
    with pytest.raises(jsonschema.ValidationError):
        contract.validate("SetAsFailed", {"invoiceId": 1, "errorMessage": "x" * 1001})


def test_transitions_follow_the_documented_state_machine():
    S = contract.InvoiceStatus
    assert contract.TRANSITIONS["SetAsProcessed"] == (S.Unprocessed, S.Processed)
    assert contract.TRANSITIONS["SetAsFailed"] == (S.Unprocessed, S.Failed)
    assert contract.TRANSITIONS["SetAsPaid"] == (S.Processed, S.Paid)
