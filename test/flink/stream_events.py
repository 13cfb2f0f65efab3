"""A stream of session events in arrival order, with planted late events and a conversion spike,
and an independent oracle of what analytics.sql must compute from it.

The field values come from the seeded generator the curation tests use (test/glue/synthetic_events.py);
only the times are laid out as a live stream: minute by minute, each event arriving up to 20 s after
its event time (out of order, within the 30 s the watermark allows), plus planted cases:
- TOLERATED: events that arrive 28 s after their time, just before the minute ends: they still count
  (they would not with a watermark that allowed no lateness);
- TOO_LATE: events that arrive minutes after their minute was emitted: no window counts them, each
  is in rejected_events;
- three events whose time is not ISO-8601 UTC with milliseconds;
- SPIKE_MINUTE: every session of that minute ends with an order, the one minute the anomaly flag
  must mark.
"""
from __future__ import annotations

import math
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "glue"))
from synthetic_events import event, iso  # noqa: E402  (the curation tests' seeded generator)

START = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
MINUTES = 12
PER_MINUTE = 30
SPIKE_MINUTE = 9
WATERMARK_DELAY = timedelta(seconds=30)
TOLERATED = 4
TOO_LATE = 3
BAD_TIMES = ["2026-11-25 12:05:00", "2026-11-25T12:05:00.000+01:00", "not-a-time"]


@dataclass(frozen=True)
class Arrival:
    record: dict
    arrives: datetime


def arrivals(seed: int = 11) -> list[Arrival]:
    """Every event in the order the stream delivers it."""
    rng = random.Random(seed)
    out: list[Arrival] = []
    i = 0
    for minute in range(MINUTES):
        for _ in range(PER_MINUTE):
            record = event(rng, i)
            t = START + timedelta(minutes=minute, milliseconds=rng.randrange(0, 60_000))
            record["event_time"] = iso(t)
            if minute == SPIKE_MINUTE:
                record["purchased"] = 1
                record["cart_value"] = record["cart_value"] or 99.0
            out.append(Arrival(record, t + timedelta(milliseconds=rng.randrange(0, 20_000))))
            i += 1
    # Tolerated: 45-55 s into minutes 3..6, arriving 28 s later (past the next minute's start).
    for k in range(TOLERATED):
        record = event(rng, i)
        t = START + timedelta(minutes=3 + k, seconds=45 + 3 * k)
        record["event_time"] = iso(t)
        out.append(Arrival(record, t + timedelta(seconds=28)))
        i += 1
    # Too late: minute 2 events that arrive when the stream is at 12:06-12:08.
    for k in range(TOO_LATE):
        record = event(rng, i)
        t = START + timedelta(minutes=2, seconds=10 + 15 * k)
        record["event_time"] = iso(t)
        out.append(Arrival(record, START + timedelta(minutes=6 + k, seconds=5)))
        i += 1
    for k, bad in enumerate(BAD_TIMES):
        record = event(rng, i)
        record["event_time"] = bad
        out.append(Arrival(record, START + timedelta(minutes=4 + 2 * k, seconds=30)))
        i += 1
    out.sort(key=lambda a: a.arrives)
    return out


def event_time(record: dict) -> datetime | None:
    try:
        text = record["event_time"]
        if len(text) != 24 or text[10] != "T" or not text.endswith("Z"):
            return None
        return datetime.strptime(text[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
    except (ValueError, TypeError, KeyError):
        return None


def minute_of(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


@dataclass
class Oracle:
    counted: list[dict]
    late: list[dict]
    unparseable: list[dict]

    @staticmethod
    def of(stream: list[Arrival]) -> "Oracle":
        """Replay the stream: the watermark is the latest event time seen minus 30 s, and an event
        is late when the watermark has reached the last millisecond of its minute."""
        latest: datetime | None = None
        counted, late, bad = [], [], []
        for a in stream:
            t = event_time(a.record)
            if t is None:
                bad.append(a.record)
                continue
            watermark = latest - WATERMARK_DELAY if latest else None
            if watermark is not None and watermark >= minute_of(t) + timedelta(minutes=1) - timedelta(milliseconds=1):
                late.append(a.record)
            else:
                counted.append(a.record)
            latest = t if latest is None else max(latest, t)
        return Oracle(counted, late, bad)

    def minute_metrics(self) -> dict[tuple, dict]:
        rows: dict[tuple, dict] = defaultdict(lambda: {"sessions": 0, "orders": 0, "revenue": 0.0})
        for r in self.counted:
            m = minute_of(event_time(r))
            row = rows[(m, r["channel"] or "unknown", r["device"] or "unknown")]
            row["sessions"] += 1
            if r["purchased"] == 1:
                row["orders"] += 1
                row["revenue"] += r["cart_value"] or 0.0
        return dict(rows)

    def leaderboard(self, size=timedelta(minutes=10), slide=timedelta(minutes=1), top=5) -> dict[datetime, list[tuple]]:
        """Window start -> [(country, revenue)] best first (revenue down, then country up)."""
        per_window: dict[datetime, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in self.counted:
            m = minute_of(event_time(r))
            start = m - size + slide
            while start <= m:
                value = (r["cart_value"] or 0.0) if r["purchased"] == 1 else 0.0
                per_window[start][r["country"] or "unknown"] += value
                start += slide
        return {
            start: sorted(((c, v) for c, v in countries.items()), key=lambda cv: (-round(cv[1], 6), cv[0]))[:top]
            for start, countries in per_window.items()
        }

    def minute_rates(self) -> dict[datetime, float]:
        sessions: dict[datetime, int] = defaultdict(int)
        orders: dict[datetime, int] = defaultdict(int)
        for r in self.counted:
            m = minute_of(event_time(r))
            sessions[m] += 1
            orders[m] += 1 if r["purchased"] == 1 else 0
        return {m: orders[m] / sessions[m] for m in sorted(sessions)}


def band_of(history: list[float], sessions: int) -> tuple[float, float]:
    """Mean of the minutes before one, and the band around it: 3 standard deviations of the
    minutes' spread plus the sampling spread of a rate over `sessions`, at least 0.05."""
    mean = sum(history) / len(history)
    variance = max(0.0, sum(h * h for h in history) / len(history) - mean * mean)
    return mean, max(0.05, 3 * math.sqrt(variance + mean * (1 - mean) / sessions))
