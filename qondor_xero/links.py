"""The link each Xero invoice carries back to its Qondor item (Xero's `Url`), and the Qondor id
read back from it, so the payment sync needs no lookup. Pure functions, no HTTP.

The link is a template with `{id}` (the Qondor invoice id); by default the item's address in
Qondor's API, `{qondor_api_url}/Invoicing/v1/Invoice/{id}`. Both targets derive the same default
from the same Qondor base; a link that does not match the template reads back as no id (the
payment sync then looks the invoice up, as for invoices synced before the link existed).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PLACEHOLDER = "{id}"
DEFAULT_PATH = "/Invoicing/v1/Invoice/" + PLACEHOLDER


def link_template(setting: str | None, qondor_api_url: str | None) -> str | None:
    """The link template in use: the setting, else the default under `qondor_api_url`.

    An empty setting ("") turns the link off (None). A template that is not an absolute
    http(s) URL with `{id}` exactly once raises ValueError naming what is wrong.
    """
    if setting == "":
        return None
    if setting is None:
        if not qondor_api_url:
            return None
        setting = qondor_api_url.rstrip("/") + DEFAULT_PATH
    template = setting.strip()
    if template.count(PLACEHOLDER) != 1:
        raise ValueError(f"qondor_invoice_link {setting!r} must contain {PLACEHOLDER} exactly once")
    parts = urlsplit(template.replace(PLACEHOLDER, "1"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"qondor_invoice_link {setting!r} is not an absolute http(s) URL")
    return template


def qondor_link(template: str | None, item_id: object) -> str | None:
    """The link for the Qondor item `item_id`, or None when links are off or there is no id."""
    if not template or item_id is None or str(item_id).strip() == "":
        return None
    return template.replace(PLACEHOLDER, str(item_id).strip())


def qondor_id(url: object, template: str | None) -> int | None:
    """The Qondor invoice id in a Xero invoice's `Url` made from `template`, else None (no Url,
    another app's link, another template, or an id that is not a positive whole number)."""
    if not template or not isinstance(url, str) or not url:
        return None
    before, after = template.split(PLACEHOLDER, 1)
    match = re.fullmatch(re.escape(before) + r"([1-9][0-9]{0,17})" + re.escape(after), url.strip())
    return int(match.group(1)) if match else None
