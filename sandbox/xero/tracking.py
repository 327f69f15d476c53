"""Tracking categories (with their options) and branding themes of the fake organisation:
`GET /TrackingCategories`, `PUT /TrackingCategories/{id}/Options`, `GET /BrandingThemes`, and
the checks of a line's `Tracking` and a document's `BrandingThemeID`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.db import Database
from sandbox.xero import render, store
from sandbox.xero.dates import msdate, now_ms
from sandbox.xero.validation import valid_guid
from sandbox.xero.where import QueryError, where_to_sql

MAX_TRACKING = 2  # Xero: at most two active tracking categories, so two per line
NAME_MAX = 100

CATEGORY_INVALID = "The tracking category '{name}' is not valid."
CATEGORY_ARCHIVED = "The tracking category '{name}' has been archived."
OPTION_INVALID = "The tracking option '{option}' is not valid for tracking category '{name}'."
OPTION_ARCHIVED = "The tracking option '{option}' of tracking category '{name}' has been archived."
TOO_MANY = "A line item can have no more than 2 tracking categories."
TWICE = "A line item cannot have two options of tracking category '{name}'."
OPTION_NAME_REQUIRED = "The tracking option name must be specified."
OPTION_NAME_TOO_LONG = "The tracking option name must not be longer than 100 characters."
OPTION_NAME_TAKEN = "For each specified tracking option the name must be unique."
THEME_INVALID = "The BrandingThemeID '{id}' is not valid."


# ---------------------------------------------------------------- seeding


def seed_category(raw: Any, i: int) -> dict[str, Any]:
    """A tracking category document from a seed's `{Name, Status?, Options: [{Name, Status?}]}`."""
    if not isinstance(raw, dict) or not raw.get("Name"):
        raise ValueError(f"seed: trackingCategories[{i}]: field 'Name' is required")
    options = []
    for option in raw.get("Options") or []:
        name = option.get("Name") if isinstance(option, dict) else option
        status = option.get("Status", "ACTIVE") if isinstance(option, dict) else "ACTIVE"
        option_id = (option.get("TrackingOptionID") if isinstance(option, dict) else None) or str(
            uuid.uuid4()
        )
        options.append({"TrackingOptionID": option_id, "Name": str(name), "Status": status})
    return {
        "TrackingCategoryID": str(raw.get("TrackingCategoryID") or uuid.uuid4()),
        "Name": str(raw["Name"]),
        "Status": raw.get("Status", "ACTIVE"),
        "Options": options,
    }


def seed_theme(raw: Any, i: int) -> dict[str, Any]:
    """A branding theme document from a seed's `{Name, SortOrder?}`."""
    if not isinstance(raw, dict) or not raw.get("Name"):
        raise ValueError(f"seed: brandingThemes[{i}]: field 'Name' is required")
    return {
        "BrandingThemeID": str(raw.get("BrandingThemeID") or uuid.uuid4()),
        "Name": str(raw["Name"]),
        "SortOrder": int(raw.get("SortOrder", i)),
        "Type": "INVOICE",
        "CreatedDateUTC": now_ms(),
    }


# ---------------------------------------------------------------- checks on writes


def _category(db: Database, ref: dict[str, Any]) -> dict[str, Any] | None:
    """A line's tracking category, by TrackingCategoryID or Name (any case)."""
    if valid_guid(ref.get("TrackingCategoryID")):
        return store.get(db, store.TRACKING_CATEGORIES, str(ref["TrackingCategoryID"]))
    if ref.get("Name"):
        return store.find_one(db, store.TRACKING_CATEGORIES, "name = ?", [str(ref["Name"])])
    return None


def check_line_tracking(db: Database, tracking: Any, errors: list[str]) -> list[dict[str, Any]]:
    """A line's Tracking as stored (ids and names), refusing unknown or archived categories
    and options; appends Xero's messages to `errors`."""
    if tracking in (None, []):
        return []
    if not isinstance(tracking, list):
        errors.append("Tracking must be a list.")
        return []
    if len(tracking) > MAX_TRACKING:
        errors.append(TOO_MANY)
    stored: list[dict[str, Any]] = []
    for ref in tracking:
        if not isinstance(ref, dict):
            errors.append("Each tracking entry must be a JSON object.")
            continue
        shown = ref.get("Name") or ref.get("TrackingCategoryID")
        category = _category(db, ref)
        if category is None:
            errors.append(CATEGORY_INVALID.format(name=shown))
            continue
        name = category["Name"]
        if category.get("Status") != "ACTIVE":
            errors.append(CATEGORY_ARCHIVED.format(name=name))
            continue
        wanted_id = str(ref.get("TrackingOptionID") or "").lower()
        wanted = str(ref.get("Option") or "").strip().casefold()
        option = next(
            (
                o
                for o in category.get("Options", [])
                if (wanted_id and o["TrackingOptionID"].lower() == wanted_id)
                or (not wanted_id and o["Name"].strip().casefold() == wanted)
            ),
            None,
        )
        if option is None:
            errors.append(OPTION_INVALID.format(option=ref.get("Option") or wanted_id, name=name))
        elif option.get("Status") != "ACTIVE":
            errors.append(OPTION_ARCHIVED.format(option=option["Name"], name=name))
        elif any(s["TrackingCategoryID"] == category["TrackingCategoryID"] for s in stored):
            errors.append(TWICE.format(name=name))
        else:
            stored.append(
                {
                    "TrackingCategoryID": category["TrackingCategoryID"],
                    "TrackingOptionID": option["TrackingOptionID"],
                    "Name": name,
                    "Option": option["Name"],
                }
            )
    return stored


