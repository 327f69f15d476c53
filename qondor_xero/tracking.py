"""Tracking categories and branding themes: what an item's lines and header carry in Xero, and
why Xero cannot take it. Pure: Xero's lists come in as data, nothing is read or written here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qondor_xero.mapping import Mapping
from qondor_xero.transform import item_label, item_options

OPTION_MAX = 100  # Xero's longest tracking option name


@dataclass
class Category:
    """A Xero tracking category with its options (casefolded name → (TrackingOptionID, Name, Status))."""

    category_id: str
    name: str
    status: str
    options: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def option(self, name: str) -> tuple[str, str, str] | None:
        """The option named `name` (any case), or None."""
        return self.options.get(name.strip().casefold())

    def add(self, option: dict[str, Any]) -> None:
        """Keep an option as Xero returned it."""
        name = str(option.get("Name") or "")
        self.options[name.strip().casefold()] = (
            str(option.get("TrackingOptionID") or ""),
            name,
            str(option.get("Status") or "ACTIVE"),
        )


def categories_by_name(categories: list[dict[str, Any]]) -> dict[str, Category]:
    """Xero's tracking categories (GET /TrackingCategories?includeArchived=true) by casefolded name."""
    out: dict[str, Category] = {}
    for raw in categories:
        name = str(raw.get("Name") or "")
        category = Category(
            str(raw.get("TrackingCategoryID") or ""), name, str(raw.get("Status") or "ACTIVE")
        )
        for option in raw.get("Options") or []:
            category.add(option)
        if name.strip().casefold() not in out or category.status == "ACTIVE":
            out[name.strip().casefold()] = category
    return out


def tracking_problems(
    item: dict[str, Any], mapping: Mapping, categories: dict[str, Category]
) -> tuple[list[str], list[tuple[Category, str]]]:
    """Why Xero cannot track the item as the mapping says, and the options to create first
    (where the mapping's `create_options` allows it): (problems, [(category, option name)])."""
    label = item_label(item)
    problems: list[str] = []
    create: list[tuple[Category, str]] = []
    for name, option, may_create in item_options(item, mapping):
        category = categories.get(name.casefold())
        if category is None or category.status != "ACTIVE":
            state = "is not in Xero" if category is None else f"is {category.status} in Xero"
            problems.append(
                f"{label}: tracking category {name} {state}; add it in Xero (Settings → "
                f"Tracking categories) or fix tracking in {mapping.path.name}"
            )
            continue
        if len(option) > OPTION_MAX:
            problems.append(
                f"{label}: tracking category {category.name}: option {option[:40]!r}… is longer "
                f"than Xero's {OPTION_MAX} characters"
            )
            continue
        found = category.option(option)
        if found is None and may_create:
            create.append((category, option))
        elif found is None:
            problems.append(
                f"{label}: tracking category {category.name} has no option {option!r}; add it "
                f"in Xero or set create_options: true in {mapping.path.name}"
            )
        elif found[2] != "ACTIVE":
            problems.append(
                f"{label}: tracking category {category.name}: option {found[1]!r} is "
                f"{found[2]} in Xero; restore it in Xero or fix tracking in {mapping.path.name}"
            )
    return problems, create


def themes_by_name(themes: list[dict[str, Any]]) -> dict[str, str]:
    """Xero's branding themes (GET /BrandingThemes): casefolded name → BrandingThemeID."""
    return {
        str(t.get("Name") or "").strip().casefold(): str(t.get("BrandingThemeID"))
        for t in themes
        if t.get("BrandingThemeID")
    }


def branding_theme_id(
    item: dict[str, Any], mapping: Mapping, themes: dict[str, str]
) -> tuple[str | None, str | None]:
    """(BrandingThemeID, None) for the item's office; (None, None) when the mapping names no
    theme for it; (None, why) when the named theme is not in Xero."""
    name = mapping.branding_theme(item.get("officeId"), item.get("officeName"))
    if name is None:
        return None, None
    theme_id = themes.get(name.strip().casefold())
    if theme_id is None:
        return None, (
            f"{item_label(item)}: branding theme {name!r} (for office {item.get('officeId')}) is "
            f"not in Xero; add it in Xero or fix branding_themes in {mapping.path.name}"
        )
    return theme_id, None
