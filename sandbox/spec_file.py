"""Where Xero's accounting OpenAPI description is found: `XERO_OPENAPI_SPEC`, else beside the
checkout at `../shared/reference/xero-openapi/xero_accounting.yaml`. Never an absolute path of
one machine: a user's clone has no `../shared`, and what needs the file then says how to get it."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "XERO_OPENAPI_SPEC"
BESIDE_CHECKOUT = Path("shared", "reference", "xero-openapi", "xero_accounting.yaml")
CHECKOUT = Path(__file__).resolve().parents[1]


def openapi_spec_path() -> Path:
    """The spec file to use (it may not exist: see `missing_spec_reason`)."""
    given = os.environ.get(ENV)
    return Path(given) if given else CHECKOUT.parent / BESIDE_CHECKOUT


def missing_spec_reason(path: Path | None = None) -> str | None:
    """One line saying the spec is missing and how to get it; None when it is there."""
    path = path or openapi_spec_path()
    if path.is_file():
        return None
    return (
        f"Xero's OpenAPI description is not at {path}: set {ENV} to a copy of "
        "xero_accounting.yaml (github.com/XeroAPI/Xero-OpenAPI) or put it at "
        f"../{BESIDE_CHECKOUT.as_posix()} beside the checkout"
    )
