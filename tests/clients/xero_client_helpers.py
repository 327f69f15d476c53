"""Helpers the XeroClient tests share: a client for a sandbox, its request log, an invoice."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from qondor_xero.xero import XeroClient
from qondor_xero.xero.client import RetryPolicy

API = "/api.xro/2.0"
FAST = RetryPolicy(backoff_factor=0.01, backoff_max=0.05)


def client_for(box: Any, **kwargs: Any) -> XeroClient:
    """A client-credentials XeroClient for the sandbox `box`, fast retries, no pacing to speak of."""
    config = box.xero_config()
    kwargs.setdefault("tenant_id", config["tenant_id"])
    kwargs.setdefault("retry", FAST)
    # The shared sandbox has no limits; Xero's 60/min would only slow the suite down.
    kwargs.setdefault("rate_per_minute", 100_000)
    return XeroClient(
        config["api_url"],
        config["identity_url"],
        config["client_id"],
        config["client_secret"],
        **kwargs,
    )


def api_calls(box: Any, method: str | None = None, endpoint: str | None = None) -> list[dict]:
    """The sandbox's log of Accounting API calls, with the query parsed."""
    return [
        {**e, "params": {k: v[-1] for k, v in parse_qs(e["query"]).items()}}
        for e in settled_log(box)
        if e["path"].startswith(API)
        and (method is None or e["method"] == method)
        and (endpoint is None or e["path"] == API + endpoint)
    ]


def settled_log(box: Any) -> list[dict]:
    """The request log once it stops growing (the sandbox logs a call just after answering it)."""
    entries = box.xero_requests()
    for _ in range(40):
        time.sleep(0.05)
        again = box.xero_requests()
        if len(again) == len(entries):
            break
        entries = again
    return entries


def clear_log(box: Any) -> None:
    """Empty the request log once the calls made so far are in it."""
    settled_log(box)
    box.xero_requests(clear=True)


def invoice(
    number: str,
    contact_id: str,
    account: str = "200",
    amount: float = 100,
    status: str = "AUTHORISED",
) -> dict[str, Any]:
    """An ACCREC invoice of one line, in Xero's shape."""
    return {
        "Type": "ACCREC",
        "InvoiceNumber": number,
        "Contact": {"ContactID": contact_id},
        "Date": "2026-11-20",
        "DueDate": "2026-12-04",
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Venue", "Quantity": 1, "UnitAmount": amount, "AccountCode": account}
        ],
    }
