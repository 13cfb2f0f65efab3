"""Run the Flink SQL tests against plausible bugs, one at a time, and list which tests fail.

    .venv-flink/bin/python test/flink/check_mutations.py ["name of one mutation" ...]

Each mutation must make at least one test fail; the script exits 1 naming any that does not.
Not part of npm test (one Flink run per mutation, ~30 s each): run it after changing the SQL or the tests.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL = (ROOT / "flink" / "realtime" / "analytics.sql").read_text(encoding="utf-8")

MUTATIONS = {
    "no allowed lateness": ("WATERMARK FOR ts AS ts - INTERVAL '30' SECOND", "WATERMARK FOR ts AS ts"),
    "10 minutes of allowed lateness": ("WATERMARK FOR ts AS ts - INTERVAL '30' SECOND", "WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE"),
    # The per-minute metrics windowed on arrival time (a PROCTIME() column) instead of `ts`.
    "processing time instead of event time": (
        "FROM TABLE(TUMBLE(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '1' MINUTE))\nGROUP BY window_start, window_end, channel, device",
        "FROM TABLE(TUMBLE(TABLE timed_events, DESCRIPTOR(pt), INTERVAL '1' MINUTE))\nGROUP BY window_start, window_end, channel, device"),
    "two-minute windows": ("FROM TABLE(TUMBLE(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '1' MINUTE))\nGROUP BY window_start, window_end, channel, device",
                           "FROM TABLE(TUMBLE(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '2' MINUTE))\nGROUP BY window_start, window_end, channel, device"),
    "tumbling leaderboard": ("HOP(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '10' MINUTE)",
                             "TUMBLE(TABLE timed_events, DESCRIPTOR(ts), INTERVAL '10' MINUTE)"),
    "leaderboard ascending": ("ORDER BY revenue DESC, country ASC", "ORDER BY revenue ASC, country ASC"),
    "current minute in its own baseline": ("SUM(rate) OVER last_minutes - rate AS history_sum", "SUM(rate) OVER last_minutes AS history_sum"),
    "band without sampling noise": ("+ (history_sum / history_minutes) * (1 - history_sum / history_minutes) / sessions", "+ 0"),
}


def main() -> int:
    survivors = []
    unknown = [n for n in sys.argv[1:] if n not in MUTATIONS]
    if unknown:
        print(f"Unknown mutation(s) {unknown}; known: {list(MUTATIONS)}")
        return 2
    for name in sys.argv[1:] or MUTATIONS:
        old, new = MUTATIONS[name]
        assert SQL.count(old) >= 1, f"mutation {name!r} does not apply: {old!r} not in the SQL"
        mutated = SQL.replace(old, new)
        if name == "processing time instead of event time":
            mutated = mutated.replace("  WATERMARK FOR ts AS", "  pt AS PROCTIME(),\n  WATERMARK FOR ts AS").replace(
                "SELECT\n  ts,\n", "SELECT\n  ts,\n  pt,\n")
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write(mutated)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:warnings", "-p", "no:cacheprovider", str(ROOT / "test" / "flink")],
                             env={**os.environ, "REALTIME_SQL_FILE": f.name}, capture_output=True, text=True)
        failed = sorted({line.split("::")[-1].split(" ")[0] for line in run.stdout.splitlines() if line.startswith("FAILED")})
        errors = "error" in run.stdout.splitlines()[-1] if run.stdout else True
        print(f"{name}: {'caught by ' + ', '.join(failed) if failed else ('job failed to run' if errors else 'NOT CAUGHT')}")
        if not failed:
            survivors.append(name)
    if survivors:
        print(f"{len(survivors)} mutation(s) not caught: {', '.join(survivors)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
