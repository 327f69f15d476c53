"""tap-qondor's command line without a server: --about, discovery, and settings it refuses."""

import json
import subprocess
import sys
from pathlib import Path

TAP = str(Path(sys.executable).with_name("tap-qondor"))
SECRET = "qondor-secret-key-4711"


def run_tap(
    *args: str, config: dict | None = None, tmp_path: Path | None = None
) -> subprocess.CompletedProcess:
    argv = [TAP, *args]
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
        argv += ["--config", str(path)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def test_about_markdown_documents_every_setting():
    done = run_tap("--about", "--format=markdown")
    assert done.returncode == 0, done.stderr
    rows = {
        line.split("|")[1].strip(): line
        for line in done.stdout.splitlines()
        if line.startswith("| ")
    }
    for setting in ("api_url", "api_key", "mapping_file", "include_types"):
        assert setting in rows, done.stdout
    assert "https://qondor.azure-api.net/Prod" in rows["api_url"]
    assert "| True |" in rows["api_key"]
    assert "CreditCardPayment" in rows["include_types"]
    assert "offices" in rows["mapping_file"] and "projects" in rows["mapping_file"]


def test_discovery_lists_the_streams_in_emit_order(tmp_path):
    done = run_tap("--discover", config={"api_key": SECRET}, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    every = json.loads(done.stdout)["streams"]
    assert [s["tap_stream_id"] for s in every] == [
        "customers",
        "invoices",
        "credit_notes",
        "invoice_lines",
        "invoice_fields",
    ]
    keys = {s["tap_stream_id"]: s["key_properties"] for s in every}
    assert keys["invoice_lines"] == ["invoiceId", "lineNo"]
    assert keys["invoice_fields"] == ["invoiceId", "fieldNo"]
    streams = every[:3]
    for stream in streams:
        assert stream["key_properties"] == ["id"]
        props = stream["schema"]["properties"]
        if stream["tap_stream_id"] != "customers":
            assert props["invoiceDate"]["format"] == "date"
            assert props["createdDate"]["format"] == "date-time"
            assert props["totalInclVat"]["type"] == "number"
            assert "null" in props["booker"]["type"]
            assert props["lines"]["items"]["properties"]["amountExclVat"]["type"] == "number"
    kinds = {
        s["tap_stream_id"]: s["schema"]["properties"].get("invoiceKind", {}).get("enum")
        for s in streams
    }
    assert kinds["invoices"] == ["offer", "form", "booking", "card_payment"]
    assert kinds["credit_notes"] == ["credit_note"]
    assert SECRET not in done.stdout + done.stderr


def test_missing_key_stops_with_a_clear_line(tmp_path):
    done = run_tap(config={"api_url": "http://127.0.0.1:9"}, tmp_path=tmp_path)
    assert done.returncode == 1
    assert "'api_key' is a required property" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_missing_mapping_file_stops_with_one_line_naming_it(tmp_path):
    missing = tmp_path / "acme.yml"
    config = {"api_key": SECRET, "api_url": "http://127.0.0.1:9", "mapping_file": str(missing)}
    done = run_tap(config=config, tmp_path=tmp_path)
    assert done.returncode == 1
    assert error_lines(done.stderr) == [error_lines(done.stderr)[0]]
    assert str(missing) in done.stderr and "not found" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_invalid_mapping_file_stops_with_one_line_naming_the_key(tmp_path):
    mapping = tmp_path / "acme.yml"
    mapping.write_text('account_codes:\n  VAT25: "200"\noffices: [one]\n')
    config = {"api_key": SECRET, "api_url": "http://127.0.0.1:9", "mapping_file": str(mapping)}
    done = run_tap(config=config, tmp_path=tmp_path)
    assert done.returncode == 1
    errors = error_lines(done.stderr)
    assert len(errors) == 1, done.stderr
    assert str(mapping) in errors[0] and "offices" in errors[0]
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stderr


def test_plain_http_to_a_remote_host_is_refused(tmp_path):
    config = {"api_key": SECRET, "api_url": "http://qondor.example.com/Prod"}
    done = run_tap(config=config, tmp_path=tmp_path)
    assert done.returncode == 1
    errors = error_lines(done.stderr)
    assert len(errors) == 1 and "api_url" in errors[0] and "https" in errors[0]


def test_unknown_invoice_type_in_include_types_is_refused(tmp_path):
    config = {"api_key": SECRET, "api_url": "http://127.0.0.1:9", "include_types": ["Invoice"]}
    done = run_tap(config=config, tmp_path=tmp_path)
    assert done.returncode == 1
    assert "'Invoice' is not one of" in done.stderr
    assert done.stdout == ""
