"""meltano.yml declares every setting each plugin accepts, with a description, secrets sensitive."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MELTANO_YML = yaml.safe_load((ROOT / "meltano.yml").read_text())
SDK_BUILT_INS = {
    "stream_maps",
    "stream_map_config",
    "faker_config",
    "flattening_enabled",
    "flattening_max_depth",
    "flattening_max_key_length",
    "flattening_separator",
    "batch_config",
    "add_record_metadata",
    "load_method",
    "batch_size_rows",
    "validate_records",
}


def declared(name: str) -> dict[str, dict]:
    plugins = MELTANO_YML["plugins"]["extractors"] + MELTANO_YML["plugins"]["loaders"]
    plugin = next(p for p in plugins if p["name"] == name)
    return {s["name"]: s for s in plugin["settings"]}


def about(executable: str) -> dict:
    bin_dir = Path(sys.executable).parent
    out = subprocess.run(
        [str(bin_dir / executable), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("name", ["tap-qondor", "target-xero", "tap-xero", "target-qondor"])
def test_every_plugin_setting_is_declared_with_a_description_and_secrets_sensitive(name):
    settings = declared(name)
    accepted = about(name)["settings"]["properties"]
    own = {k: v for k, v in accepted.items() if k not in SDK_BUILT_INS}
    assert set(own) <= set(settings), (
        f"{name}: declare {sorted(set(own) - set(settings))} in meltano.yml"
    )
    for key, schema in own.items():
        assert settings[key].get("description"), f"{name}.{key} has no description"
        assert bool(settings[key].get("sensitive")) == bool(schema.get("secret")), f"{name}.{key}"
        if "default" in schema and schema["default"] is not None:
            assert settings[key].get("value") == schema["default"], f"{name}.{key} default"


def test_jobs_schedule_and_environments():
    jobs = {j["name"]: j["tasks"] for j in MELTANO_YML["jobs"]}
    assert jobs == {
        "invoice-sync": ["tap-qondor target-xero"],
        "payment-sync": ["tap-xero target-qondor"],
        "qondor-xero-sync": ["tap-qondor target-xero", "tap-xero target-qondor"],
    }
    assert MELTANO_YML["default_environment"] == "sandbox"
    assert MELTANO_YML["include_paths"] == ["./environments/*.meltano.yml"]
    assert MELTANO_YML["venv"]["backend"] == "uv"


def test_customer_environment_takes_every_secret_from_environment_variables():
    env = yaml.safe_load((ROOT / "environments" / "acme.meltano.yml").read_text())["environments"][
        0
    ]
    plugins = env["config"]["plugins"]["extractors"] + env["config"]["plugins"]["loaders"]
    for plugin in plugins:
        secrets = {k for k, s in declared(plugin["name"]).items() if s.get("sensitive")}
        for key, value in plugin["config"].items():
            if key in secrets:
                assert str(value).startswith("${ACME_"), (
                    f"{plugin['name']}.{key} must come from env"
                )
            if key.endswith("_url"):
                assert str(value).startswith("https://"), f"{plugin['name']}.{key}"
        if "mapping_file" in declared(plugin["name"]):
            assert plugin["config"]["mapping_file"] == "$MELTANO_PROJECT_ROOT/mappings/example.yml"


SETTING_KINDS = {"boolean": "boolean", "integer": "integer", "object": "object", "string": "string"}


@pytest.mark.parametrize("name", ["tap-qondor", "target-xero", "tap-xero", "target-qondor"])
def test_capabilities_are_what_the_plugin_says_about_itself(name):
    plugins = MELTANO_YML["plugins"]["extractors"] + MELTANO_YML["plugins"]["loaders"]
    plugin = next(p for p in plugins if p["name"] == name)
    assert sorted(plugin["capabilities"]) == sorted(about(name)["capabilities"])


@pytest.mark.parametrize("name", ["tap-qondor", "tap-xero"])
def test_the_taps_declare_the_sdk_settings_with_their_kinds(name):
    settings = declared(name)
    accepted = about(name)["settings"]["properties"]
    for key in set(accepted) & SDK_BUILT_INS:
        assert key in settings, f"{name}: declare the SDK's {key} in meltano.yml"
        types = accepted[key].get("type") or []
        types = [types] if isinstance(types, str) else types
        kind = next((SETTING_KINDS[t] for t in types if t in SETTING_KINDS), None)
        if kind and kind != "string":
            assert settings[key].get("kind") == kind, f"{name}.{key} kind"
