"""The mapping file loader: valid files load with defaults, bad ones stop with one clear line."""

from pathlib import Path

import pytest

from qondor_xero.mapping import MappingError, load_mapping, parse_mapping, reference_problem

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = 'account_codes:\n  VAT25: "200"\n'


def write(tmp_path: Path, text: str, name: str = "acme.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message.removeprefix(str(path))


def test_example_mapping_loads():
    mapping = load_mapping(ROOT / "mappings" / "example.yml")
    assert mapping.invoice_status == "AUTHORISED"
    assert mapping.account_codes["VAT25"] == "200"
    assert mapping.account_codes["VAT0"] == "260"
    assert mapping.card_payment_account == "090"
    assert mapping.contact_match == ("tax_number", "email")
    assert mapping.reference == "{customerInvoiceFields[PO number]}"


def test_schema_is_linked_from_mappings_folder():
    linked = ROOT / "mappings" / "mapping.schema.json"
    assert linked.read_text() == (ROOT / "qondor_xero" / "mapping.schema.json").read_text()


def test_minimal_mapping_gets_the_documented_defaults(tmp_path):
    mapping = load_mapping(write(tmp_path, MINIMAL))
    assert mapping.invoice_status == "AUTHORISED"
    assert mapping.payment_lookback_days == 90
    assert mapping.offices == () and mapping.projects == ()
    assert mapping.contact_match == ("tax_number", "email")
    assert mapping.reference is None and mapping.card_payment_account is None


def test_unquoted_account_codes_keep_their_text(tmp_path):
    text = "account_codes:\n  VAT25: 200\n  1000: 0200\ncard_payment_account: 090\n"
    mapping = load_mapping(write(tmp_path, text))
    assert mapping.account_codes == {"VAT25": "200", "1000": "0200"}
    assert mapping.card_payment_account == "090"
    assert mapping.account_code("1000") == "0200"
    assert mapping.account_code(" VAT25 ") == "200"
    assert mapping.account_code("VAT99") is None


def test_bad_status_names_line_key_and_allowed_values(tmp_path):
    text = MINIMAL + "card_payment_account: '090'\ninvoice_status: PAID\n"
    assert error_of(tmp_path, text) == (
        ":4: invoice_status: 'PAID' is not one of ['DRAFT', 'AUTHORISED']"
    )


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    message = error_of(tmp_path, MINIMAL + "invoice_statuss: DRAFT\n")
    assert message == ":3: invoice_statuss: unknown key; did you mean 'invoice_status'?"


def test_missing_account_codes_is_named(tmp_path):
    message = error_of(tmp_path, "invoice_status: DRAFT\n")
    assert message.startswith(": account_codes: required key is missing")


def test_empty_account_codes_are_refused(tmp_path):
    message = error_of(tmp_path, "account_codes: {}\n")
    assert message == ":1: account_codes: must map at least one article number to an account code"


def test_article_without_code_names_the_article(tmp_path):
    message = error_of(tmp_path, "account_codes:\n  VAT25: '200'\n  VAT0:\n")
    assert message.startswith(":3: account_codes.VAT0: no account code given")


def test_malformed_yaml_names_the_line(tmp_path):
    message = error_of(tmp_path, MINIMAL + "offices: [1, 2\nprojects: []\n")
    assert message.startswith(":4: malformed YAML")


def test_missing_file_is_named():
    with pytest.raises(MappingError, match=r"^nowhere/acme\.yml: mapping file not found$"):
        load_mapping("nowhere/acme.yml")


def test_empty_file_is_refused(tmp_path):
    assert "account_codes is required" in error_of(tmp_path, "# nothing yet\n")


def test_list_instead_of_mapping_is_refused(tmp_path):
    assert "must be a YAML mapping" in error_of(tmp_path, "- VAT25\n")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "payment_lookback_days: 0\n",
            ":3: payment_lookback_days: 0 is less than the minimum of 1",
        ),
        (
            "payment_lookback_days: ninety\n",
            ":3: payment_lookback_days: 'ninety' is not of type integer",
        ),
        ("offices: [1, x]\n", ":3: offices.1: 'x' is not of type integer"),
        (
            "contact_match: [email, phone]\n",
            ":3: contact_match.1: 'phone' is not one of ['tax_number', 'email']",
        ),
        (
            "contact_match: [email, email]\n",
            ":3: contact_match: ['email', 'email'] lists an entry twice",
        ),
    ],
)
def test_bad_values_name_the_key(tmp_path, extra, expected):
    assert error_of(tmp_path, MINIMAL + extra) == expected


def test_contact_match_order_is_kept(tmp_path):
    mapping = load_mapping(write(tmp_path, MINIMAL + "contact_match: [email, tax_number]\n"))
    assert mapping.contact_match == ("email", "tax_number")


def test_unknown_reference_field_is_refused(tmp_path):
    message = error_of(tmp_path, MINIMAL + "reference: '{poNumber}'\n")
    assert message.startswith(":3: reference: '{poNumber}': unknown field {poNumber}")


def test_reference_templates():
    assert reference_problem("{projectNo} / {customerInvoiceFields[PO number]}") is None
    assert reference_problem("PO {customerInvoiceFields[PO number]}") is None
    assert "unknown field" in reference_problem("{customer.name}")
    assert "not a valid template" in reference_problem("{projectNo")
    assert "format spec" in reference_problem("{projectNo:>10}")


def test_filters():
    mapping = parse_mapping(MINIMAL + "offices: [1]\nprojects: [881, 882]\n")
    assert mapping.includes(1, 881)
    assert not mapping.includes(2, 881)
    assert not mapping.includes(1, 999)
    assert parse_mapping(MINIMAL).includes(7, None)


def test_tracking_and_branding_load_from_the_example():
    mapping = load_mapping(ROOT / "mappings" / "example.yml")
    assert [(r.category, r.option, r.create_options) for r in mapping.tracking] == [
        ("Office", "{officeName}", False),
        ("Project", "{projectNo}", True),
    ]
    assert mapping.branding_theme(1) == "Standard"
    assert mapping.branding_theme(3, "nordic events stockholm") == "Nordic Events Sverige"
    assert mapping.branding_theme(2, "Nordic Events Bergen") is None
    assert mapping.needs_office_names
    assert not parse_mapping(MINIMAL).needs_office_names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "tracking:\n  - {category: Office, option: '{office}'}\n",
            ":4: tracking[0].option: '{office}': unknown field {office} (allowed: ",
        ),
        (
            "tracking:\n  - {category: Office, option: x}\n  - {category: office, option: y}\n",
            ":5: tracking[1].category: 'office' is listed twice",
        ),
        ("tracking:\n  - {category: Office}\n", ":4: tracking.0: option is missing"),
        (
            "tracking: [{category: A, option: a}, {category: B, option: b}, {category: C, option: c}]\n",
            ":3: tracking: lists 3 categories; Xero has at most two active tracking categories",
        ),
    ],
)
def test_a_bad_tracking_entry_stops_with_one_line_naming_it(tmp_path, text, message):
    assert error_of(tmp_path, MINIMAL + text).startswith(message)
