"""Xero's OAuth scopes as the fake Xero enforces them: which an app may hold (by the era it was
created in) and which one each Accounting endpoint needs.

Apps created on or after 2 March 2026 use granular scopes only; older apps keep the broad ones
(and may also request the granular ones). A `.read` scope allows GETs only. A call the token's
scopes do not cover is refused with 401 `AuthorizationUnsuccessful`.
"""

from __future__ import annotations

from collections.abc import Iterable

ERAS = ("broad", "granular")
KINDS = ("custom", "standard", "any")

OFFLINE_ACCESS = "offline_access"
IDENTITY = ("openid", "profile", "email", OFFLINE_ACCESS)


def _with_read(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n for name in names for n in (name, f"{name}.read"))


SHARED = _with_read(("accounting.contacts", "accounting.settings", "accounting.attachments"))
GRANULAR = SHARED | _with_read(
    (
        "accounting.invoices",
        "accounting.payments",
        "accounting.banktransactions",
        "accounting.manualjournals",
        "accounting.classicexpenses",
    )
)
BROAD = SHARED | _with_read(("accounting.transactions",)) | {"accounting.reports.read"}

# Accounting resource → (granular scope, broad scope) that allows it (a `.read` one for GETs).
RESOURCE_SCOPES = {
    "Contacts": ("accounting.contacts", "accounting.contacts"),
    "Invoices": ("accounting.invoices", "accounting.transactions"),
    "CreditNotes": ("accounting.invoices", "accounting.transactions"),
    "Payments": ("accounting.payments", "accounting.transactions"),
    "Accounts": ("accounting.settings", "accounting.settings"),
    "Currencies": ("accounting.settings", "accounting.settings"),
    "TaxRates": ("accounting.settings", "accounting.settings"),
    "TrackingCategories": ("accounting.settings", "accounting.settings"),
    "BrandingThemes": ("accounting.settings", "accounting.settings"),
}


def parse(text: str | None) -> list[str]:
    """Scopes from a space-separated list (OAuth's form), in order, without repeats."""
    return list(dict.fromkeys((text or "").split()))


def allowed(era: str) -> frozenset[str]:
    """Every scope an app of `era` may be granted."""
    accounting = GRANULAR if era == "granular" else BROAD | GRANULAR
    return accounting | set(IDENTITY)


def default_grant(era: str) -> list[str]:
    """What a connection of `era` holds when the sandbox is not told: every accounting scope
    the integration could use, read and write."""
    if era == "granular":
        names = ["accounting.contacts", "accounting.invoices", "accounting.payments"]
    else:
        names = ["accounting.transactions", "accounting.contacts"]
    return [*names, "accounting.settings", OFFLINE_ACCESS]


def needed(method: str, resource: str) -> set[str] | None:
    """The scopes any one of which allows `method` on `resource`; None = no scope needed."""
    pair = RESOURCE_SCOPES.get(resource)
    if pair is None:
        return None
    read = method.upper() in ("GET", "HEAD")
    return {n for scope in pair for n in ((scope, f"{scope}.read") if read else (scope,))}


def resource_of(path: str, prefix: str) -> str:
    """`/api.xro/2.0/CreditNotes/{id}/Allocations` → `CreditNotes`."""
    rest = path[len(prefix) :].strip("/")
    return rest.split("/", 1)[0]
