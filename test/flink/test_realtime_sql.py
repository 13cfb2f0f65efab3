"""flink/realtime/analytics.sql on a real Flink (PyFlink's local mini-cluster), checked against an
independent replay of the same stream (stream_events.Oracle). Each test names the plausible bug it
would catch."""
from datetime import datetime, timedelta, timezone

import pytest

from stream_events import (
    BAD_TIMES, MINUTES, SPIKE_MINUTE, START, TOLERATED, TOO_LATE, Oracle, band_of, event_time, minute_of,
)


def ts(text: str) -> datetime:
    """A timestamp as the JSON sink writes it (SQL format, UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def oracle(results):
    return Oracle.of(results["stream"])


def test_the_planted_cases_are_what_the_stream_says(results, oracle):
    # Guards the fixture itself: if the stream stopped planting them, the tests below would pass vacuously.
    assert len(oracle.late) == TOO_LATE
    assert len(oracle.unparseable) == len(BAD_TIMES)
    tolerated = [a for a in results["stream"] if event_time(a.record) and a.arrives - event_time(a.record) >= timedelta(seconds=25)]
    assert len(tolerated) == TOLERATED + TOO_LATE


def test_minute_windows_match_the_replay_row_for_row(results, oracle):
    # Catches: a window of the wrong size or offset, processing time instead of event time (the
    # windows would be today's minutes), counting orders wrongly, revenue from unconverted carts.
    got = {
        (ts(r["window_start"]), r["channel"], r["device"]): r for r in results["minute_metrics"]
    }
    want = oracle.minute_metrics()
    assert sorted(got) == sorted(want)
    for key, w in want.items():
        r = got[key]
        assert ts(r["window_end"]) - ts(r["window_start"]) == timedelta(minutes=1), key
        assert (r["sessions"], r["orders"]) == (w["sessions"], w["orders"]), key
        assert r["conversion_rate"] == pytest.approx(w["orders"] / w["sessions"]), key
        assert r["revenue"] == pytest.approx(w["revenue"], abs=0.006), key
    assert {k[0] for k in got} == {START + timedelta(minutes=m) for m in range(MINUTES)}


def test_events_up_to_30_seconds_late_still_count(results, oracle):
    # Catches: a watermark with no (or too little) allowed lateness. The tolerated events arrive
    # 28 s after their time, after events of the next minute: each must be in its minute's count.
    counted_ids = {r["event_id"] for r in oracle.counted}
    tolerated = [a.record for a in results["stream"]
                 if event_time(a.record) and a.arrives - event_time(a.record) == timedelta(seconds=28)]
    assert len(tolerated) == TOLERATED and all(r["event_id"] in counted_ids for r in tolerated)
    per_minute = {}
    for r in results["minute_metrics"]:
        per_minute[ts(r["window_start"])] = per_minute.get(ts(r["window_start"]), 0) + r["sessions"]
    for r in tolerated:
        minute = minute_of(event_time(r))
        assert per_minute[minute] == sum(1 for c in oracle.counted if minute_of(event_time(c)) == minute)


def test_events_later_than_that_are_rejected_not_counted(results, oracle):
    # Catches: an unbounded or too generous lateness (the late events would be counted), and
    # dropping them silently (they must be in rejected_events, with the reason).
    rejected = {r["event_id"]: r for r in results["rejected_events"]}
    assert {r["event_id"] for r in oracle.late} | {r["event_id"] for r in oracle.unparseable} == set(rejected)
    for r in oracle.late:
        assert rejected[r["event_id"]]["reason"].startswith("late")
        assert ts(rejected[r["event_id"]]["watermark_at_arrival"]) >= minute_of(event_time(r)) + timedelta(minutes=1) - timedelta(milliseconds=1)
    for r in oracle.unparseable:
        assert rejected[r["event_id"]]["reason"] == "event_time is not ISO-8601 UTC with milliseconds"
        assert rejected[r["event_id"]]["event_time"] == r["event_time"]
    minute_two = START + timedelta(minutes=2)
    sessions = sum(r["sessions"] for r in results["minute_metrics"] if ts(r["window_start"]) == minute_two)
    assert sessions == sum(1 for c in oracle.counted if minute_of(event_time(c)) == minute_two)
    # The stream's events all end up somewhere: counted, late or unparseable.
    total = sum(r["sessions"] for r in results["minute_metrics"])
    assert total + len(rejected) == len(results["stream"])


def test_leaderboard_ranks_countries_by_revenue_in_each_sliding_window(results, oracle):
    # Catches: a tumbling instead of a sliding window, the wrong size or slide, ascending order,
    # an unstable order of ties, more than 5 rows per window.
    got = {}
    for r in results["country_leaderboard"]:
        got.setdefault(ts(r["window_start"]), []).append(r)
    want = oracle.leaderboard()
    assert sorted(got) == sorted(want)
    for start, rows in got.items():
        rows.sort(key=lambda r: r["rank_in_window"])
        assert [r["rank_in_window"] for r in rows] == list(range(1, len(rows) + 1))
        assert ts(rows[0]["window_end"]) - start == timedelta(minutes=10)
        assert [r["country"] for r in rows] == [c for c, _ in want[start]], start
        assert [r["revenue"] for r in rows] == pytest.approx([v for _, v in want[start]], abs=0.006)
    full = START + timedelta(minutes=2)  # a window over minutes 2..11: every minute has data
    assert len(got[full]) == 5


def test_the_anomaly_flag_marks_the_planted_spike_and_nothing_else(results, oracle):
    # Catches: the current minute inside its own baseline (the spike would hide itself), a band
    # of the wrong width or sign, flagging before there is history.
    rows = {ts(r["window_start"]): r for r in results["conversion_anomalies"]}
    rates = oracle.minute_rates()
    assert sorted(rows) == sorted(rates)
    flagged = {m for m, r in rows.items() if r["anomaly"]}
    assert flagged == {START + timedelta(minutes=SPIKE_MINUTE)}
    minutes = sorted(rates)
    for i, m in enumerate(minutes):
        r = rows[m]
        assert r["conversion_rate"] == pytest.approx(rates[m])
        history = [rates[x] for x in minutes[max(0, i - 10):i]]
        assert r["history_minutes"] == len(history)
        if history:
            mean, band = band_of(history, r["sessions"])
            assert r["baseline_mean"] == pytest.approx(mean)
            assert r["band"] == pytest.approx(band)
            assert r["anomaly"] == (len(history) >= 5 and abs(rates[m] - mean) > band)
    spike = rows[START + timedelta(minutes=SPIKE_MINUTE)]
    assert spike["conversion_rate"] == 1.0 and spike["history_minutes"] >= 5
