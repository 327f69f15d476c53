"""XeroClient against the sandbox: tenant, errors, where quoting, paging, chunked lists, batched writes."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from xero_client_helpers import (
    api_calls,
    clear_log,
    client_for,
    invoice,
    settled_log,
)

from qondor_xero.xero import (
    XeroAuthError,
    XeroClient,
    XeroNotFound,
    XeroServerError,
    XeroTenantError,
    parse_xero_date,
    where,
)


@pytest.fixture
def box(sandbox):
    sandbox.reset()
    yield sandbox
    sandbox.clear_faults()
    settled_log(sandbox)  # so no late log entry of this test lands in the next one


@pytest.fixture
def contact_id(box):
    client = client_for(box)
    (result,) = client.save_contacts([{"Name": "Nordlys Events AS"}])
    return result.obj["ContactID"]


def test_tenant_is_the_single_connected_organisation(box):
    client = client_for(box, tenant_id=None)
    assert client.tenant_id == "00000000-0000-4000-8000-000000000001"
    assert {c["Code"] for c in client.get_accounts()} >= {"200", "090"}
    assert client.calls["GET /connections"] == 1
    assert client.calls["GET /Accounts"] == 1


def test_a_tenant_this_app_may_not_use_is_refused_clearly(box):
    client = client_for(box, tenant_id="11111111-2222-4333-8444-555555555555")
    with pytest.raises(XeroTenantError) as info:
        client.get_accounts()
    message = str(info.value)
    assert message.startswith("GET /Accounts failed: Xero forbids this app access to tenant 1111")
    assert "check tenant_id" in message


def test_a_wrong_client_secret_stops_with_an_auth_error_naming_no_secret(box):
    config = box.xero_config()
    client = XeroClient(
        config["api_url"], config["identity_url"], config["client_id"], "not-the-secret-42"
    )
    with pytest.raises(XeroAuthError) as info:
        client.get_currencies()
    message = str(info.value)
    assert "client_credentials" in message and "invalid_client" in message
    assert "check client_id and client_secret" in message
    assert "not-the-secret-42" not in message


def test_plain_http_is_refused_for_a_remote_host():
    with pytest.raises(ValueError, match="api_url must be an https:// URL"):
        XeroClient("http://api.xero.com/api.xro/2.0", "https://identity.xero.com", "id", "secret")


TRICKY_NAMES = [
    'Fjord "Nord" AS',
    "C:\\Kunder\\Bergen\\",
    '" OR Name!="',
    '" OR Name!=""',
    "Trailing backslash \\",
    '\\" OR 1==1 OR Name=="',
    "Ærlig & Øvre (Å) AS",
]


def test_tricky_where_values_match_only_their_own_contact(box):
    client = client_for(box)
    names = [*TRICKY_NAMES, "Plain Name AS", "Other Customer AS"]
    results = client.save_contacts([{"Name": n} for n in names])
    assert all(r.ok for r in results), [r.errors for r in results]
    for name in TRICKY_NAMES:
        found = list(client.iter_contacts(where=where.eq("Name", name)))
        assert [c["Name"] for c in found] == [name], name
    # An injection attempt in a combined filter changes nothing either.
    combined = where.and_(where.eq("Name", '" OR Name!="'), where.ne("Name", "x"))
    assert [c["Name"] for c in client.iter_contacts(where=combined)] == ['" OR Name!="']
    assert list(client.iter_contacts(where=where.eq("Name", 'Plain Name AS" OR Name!="'))) == []
    assert [c["Name"] for c in client.iter_contacts(where=where.contains("Name", '"Nord"'))] == [
        'Fjord "Nord" AS'
    ]


def test_reads_page_1000_at_a_time_until_every_contact_is_read(box):
    box.xero_seed(contacts=[{"Name": f"Kunde {i:04d}"} for i in range(1205)])
    client = client_for(box)
    names = [c["Name"] for c in client.iter_contacts()]
    assert len(names) == 1205 and len(set(names)) == 1205
    pages = api_calls(box, "GET", "/Contacts")
    assert [(p["params"]["page"], p["params"]["pageSize"]) for p in pages] == [
        ("1", "1000"),
        ("2", "1000"),
    ]


def test_id_lists_are_chunked_to_40_per_url(box):
    box.xero_seed(contacts=[{"Name": f"Kunde {i:03d}"} for i in range(100)])
    client = client_for(box)
    everyone = list(client.iter_contacts())
    wanted = [c["ContactID"] for c in everyone[:95]] + [str(uuid.uuid4())]  # one unknown id
    clear_log(box)
    found = list(client.iter_contacts(ids=wanted))
    assert sorted(c["ContactID"] for c in found) == sorted(wanted[:95])
    sizes = [len(p["params"]["IDs"].split(",")) for p in api_calls(box, "GET", "/Contacts")]
    assert sizes == [40, 40, 16]
    with pytest.raises(ValueError, match="ids: not a Xero GUID: 'nope'"):
        list(client.iter_contacts(ids=["nope"]))
    assert list(client.iter_contacts(ids=[])) == []
    by_guid = list(client.iter_contacts(where=where.guid_eq("ContactID", wanted[3].upper())))
    assert [c["ContactID"] for c in by_guid] == [wanted[3]]


def test_writes_split_to_50_keep_input_order_and_report_each_element(box, contact_id):
    client = client_for(box)
    invoices = [invoice(f"QX-{i:03d}", contact_id) for i in range(120)]
    invoices[7]["LineItems"][0]["AccountCode"] = "999"  # bad account code
    invoices[88]["Contact"] = {}  # no contact
    clear_log(box)
    results = client.save_invoices(invoices)
    assert len(results) == 120
    assert [r.sent["InvoiceNumber"] for r in results] == [f"QX-{i:03d}" for i in range(120)]
    failed = {i for i, r in enumerate(results) if not r.ok}
    assert failed == {7, 88}
    assert "999" in results[7].errors[0] and results[7].obj is None
    assert results[0].obj["InvoiceNumber"] == "QX-000" and results[0].obj["InvoiceID"]
    posts = api_calls(box, "POST", "/Invoices")
    # unitdp=4: the unit amounts Xero derives from LineAmount keep four decimals
    wanted = {"summarizeErrors": "false", "unitdp": "4"}
    assert len(posts) == 3 and all(p["params"] == wanted for p in posts)
    stored = {i["InvoiceNumber"] for i in box.xero_state()["invoices"]}
    assert stored == {f"QX-{i:03d}" for i in range(120)} - {"QX-007", "QX-088"}
    assert client.calls["POST /Invoices"] == 3


def test_invoices_by_number_status_and_modified_since(box, contact_id):
    client = client_for(box)
    numbers = [f"NR-{i:02d}" for i in range(45)]
    client.save_invoices([invoice(n, contact_id) for n in numbers])
    client.save_invoices([invoice("DRAFT-1", contact_id, status="DRAFT")])
    clear_log(box)
    found = list(client.iter_invoices(invoice_numbers=[*numbers, "NR-404"]))
    assert sorted(i["InvoiceNumber"] for i in found) == numbers
    lists = [p["params"].get("InvoiceNumbers", "") for p in api_calls(box)]
    assert [len(n.split(",")) for n in lists] == [40, 6], api_calls(box)
    drafts = list(client.iter_invoices(statuses=["DRAFT"]))
    assert [i["InvoiceNumber"] for i in drafts] == ["DRAFT-1"]
    newest = max(parse_xero_date(i["UpdatedDateUTC"]) for i in found)
    later = list(client.iter_invoices(modified_since=newest.replace(year=newest.year + 1)))
    assert later == []
    since = list(client.iter_invoices(modified_since=datetime(2020, 1, 1, tzinfo=UTC)))
    assert len(since) == 46
    recent = where.ge("UpdatedDateUTC", datetime(2020, 1, 1, 0, 0, 1))
    assert (
        len(list(client.iter_invoices(where=where.and_(recent, where.eq("Status", "DRAFT"))))) == 1
    )
    assert list(client.iter_invoices(statuses=[])) == []


def test_xero_unreachable_stops_with_a_server_error(closed_port):
    port = closed_port
    client = XeroClient(
        f"http://127.0.0.1:{port}/api.xro/2.0", f"http://127.0.0.1:{port}", "id", "s3cret-value"
    )
    with pytest.raises(XeroServerError) as info:
        client.get_accounts()
    assert str(info.value) == (
        "getting a Xero access token (client_credentials grant) failed: the token endpoint "
        f"http://127.0.0.1:{port}/connect/token did not answer after 4 tries"
    )


def test_payments_and_credit_note_allocation(box, contact_id):
    client = client_for(box)
    (inv,) = client.save_invoices([invoice("PAY-1", contact_id, amount=1000)])
    invoice_id = inv.obj["InvoiceID"]
    (paid,) = client.create_payments(
        [
            {
                "Invoice": {"InvoiceID": invoice_id},
                "Account": {"Code": "090"},
                "Date": "2026-11-21",
                "Amount": 500,
            }
        ]
    )
    assert paid.ok, paid.errors
    (note,) = client.save_credit_notes(
        [
            {
                "Type": "ACCRECCREDIT",
                "CreditNoteNumber": "CN-1",
                "Contact": {"ContactID": contact_id},
                "Date": "2026-11-21",
                "Status": "AUTHORISED",
                "LineAmountTypes": "Exclusive",
                "LineItems": [
                    {
                        "Description": "Refund",
                        "Quantity": 1,
                        "UnitAmount": 100,
                        "AccountCode": "200",
                    }
                ],
            }
        ]
    )
    assert note.ok, note.errors
    note_id = note.obj["CreditNoteID"]
    allocation = client.allocate_credit_note(
        note_id, [{"Invoice": {"InvoiceID": invoice_id}, "Amount": 100, "Date": "2026-11-21"}]
    )
    assert allocation.ok, allocation.errors
    assert client.calls["PUT /CreditNotes/{id}/Allocations"] == 1
    (stored,) = list(client.iter_invoices(ids=[invoice_id]))
    assert float(stored["AmountDue"]) == pytest.approx(1250 - 500 - 100)  # 25 % tax on 1000
    too_much = client.allocate_credit_note(
        note_id, [{"Invoice": {"InvoiceID": invoice_id}, "Amount": 5000, "Date": "2026-11-21"}]
    )
    assert not too_much.ok and too_much.errors
    (credited,) = list(client.iter_credit_notes(ids=[note_id]))
    assert float(credited["RemainingCredit"]) == 25  # 125 incl. tax, 100 allocated


def test_allocating_an_unknown_credit_note_is_not_found(box):
    client = client_for(box)
    with pytest.raises(XeroNotFound, match=r"^PUT /CreditNotes/.* failed: not found"):
        client.allocate_credit_note(str(uuid.uuid4()), [{"Amount": 1}])


def test_invoice_numbers_with_a_comma_are_still_found(box, contact_id):
    client = client_for(box)
    client.save_invoices([invoice("2026,17", contact_id), invoice("NR-1", contact_id)])
    found = list(client.iter_invoices(invoice_numbers=["2026,17", "NR-1"]))
    assert sorted(i["InvoiceNumber"] for i in found) == ["2026,17", "NR-1"]


class _Connections(BaseHTTPRequestHandler):
    """Token and /connections endpoints of an app connected to several (or no) organisations.

    The sandbox serves exactly one organisation, so this stands in for Xero here only.
    """

    tenants: list[dict] = []

    def do_POST(self):
        self._answer({"access_token": "stub-token", "expires_in": 1800, "token_type": "Bearer"})

    def do_GET(self):
        self._answer(self.tenants)

    def _answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("count", [0, 2])
def test_tenant_discovery_refuses_none_or_several_organisations(count):
    tenants = [
        {"tenantId": f"00000000-0000-4000-8000-00000000000{i}", "tenantName": f"Org {i}"}
        for i in range(1, count + 1)
    ]
    handler = type("Handler", (_Connections,), {"tenants": tenants})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        origin = f"http://127.0.0.1:{server.server_port}"
        client = XeroClient(f"{origin}/api.xro/2.0", origin, "id", "secret")
        with pytest.raises(XeroTenantError) as info:
            client.get_accounts()
    finally:
        server.shutdown()
        server.server_close()
    if count:
        assert str(info.value) == (
            "2 Xero organisations are connected to this app: "
            "Org 1 (00000000-0000-4000-8000-000000000001), "
            "Org 2 (00000000-0000-4000-8000-000000000002); set tenant_id to the one to use"
        )
    else:
        assert "No Xero organisation is connected" in str(info.value)
