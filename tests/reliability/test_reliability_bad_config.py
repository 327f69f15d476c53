"""Bad configuration stops the run before any write, with one line that says what to fix."""

from __future__ import annotations

import pytest
from reliability_books import (
    SMALL_IDS,
    last_line,
    qondor_writes,
    read_queue,
    run_tap,
    run_target,
    small_mapping,
    statuses,
    target_config,
    xero_writes,
)

SECRET = "wrong-secret-never-shown-4711"


@pytest.fixture(scope="module")
def queue(sandbox, tmp_path_factory):
    """The small world's Singer messages, read once with a good mapping."""
    sandbox.reset("demo")
    workdir = tmp_path_factory.mktemp("bad-config")
    return read_queue(sandbox, workdir, small_mapping(workdir))


def assert_nothing_written(box, before):
    """No Xero write, no Qondor acknowledgement, every item still queued."""
    assert xero_writes(box) == []
    assert qondor_writes(box) == []
    assert statuses(box, SMALL_IDS) == before


MAPPINGS = {
    # name: (edit of the small mapping, what the one line must say)
    "malformed_yaml": ({"card_payment_account:": "card_payment_account: [090"}, "small.yml"),
    "unknown_key": (
        {"payment_lookback_days: 90": "payment_lookback_dayz: 90"},
        "payment_lookback_dayz",
    ),
    "wrong_status": ({"invoice_status: AUTHORISED": "invoice_status: SENT"}, "invoice_status"),
}


@pytest.mark.parametrize("case", sorted(MAPPINGS))
def test_bad_mapping_file_stops_tap_and_target_with_one_line(sandbox, queue, tmp_path, case):
    edit, named = MAPPINGS[case]
    mapping = small_mapping(tmp_path, **edit)
    before = statuses(sandbox, SMALL_IDS)
    sandbox.xero_requests(clear=True)
    sandbox.qondor_requests(clear=True)
    tap = run_tap(sandbox, tmp_path / "tap", mapping)
    run = run_target(tmp_path, target_config(sandbox, mapping, client_secret=SECRET), queue)
    for (
        name,
        code,
        stderr,
    ) in (("tap", tap.returncode, tap.stderr), ("target", run.returncode, run.stderr)):
        assert code != 0, name
        line = last_line(stderr)
        assert str(mapping) in line and named in line, f"{name}: {line}"
        assert "Traceback" not in stderr and SECRET not in stderr, name
    assert tap.stdout.strip() == ""  # the tap emitted nothing for a target to act on
    assert_nothing_written(sandbox, before)


def test_account_code_not_in_xero_stops_before_any_write(sandbox, queue, tmp_path):
    mapping = small_mapping(tmp_path, **{'VAT25: "3000"': 'VAT25: "3999"'})
    before = statuses(sandbox, SMALL_IDS)
    sandbox.xero_requests(clear=True)
    sandbox.qondor_requests(clear=True)
    run = run_target(tmp_path, target_config(sandbox, mapping), queue)
    assert run.returncode != 0
    line = last_line(run.stderr)
    assert "3999" in line and "VAT25" in line, line
    assert_nothing_written(sandbox, before)


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("client_secret", SECRET, "invalid_client"),
        ("tenant_id", "11111111-1111-4111-8111-111111111111", "tenant"),
    ],
    ids=["wrong_credentials", "wrong_tenant"],
)
def test_wrong_xero_connection_stops_before_any_write(
    sandbox, queue, tmp_path, setting, value, says
):
    before = statuses(sandbox, SMALL_IDS)
    sandbox.xero_requests(clear=True)
    sandbox.qondor_requests(clear=True)
    run = run_target(
        tmp_path, target_config(sandbox, small_mapping(tmp_path), **{setting: value}), queue
    )
    assert run.returncode != 0
    line = last_line(run.stderr)
    assert line.startswith("target-xero stopped, nothing was marked Failed:"), line
    assert says in line.lower(), line
    assert "Traceback" not in run.stderr and SECRET not in run.stderr
    assert_nothing_written(sandbox, before)


def test_bad_qondor_invoice_link_stops_before_any_write_naming_the_setting(
    sandbox, queue, tmp_path
):
    before = statuses(sandbox, SMALL_IDS)
    sandbox.xero_requests(clear=True)
    sandbox.qondor_requests(clear=True)
    bad = "https://app.qondor.example/invoice"  # no {id}: the payment sync could read no id
    config = target_config(sandbox, small_mapping(tmp_path), qondor_invoice_link=bad)
    run = run_target(tmp_path, config, queue)
    assert run.returncode != 0
    line = last_line(run.stderr)
    assert f"qondor_invoice_link '{bad}' must contain {{id}} exactly once" in line, line
    assert "Traceback" not in run.stderr
    assert_nothing_written(sandbox, before)
