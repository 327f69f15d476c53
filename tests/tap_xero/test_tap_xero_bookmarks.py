"""Where tap-xero starts reading, and the page walk that never skips a changed invoice."""

from datetime import UTC, datetime, timedelta

import pytest

from tap_xero.bookmarks import Replays, iter_changed, modified_since, sync_start

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def test_first_run_looks_back_the_mapping_days():
    assert sync_start(None, lookback_days=90, now=NOW) == NOW - timedelta(days=90)


def test_bookmark_inside_the_lookback_is_the_start():
    bookmark = NOW - timedelta(days=3)
    assert sync_start(bookmark, lookback_days=90, now=NOW) == bookmark


def test_bookmark_older_than_the_lookback_starts_at_the_lookback():
    bookmark = NOW - timedelta(days=91)
    assert sync_start(bookmark, lookback_days=90, now=NOW) == NOW - timedelta(days=90)


def test_start_date_overrides_the_lookback_both_ways():
    early = datetime(2025, 1, 1, tzinfo=UTC)
    late = NOW - timedelta(days=1)
    assert sync_start(None, lookback_days=90, now=NOW, start_date=early) == early
    assert sync_start(None, lookback_days=90, now=NOW, start_date=late) == late
    # a bookmark newer than start_date wins; an older one gives way to it
    bookmark = NOW - timedelta(hours=1)
    assert sync_start(bookmark, lookback_days=90, now=NOW, start_date=late) == bookmark
    assert sync_start(early, lookback_days=90, now=NOW, start_date=late) == late


def test_naive_bookmark_is_utc():
    naive = datetime(2026, 11, 26, 8, 0, 0)
    assert sync_start(naive, lookback_days=90, now=NOW) == naive.replace(tzinfo=UTC)


def test_modified_since_overlaps_one_whole_second():
    start = datetime(2026, 11, 26, 8, 0, 5, 750000, tzinfo=UTC)
    assert modified_since(start) == datetime(2026, 11, 26, 8, 0, 4, tzinfo=UTC)


class FakeXero:
    """Invoices in a list; `fetch(since)` pages them by UpdatedDateUTC ascending, lazily."""

    def __init__(self, stamps, page_size):
        self.invoices = {f"inv-{i}": stamp for i, stamp in enumerate(stamps)}
        self.page_size = page_size
        self.queries = []
        self.pages_read = 0
        self.on_page = None

    def fetch(self, since):
        self.queries.append(since)
        page = 0
        while True:
            ordered = sorted(
                ((s, i) for i, s in self.invoices.items() if s >= since), key=lambda p: p
            )
            chunk = ordered[page * self.page_size : (page + 1) * self.page_size]
            self.pages_read += 1
            if self.on_page:
                self.on_page(self)
            yield from ({"InvoiceID": i, "UpdatedDateUTC": s} for s, i in chunk)
            if len(chunk) < self.page_size:
                return
            page += 1


def walk(xero, start, page_size, replays=None, nothing_leaves=False):
    return list(
        iter_changed(
            xero.fetch,
            start,
            key=lambda o: o["InvoiceID"],
            updated=lambda o: o["UpdatedDateUTC"],
            page_size=page_size,
            replays=replays,
            nothing_leaves=nothing_leaves,
        )
    )


# Both walks: keyset paging (credit notes, which can leave the read by being voided) and one
# read of each page (invoices: every status they can move to is read).
WALKS = pytest.mark.parametrize("nothing_leaves", [False, True], ids=["keyset", "each-page-once"])


@WALKS
def test_every_invoice_once_across_pages(nothing_leaves):
    base = datetime(2026, 11, 1, tzinfo=UTC)
    stamps = [base + timedelta(seconds=10 * i) for i in range(25)]
    xero = FakeXero(stamps, page_size=10)
    got = walk(xero, base, page_size=10, nothing_leaves=nothing_leaves)
    assert sorted(o["InvoiceID"] for o in got) == sorted(xero.invoices)
    assert len(got) == 25
    if not nothing_leaves:  # each restart begins one second before the last stamp read
        assert xero.queries[1] == stamps[9] - timedelta(seconds=1)


