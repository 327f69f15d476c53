"""Queue items as Singer records: timestamps in RFC 3339, null objects a loader can place, child rows."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from qondor_xero.qondor import contract

TIMESTAMP_FIELDS = ("createdDate", "lastModifiedDate")


def item_record(item: dict[str, Any], logger: logging.Logger) -> dict[str, Any]:
    """The invoices/credit_notes record of a queued item: Qondor's timestamps as RFC 3339 UTC.

    An unreadable timestamp becomes null with one warning naming the item and the field, so
    one odd value never holds back the invoice sync.
    """
    for name in TIMESTAMP_FIELDS:
        value = item.get(name)
        if value is None:
            continue
        try:
            item[name] = contract.timestamp_as_rfc3339(value)
        except ValueError:
            logger.warning(
                "Qondor item %s (invoice %s): %s %r is not a timestamp; sent as null",
                item.get("id"),
                item.get("invoiceNumber"),
                name,
                value,
            )
            item[name] = None
    return item


def place_null_objects(record: dict[str, Any], schema: dict[str, Any], depth: int) -> None:
    """Make each null object (a company item's `booker`) something every loader stores as NULL.

    Unflattened (`depth` 0) the key is left out: a `null` value would be kept as JSON null by
    loaders with JSON columns, and as an undeclared key by the SDK's flattening in a target.
    Flattened to `depth` levels, it becomes a null in each of its columns.
    """
    for name, prop in schema.get("properties", {}).items():
        if name not in record or "object" not in prop.get("type", ()):
            continue
        value = record[name]
        if value is None:
            if depth > 0:
                record[name] = null_leaves(prop, depth)
            else:
                del record[name]
        elif isinstance(value, dict) and depth > 1:
            place_null_objects(value, prop, depth - 1)


def nullable_leaves(schema: dict[str, Any]) -> None:
    """Let every field of each nullable object be null, as its flattened columns will be."""
    for prop in schema.get("properties", {}).values():
        types = prop.get("type", ())
        if "object" in types and "null" in types:
            for leaf in prop.get("properties", {}).values():
                kinds = [leaf["type"]] if isinstance(leaf.get("type"), str) else leaf.get("type")
                if kinds and "null" not in kinds:
                    leaf["type"] = [*kinds, "null"]
                nullable_leaves({"properties": {"_": leaf}})


def null_leaves(schema: dict[str, Any], depth: int) -> dict[str, Any]:
    """An object of the schema with every property null, nested objects down to `depth` levels."""
    return {
        name: null_leaves(prop, depth - 1)
        if depth > 1 and "object" in prop.get("type", ()) and "properties" in prop
        else None
        for name, prop in schema.get("properties", {}).items()
    }


def line_records(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One `invoice_lines` row per line of the item, keyed by the item's id and `lineNo`."""
    for line in item.get("lines") or []:
        yield {"invoiceId": item["id"], "invoiceNumber": item.get("invoiceNumber"), **line}


def field_records(item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One `invoice_fields` row per customer invoice field, numbered from 1 in Qondor's order."""
    for number, field in enumerate(item.get("customerInvoiceFields") or [], start=1):
        yield {
            "invoiceId": item["id"],
            "invoiceNumber": item.get("invoiceNumber"),
            "fieldNo": number,
            **field,
        }
