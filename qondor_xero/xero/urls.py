"""URLs and query lists for Xero: HTTPS checks, endpoint names for counting, chunked id lists."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from urllib.parse import urlsplit

from qondor_xero.http import is_loopback

MAX_IDS_PER_URL = 40  # about 50 GUIDs overflow Xero's URL limit
MAX_LIST_CHARS = 1500  # joined InvoiceNumbers per URL
GUID_PATTERN = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def check_url(url: str, setting: str) -> str:
    """Return `url` without a trailing slash; refuse non-HTTPS unless the host is loopback."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return url.rstrip("/")
    raise ValueError(
        f"{setting} must be an https:// URL (plain http only for loopback hosts), got "
        f"{parts.scheme or 'no scheme'}://{parts.hostname or ''}"
    )


def endpoint_name(path: str) -> str:
    """`/CreditNotes/<guid>/Allocations` → `/CreditNotes/{id}/Allocations` (for call counts)."""
    return GUID_PATTERN.sub("{id}", path.split("?", 1)[0])


def chunk_values(values: Iterable[str], size: int = MAX_IDS_PER_URL) -> list[list[str]]:
    """Distinct values in order, in chunks of ≤ size and ≤ MAX_LIST_CHARS joined characters."""
    chunks: list[list[str]] = []
    current: list[str] = []
    length = 0
    for value in dict.fromkeys(str(v) for v in values):
        if current and (len(current) >= size or length + len(value) + 1 > MAX_LIST_CHARS):
            chunks.append(current)
            current, length = [], 0
        current.append(value)
        length += len(value) + 1
    if current:
        chunks.append(current)
    return chunks


def checked_guids(values: Iterable[str] | None, setting: str) -> list[str]:
    """Validated GUID strings (a bad one raises ValueError naming the argument and value)."""
    out = []
    for value in values or []:
        try:
            out.append(str(uuid.UUID(str(value))))
        except ValueError:
            raise ValueError(f"{setting}: not a Xero GUID: {value!r}") from None
    return out
