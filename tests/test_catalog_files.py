"""The catalogs committed for Meltano (`catalog:` in meltano.yml) are what the taps discover:
a stream or schema change without `make catalogs` fails here, not in a customer's run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"tap-qondor": {"api_key": "-"}, "tap-xero": {"client_id": "-", "client_secret": "-"}}


@pytest.mark.parametrize("tap", sorted(CONFIGS))
def test_the_committed_catalog_is_what_the_tap_discovers(tap, tmp_path):
    extractors = yaml.safe_load((ROOT / "meltano.yml").read_text())["plugins"]["extractors"]
    catalog = next(e for e in extractors if e["name"] == tap)["catalog"]
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIGS[tap]))
    executable = str(Path(sys.executable).with_name(tap))
    discovered = subprocess.run(
        [executable, "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    committed = json.loads((ROOT / catalog).read_text())
    assert committed == json.loads(discovered), f"{catalog} is stale: run `make catalogs`"