def test_invoices_ten_a_second_are_read_one_page_each_and_no_page_twice():
    # As a bulk invoice sync leaves them: many per second, so keyset restarts (one second of
    # overlap each) would read most of every page twice.
    base = datetime(2026, 11, 1, tzinfo=UTC)
    stamps = [base + timedelta(milliseconds=100 * i) for i in range(95)]
    xero = FakeXero(stamps, page_size=10)
    got = walk(xero, base, page_size=10, nothing_leaves=True)
    assert sorted(o["InvoiceID"] for o in got) == sorted(xero.invoices)
    assert len(got) == 95
    assert (len(xero.queries), xero.pages_read) == (1, 10)
    keyset = FakeXero(stamps, page_size=10)
    assert len(walk(keyset, base, page_size=10)) == 95
    assert keyset.pages_read > 10  # what the invoices' read no longer costs


@WALKS
def test_invoice_updated_mid_run_does_not_push_another_past_the_walk(nothing_leaves):
    base = datetime(2026, 11, 1, tzinfo=UTC)
    stamps = [base + timedelta(seconds=10 * i) for i in range(25)]
    xero = FakeXero(stamps, page_size=10)

    def pay_inv_3_after_first_page(fake):
        # inv-3 is paid once page 1 has been served: it moves to the end of the order
        if fake.pages_read == 2 and fake.invoices["inv-3"] == stamps[3]:
            fake.invoices["inv-3"] = base + timedelta(hours=1)

    xero.on_page = pay_inv_3_after_first_page
    got = walk(xero, base, page_size=10, nothing_leaves=nothing_leaves)
    seen = {o["InvoiceID"] for o in got}
    assert seen == set(xero.invoices), "an unchanged invoice was skipped"
    assert [o["UpdatedDateUTC"] for o in got if o["InvoiceID"] == "inv-3"] == [
        stamps[3],
        base + timedelta(hours=1),
    ]


@WALKS
def test_a_full_page_within_one_second_falls_back_to_the_next_page(nothing_leaves):
    base = datetime(2026, 11, 1, tzinfo=UTC)
    stamps = [base + timedelta(milliseconds=i) for i in range(23)]
    xero = FakeXero(stamps, page_size=10)
    got = walk(xero, base, page_size=10, nothing_leaves=nothing_leaves)
    assert len(got) == 23
    assert len(xero.queries) == 1


def test_short_first_page_is_one_query():
    base = datetime(2026, 11, 1, tzinfo=UTC)
    xero = FakeXero([base, base + timedelta(seconds=5)], page_size=10)
    assert len(walk(xero, base, page_size=10)) == 2
    assert xero.queries == [base - timedelta(seconds=1)]


def test_what_the_previous_run_emitted_in_the_overlap_is_not_yielded_again():
    base = datetime(2026, 11, 1, 8, 0, 5, tzinfo=UTC)
    stamps = [base + timedelta(milliseconds=100), base + timedelta(milliseconds=300)]
    xero = FakeXero(stamps, page_size=10)
    first = Replays()
    assert len(walk(xero, base, page_size=10, replays=first)) == 2
    state = first.to_state(stamps[1])

    quiet = walk(xero, stamps[1], page_size=10, replays=Replays.from_state(state))

    assert quiet == []
    assert len(xero.queries) == 2  # the overlap is still read, only not emitted


def test_an_invoice_changed_again_in_the_bookmarks_second_is_yielded():
    base = datetime(2026, 11, 1, 8, 0, 5, tzinfo=UTC)
    xero = FakeXero([base + timedelta(milliseconds=100)], page_size=10)
    first = Replays()
    walk(xero, base, page_size=10, replays=first)
    bookmark = base + timedelta(milliseconds=100)
    xero.invoices["inv-0"] = base + timedelta(milliseconds=900)  # paid, same second
    xero.invoices["inv-new"] = bookmark  # another invoice with the bookmark's very stamp

    got = walk(xero, bookmark, page_size=10, replays=Replays.from_state(first.to_state(bookmark)))

    assert sorted(o["InvoiceID"] for o in got) == ["inv-0", "inv-new"]


def test_state_keeps_only_pairs_the_next_read_returns_and_none_past_the_bookmark():
    bookmark = datetime(2026, 11, 1, 8, 0, 5, 500000, tzinfo=UTC)
    replays = Replays()
    replays.is_new("old", bookmark - timedelta(seconds=3))  # before the next overlap
    replays.is_new("edge", bookmark - timedelta(milliseconds=1400))  # 08:00:04.100: re-read
    replays.is_new("at", bookmark)
    replays.is_new("late", bookmark + timedelta(seconds=2))  # past a signpost-capped bookmark

    kept = [key for key, _ in replays.to_state(bookmark)]

    assert kept == ["edge", "at"]
    assert replays.to_state(None) == []
    assert Replays.from_state([["a", "not a date"], "junk"]).previous == {}
