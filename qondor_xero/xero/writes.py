"""Pure helpers for Xero writes: JSON encoding, batch splitting, idempotency keys, per-element results."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

MAX_ELEMENTS = 50  # Xero's recommended elements per write
MAX_BODY_BYTES = 3_500_000  # Xero's request body limit (3.5 MB)
IDEMPOTENCY_KEY_MAX = 128


@dataclass(frozen=True)
class WriteResult:
    """Outcome of one element of a write: `obj` is what Xero stored, `errors` its messages."""

    ok: bool
    obj: dict[str, Any] | None
    errors: list[str] = field(default_factory=list)
    sent: dict[str, Any] = field(default_factory=dict)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Money: a float prints the shortest text that round-trips, so 12.34 stays 12.34.
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to Xero as JSON")


def encode_json(body: object) -> bytes:
    """Compact UTF-8 JSON of a request body (Decimal as number, dates as ISO strings)."""
    return json.dumps(
        body, default=_json_default, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def split_batches(
    elements: list[dict[str, Any]],
    key: str,
    max_elements: int = MAX_ELEMENTS,
    max_bytes: int = MAX_BODY_BYTES,
) -> tuple[list[list[int]], list[int]]:
    """Split elements (by index, order kept) into requests of ≤ max_elements and ≤ max_bytes.

    Returns (batches, oversized): an element that alone exceeds max_bytes is never sent.
    """
    envelope = len(encode_json({key: []}))
    batches: list[list[int]] = []
    oversized: list[int] = []
    current: list[int] = []
    size = envelope
    for index, element in enumerate(elements):
        element_size = len(encode_json(element))
        if envelope + element_size > max_bytes:
            oversized.append(index)
            continue
        extra = element_size + (1 if current else 0)  # the comma between elements
        if current and (len(current) >= max_elements or size + extra > max_bytes):
            batches.append(current)
            current, size = [], envelope
            extra = element_size
        current.append(index)
        size += extra
    if current:
        batches.append(current)
    return batches, oversized


def idempotency_key(
    tenant_id: str, method: str, path: str, params: dict[str, str] | None, body: bytes
) -> str:
    """A key derived from tenant, method, path, query and body: the same request gives the same key."""
    digest = hashlib.sha256()
    for part in (tenant_id, method.upper(), path, urlencode(sorted((params or {}).items()))):
        digest.update(part.encode("utf-8") + b"\n")
    digest.update(body)
    key = f"qondor-xero-{digest.hexdigest()}"
    assert len(key) <= IDEMPOTENCY_KEY_MAX
    return key


def element_messages(element: dict[str, Any]) -> list[str]:
    """Xero's validation messages on one returned element (its own and its line items')."""
    messages = [
        str(e.get("Message"))
        for e in element.get("ValidationErrors") or []
        if isinstance(e, dict) and e.get("Message")
    ]
    for line in element.get("LineItems") or []:
        if isinstance(line, dict):
            for e in line.get("ValidationErrors") or []:
                if isinstance(e, dict) and e.get("Message") and e["Message"] not in messages:
                    messages.append(str(e["Message"]))
    return messages


def element_result(returned: dict[str, Any], sent: dict[str, Any]) -> WriteResult:
    """WriteResult for one element of a `summarizeErrors=false` answer."""
    messages = element_messages(returned)
    failed = (
        bool(messages)
        or returned.get("StatusAttributeString") == "ERROR"
        or bool(returned.get("HasErrors"))
    )
    if failed:
        return WriteResult(False, None, messages or ["Xero marked the element as failed"], sent)
    return WriteResult(True, returned, [], sent)


def oversized_result(element: dict[str, Any], max_bytes: int = MAX_BODY_BYTES) -> WriteResult:
    """WriteResult for an element too large to send on its own."""
    size = len(encode_json(element))
    return WriteResult(
        False,
        None,
        [
            f"element is {size / 1e6:.1f} MB; Xero accepts at most {max_bytes / 1e6:.1f} MB per request"
        ],
        element,
    )
