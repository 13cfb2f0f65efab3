"""Generated session events with the nasty cases the curation must survive (tests and the bench)."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

DEVICES = ["mobile", "desktop", "tablet"]
CHANNELS = ["web", "app", "email", "ads"]
COUNTRIES = ["DE", "FR", "ES", "IT", "NL", "PL", "SE"]
START = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def event(rng: random.Random, i: int) -> dict:
    t = START + timedelta(seconds=rng.randrange(0, 2 * 86400))
    views = rng.randrange(1, 40)
    cart = round(rng.uniform(0, 300), 2)
    return {
        "event_id": f"evt-{i:07d}",
        "event_time": iso(t),
        "user_id": f"user-{rng.randrange(0, 500):04d}",
        "device": rng.choice(DEVICES),
        "channel": rng.choice(CHANNELS),
        "country": rng.choice(COUNTRIES),
        "page_views": views,
        "session_seconds": None if rng.random() < 0.1 else round(rng.uniform(5, 3600), 1),
        "cart_value": None if rng.random() < 0.1 else cart,
        # Mostly missing: the transformation should drop the column.
        "discount_pct": round(rng.uniform(5, 30), 1) if rng.random() < 0.05 else None,
        "purchased": 1 if cart > 150 and views > 10 else 0,
    }


def clean_events(n: int, seed: int = 7) -> list:
    rng = random.Random(seed)
    return [event(rng, i) for i in range(n)]


def json_lines(events: list) -> list:
    return [json.dumps(e, separators=(",", ":")) for e in events]
