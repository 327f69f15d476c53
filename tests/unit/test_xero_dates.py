"""Xero date forms: /Date(ms±hhmm)/, negative epochs, ISO strings, If-Modified-Since."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from qondor_xero.xero.dates import format_if_modified_since, parse_xero_date, to_xero_timestamp


def test_ms_json_without_offset_is_utc():
    assert parse_xero_date("/Date(1539993600000)/") == datetime(2018, 10, 20, tzinfo=UTC)


def test_ms_json_with_zero_offset():
    parsed = parse_xero_date("/Date(1539993600000+0000)/")
    assert parsed == datetime(2018, 10, 20, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_ms_json_offset_keeps_the_instant_and_shows_local_time():
    parsed = parse_xero_date("/Date(1539993600000+1300)/")
    assert parsed == datetime(2018, 10, 20, tzinfo=UTC)  # same instant
    assert parsed.utcoffset() == timedelta(hours=13)
    assert (parsed.hour, parsed.day) == (13, 20)


def test_ms_json_negative_offset_with_minutes():
    parsed = parse_xero_date("/Date(1539993600000-0330)/")
    assert parsed == datetime(2018, 10, 20, tzinfo=UTC)
    assert parsed.utcoffset() == -timedelta(hours=3, minutes=30)


def test_negative_epoch_before_1970():
    assert parse_xero_date("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)
    assert parse_xero_date("/Date(-62135596800000+0000)/") == datetime(1, 1, 1, tzinfo=UTC)


def test_milliseconds_are_kept():
    assert parse_xero_date("/Date(1539993600123)/").microsecond == 123000


def test_iso_strings_become_aware():
    assert parse_xero_date("2026-11-20T00:00:00") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_xero_date("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_xero_date("2026-11-20T08:30:00Z") == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    plus_one = parse_xero_date("2026-11-20T09:30:00+01:00")
    assert plus_one == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert parse_xero_date("2026-11-20T08:30:00.1234567")  # .NET's 7 fractional digits


def test_none_and_empty_stay_none():
    assert parse_xero_date(None) is None
    assert parse_xero_date("") is None


@pytest.mark.parametrize("bad", ["/Date(abc)/", "yesterday", "/Date(1539993600000+13)/"])
def test_garbage_is_refused_with_the_value(bad):
    with pytest.raises(ValueError, match="not a Xero date"):
        parse_xero_date(bad)


def test_if_modified_since_is_utc_without_milliseconds():
    tz = timezone(timedelta(hours=2))
    assert (
        format_if_modified_since(datetime(2026, 11, 20, 10, 0, 0, 999000, tzinfo=tz))
        == "2026-11-20T08:00:00Z"
    )
    assert format_if_modified_since(date(2026, 11, 20)) == "2026-11-20T00:00:00Z"
    assert format_if_modified_since(datetime(2026, 11, 20, 8, 0)) == "2026-11-20T08:00:00Z"


def test_timestamp_round_trip():
    moment = datetime(2026, 11, 20, 8, 0, 1, 500000, tzinfo=UTC)
    assert to_xero_timestamp(moment) == "/Date(1795161601500+0000)/"
    assert parse_xero_date(to_xero_timestamp(moment)) == moment
