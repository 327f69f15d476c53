"""Load and validate a customer's mapping file (YAML), with errors that name the file, key and line."""

from __future__ import annotations

import difflib
import json
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from qondor_xero.stop import one_line

SCHEMA_PATH = Path(__file__).with_name("mapping.schema.json")

# Invoice fields a `reference` template may name, besides `customerInvoiceFields[<heading>]`.
REFERENCE_FIELDS = (
    "id",
    "invoiceNumber",
    "invoiceDate",
    "dueDate",
    "currency",
    "officeId",
    "projectId",
    "projectNo",
    "projectName",
    "customerId",
    "creditedInvoiceNumber",
)
CUSTOM_FIELDS = "customerInvoiceFields"
# A tracking option may also name the item's office (tap-qondor adds it from Qondor's offices).
OFFICE_NAME = "officeName"
TRACKING_FIELDS = (*REFERENCE_FIELDS, OFFICE_NAME)

# Keys whose scalars are codes: keep the text as written, so `090` or `200` stay codes.
_CODE_KEYS = ("account_codes", "card_payment_account")
_YAML_INT = "tag:yaml.org,2002:int"
_YAML_STR = "tag:yaml.org,2002:str"


class MappingError(ValueError):
    """A mapping file that cannot be used; the message is one line naming file, key and problem."""


@dataclass(frozen=True)
class TrackingRule:
    """One `tracking` entry: a Xero tracking category and the template of its option."""

    category: str
    option: str
    create_options: bool = False


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file."""

    path: Path
    account_codes: dict[str, str]
    invoice_status: str = "AUTHORISED"
    card_payment_account: str | None = None
    payment_lookback_days: int = 90
    offices: tuple[int, ...] = ()
    projects: tuple[int, ...] = ()
    contact_match: tuple[str, ...] = ("tax_number", "email")
    reference: str | None = None
    tracking: tuple[TrackingRule, ...] = ()
    branding_themes: dict[str, str] = field(default_factory=dict)

    @property
    def needs_office_names(self) -> bool:
        """Whether tracking or branding names offices by name (tap-qondor then reads them)."""
        by_name = any(not key.strip().isdigit() for key in self.branding_themes)
        return by_name or any(OFFICE_NAME in rule.option for rule in self.tracking)

    def branding_theme(self, office_id: Any, office_name: Any = None) -> str | None:
        """The branding theme name for an office (by id, else by name), or None."""
        themes = {key.strip().casefold(): name for key, name in self.branding_themes.items()}
        for key in (office_id, office_name):
            if key is not None and str(key).strip().casefold() in themes:
                return themes[str(key).strip().casefold()]
        return None

    def account_code(self, article_number: str | None) -> str | None:
        """Return the Xero account code for a Qondor article number, or None when unmapped."""
        if article_number is None:
            return None
        return self.account_codes.get(str(article_number).strip())

    def includes(self, office_id: int | None, project_id: int | None) -> bool:
        """Return whether the office and project filters let an item through."""
        if self.offices and office_id not in self.offices:
            return False
        return not (self.projects and project_id not in self.projects)


@cache
def mapping_schema() -> dict[str, Any]:
    """Return the mapping file's JSON Schema."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def load_mapping(path: str | Path) -> Mapping:
    """Read, validate and return the mapping file at `path`; raise MappingError on any problem."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MappingError(f"{shown}: mapping file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"{shown}: cannot read mapping file ({one_line(exc)})") from None
    return parse_mapping(text, shown)


def parse_mapping(text: str, path: str | Path = "<mapping>") -> Mapping:
    """Validate mapping YAML `text` (shown as `path` in errors) and return the Mapping."""
    shown = str(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(exc, "problem", None) or one_line(exc)
        raise MappingError(f"{where}: malformed YAML: {problem}") from None
    if root is None or data is None:
        raise MappingError(f"{shown}: mapping file is empty; account_codes is required")
    if not isinstance(data, dict):
        raise MappingError(
            f"{shown}:{root.start_mark.line + 1}: the file must be a YAML mapping of keys to values"
        )
    _keep_code_text(data, root)

    validator = jsonschema.Draft202012Validator(mapping_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.validator))
    if errors:
        error = _first_error(errors)
        raise MappingError(_describe(error, root, shown))
    reference = data.get("reference")
    if reference:
        problem = reference_problem(reference)
        if problem:
            line = _line_of(root, ["reference"])
            raise MappingError(f"{shown}{line}: reference: {problem}")
    seen: set[str] = set()
    for n, rule in enumerate(data.get("tracking") or []):
        line = _line_of(root, ["tracking", n, "option"])
        problem = reference_problem(rule["option"], TRACKING_FIELDS)
        if problem:
            raise MappingError(f"{shown}{line}: tracking[{n}].option: {problem}")
        if rule["category"].strip().casefold() in seen:
            line = _line_of(root, ["tracking", n, "category"])
            raise MappingError(
                f"{shown}{line}: tracking[{n}].category: {rule['category']!r} is listed twice"
            )
        seen.add(rule["category"].strip().casefold())

    defaults = {k: v.get("default") for k, v in mapping_schema()["properties"].items()}
    values = {**defaults, **data}
    return Mapping(
        path=Path(path),
        account_codes={str(k).strip(): v for k, v in values["account_codes"].items()},
        invoice_status=values["invoice_status"],
        card_payment_account=values["card_payment_account"],
        payment_lookback_days=values["payment_lookback_days"],
        offices=tuple(values["offices"]),
        projects=tuple(values["projects"]),
        contact_match=tuple(values["contact_match"]),
        reference=values["reference"],
        tracking=tuple(
            TrackingRule(r["category"].strip(), r["option"], bool(r.get("create_options")))
            for r in values["tracking"]
        ),
        branding_themes={str(k): v for k, v in values["branding_themes"].items()},
    )


def reference_problem(template: str, fields: tuple[str, ...] = REFERENCE_FIELDS) -> str | None:
    """Return why a `reference` (or tracking option) template cannot be rendered, or None."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"{template!r} is not a valid template ({exc}); write fields as {{projectNo}}"
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion:
            return f"{template!r}: field {{{name}}} must not carry a format spec or conversion"
        base, _, rest = name.partition("[")
        if base == CUSTOM_FIELDS:
            if not rest.endswith("]") or len(rest) < 2 or "[" in rest:
                return (
                    f"{template!r}: write a custom field as {{{CUSTOM_FIELDS}[<heading>]}}, "
                    f"e.g. {{{CUSTOM_FIELDS}[PO number]}}"
                )
            continue
        if rest or "." in base or base not in fields:
            allowed = ", ".join(fields)
            return f"{template!r}: unknown field {{{name}}} (allowed: {allowed}, {CUSTOM_FIELDS}[<heading>])"
    return None