def check_branding_theme(db: Database, theme_id: Any, errors: list[str]) -> None:
    """A document's BrandingThemeID must name one of the organisation's themes."""
    if theme_id in (None, ""):
        return
    if not valid_guid(theme_id) or store.get(db, store.BRANDING_THEMES, str(theme_id)) is None:
        errors.append(THEME_INVALID.format(id=theme_id))


def add_option(db: Database, category_id: str, element: Any) -> tuple[dict | None, list[str]]:
    """Add an option to a category: (the option, []) or (None, Xero's messages)."""
    name = str((element or {}).get("Name") or "").strip() if isinstance(element, dict) else ""
    if not name:
        return None, [OPTION_NAME_REQUIRED]
    if len(name) > NAME_MAX:
        return None, [OPTION_NAME_TOO_LONG]
    with db.write() as conn:
        row = conn.execute(
            "SELECT doc FROM xero_tracking_categories WHERE tracking_category_id = ?",
            (category_id,),
        ).fetchone()
        category = json.loads(row["doc"])
        if any(o["Name"].strip().casefold() == name.casefold() for o in category["Options"]):
            return None, [OPTION_NAME_TAKEN]
        option = {"TrackingOptionID": str(uuid.uuid4()), "Name": name, "Status": "ACTIVE"}
        category["Options"].append(option)
        store.save(conn, store.TRACKING_CATEGORIES, [category])
    return option, []


# ---------------------------------------------------------------- rendering and routes


def render_option(option: dict[str, Any]) -> dict[str, Any]:
    """A TrackingOption as Xero answers it."""
    status = option.get("Status", "ACTIVE")
    return {
        "TrackingOptionID": option["TrackingOptionID"],
        "Name": option["Name"],
        "Status": status,
        "HasValidationErrors": False,
        "IsDeleted": status == "DELETED",
        "IsArchived": status == "ARCHIVED",
        "IsActive": status == "ACTIVE",
    }


def render_category(doc: dict[str, Any], include_archived: bool) -> dict[str, Any]:
    """A TrackingCategory with its options (active ones only unless `include_archived`)."""
    options = [
        render_option(o)
        for o in doc.get("Options", [])
        if include_archived or o.get("Status", "ACTIVE") == "ACTIVE"
    ]
    return {
        "TrackingCategoryID": doc["TrackingCategoryID"],
        "Name": doc["Name"],
        "Status": doc.get("Status", "ACTIVE"),
        "Options": options,
    }


async def category_list(request: Request) -> Response:
    """GET /TrackingCategories: active categories and options; archived too with includeArchived."""
    from sandbox.xero.app import bad_request

    sandbox = request.app.state.sandbox
    q = {k.lower(): v for k, v in request.query_params.items()}
    archived = q.get("includearchived", "").lower() == "true"
    conditions: list[str] = [] if archived else ["status = 'ACTIVE'"]
    params: list[Any] = []
    if q.get("where"):
        try:
            sql, params = where_to_sql(q["where"], store.TRACKING_CATEGORIES.fields, "Category")
        except QueryError as exc:
            return bad_request(str(exc))
        conditions.append(sql)
    docs, _total = store.select(sandbox.db, store.TRACKING_CATEGORIES, conditions, params)
    items = [render_category(d, archived) for d in docs if d.get("Status") != "DELETED"]
    return JSONResponse(render.envelope("TrackingCategories", items))


async def option_create(request: Request) -> Response:
    """PUT /TrackingCategories/{id}/Options: add one option (body: a TrackingOption)."""
    from sandbox.xero.app import not_found, write_endpoint
    from sandbox.xero.writes import Outcome

    sandbox = request.app.state.sandbox
    ident = request.path_params["ident"]
    if not valid_guid(ident) or store.get(sandbox.db, store.TRACKING_CATEGORIES, ident) is None:
        return not_found()

    def write_option(sb: Any, element: Any, _options: Any) -> Outcome:
        option, errors = add_option(sb.db, ident, element)
        return Outcome(element, option, errors)

    return await write_endpoint("Options", write_option, render_option)(request)


async def theme_list(request: Request) -> Response:
    """GET /BrandingThemes."""
    sandbox = request.app.state.sandbox
    docs, _total = store.select(sandbox.db, store.BRANDING_THEMES, [], [])
    themes = [{**d, "CreatedDateUTC": msdate(d["CreatedDateUTC"])} for d in docs]
    return JSONResponse(render.envelope("BrandingThemes", themes))


def routes(prefix: str) -> list[Route]:
    """The routes of this module under the API prefix."""
    return [
        Route(f"{prefix}/TrackingCategories", category_list, methods=["GET"]),
        Route(f"{prefix}/TrackingCategories/{{ident}}/Options", option_create, methods=["PUT"]),
        Route(f"{prefix}/BrandingThemes", theme_list, methods=["GET"]),
    ]