def _keep_code_text(data: dict[str, Any], root: yaml.Node) -> None:
    """Replace YAML-parsed numbers under code keys by their text as written (`090` stays `090`)."""
    if not isinstance(root, yaml.MappingNode):
        return
    for key_node, value_node in root.value:
        key = key_node.value
        if key not in _CODE_KEYS or key not in data:
            continue
        if key == "card_payment_account" and isinstance(value_node, yaml.ScalarNode):
            if value_node.tag == _YAML_INT:
                data[key] = value_node.value
        elif key == "account_codes" and isinstance(value_node, yaml.MappingNode):
            parsed = data[key]
            if not isinstance(parsed, dict) or len(parsed) != len(value_node.value):
                continue  # duplicate keys or an odd shape: let the schema speak
            codes: dict[Any, Any] = {}
            for (article, code), (key_value, value) in zip(
                value_node.value, parsed.items(), strict=True
            ):
                article_text = article.value if isinstance(article, yaml.ScalarNode) else key_value
                textual = isinstance(code, yaml.ScalarNode) and code.tag in (_YAML_INT, _YAML_STR)
                codes[article_text] = code.value if textual else value
            data[key] = codes


def _first_error(errors: list[jsonschema.ValidationError]) -> jsonschema.ValidationError:
    """Pick the error a person should fix first: the top-most, in file order."""
    return min(errors, key=lambda e: len(e.absolute_path))


def _describe(error: jsonschema.ValidationError, root: yaml.Node, shown: str) -> str:
    """Turn a schema error into `file:line: key: problem`."""
    path = list(error.absolute_path)
    allowed = list(mapping_schema()["properties"])
    if error.validator == "additionalProperties" and not path:
        unknown = sorted(set(error.instance) - set(allowed))[0]
        hint = difflib.get_close_matches(str(unknown), allowed, n=1)
        advice = f"did you mean {hint[0]!r}?" if hint else f"allowed keys: {', '.join(allowed)}"
        return f"{shown}{_line_of(root, [unknown], key=True)}: {unknown}: unknown key; {advice}"
    if error.validator == "required" and path:
        missing = next(k for k in error.validator_value if k not in error.instance)
        where = ".".join(str(p) for p in path)
        return f"{shown}{_line_of(root, path)}: {where}: {missing} is missing"
    if error.validator == "required":
        missing = next(k for k in error.validator_value if k not in error.instance)
        what = "Qondor article number → Xero account code, e.g. VAT25: '200'"
        return f"{shown}: {missing}: required key is missing ({what})"
    key = ".".join(str(p) for p in path) or "(top level)"
    line = _line_of(root, path)
    value = error.instance
    if error.validator == "enum":
        options = error.validator_value
        problem = f"{value!r} is not one of {options}"
    elif error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        problem = f"{value!r} is not of type {expected}"
        if path and path[0] == "account_codes" and value is None:
            problem = "no account code given; write e.g. VAT25: '200'"
    elif error.validator == "minProperties":
        problem = "must map at least one article number to an account code"
    elif error.validator == "maxItems" and path == ["tracking"]:
        problem = f"lists {len(value)} categories; Xero has at most two active tracking categories"
    elif error.validator == "uniqueItems":
        problem = f"{value!r} lists an entry twice"
    elif error.validator == "pattern":
        problem = f"{value!r} must not contain spaces"
    else:
        problem = error.message
    return f"{shown}{line}: {key}: {problem}"


def _line_of(root: yaml.Node, path: list[Any], key: bool = False) -> str:
    """Return `:<line>` for the node at `path` (its key when `key`), or '' when it is unknown."""
    node: yaml.Node | None = root
    mark = None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            pair = next((p for p in node.value if _same(p[0], step)), None)
            if pair is None:
                return ""
            mark = pair[0].start_mark
            node = pair[0] if key else pair[1]
            if not key:
                mark = node.start_mark if isinstance(node, yaml.ScalarNode) else mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                return ""
            node = node.value[step]
            mark = node.start_mark
        else:
            return ""
    return f":{mark.line + 1}" if mark else ""


def _same(node: yaml.Node, step: Any) -> bool:
    """Whether a mapping key node is the key `step`."""
    return isinstance(node, yaml.ScalarNode) and node.value == str(step)
