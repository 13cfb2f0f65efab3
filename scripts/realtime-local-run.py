"""Run the real-time SQL on a local Flink over the test stream and print what went in and came out.

    .venv-flink/bin/python scripts/realtime-local-run.py

A measurement, not a test (test/flink asserts the results): events in, rows per result table,
windows, and the wall time of the run (JVM start, planning and the job).
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test" / "flink"))
from local_flink import RESULT_TABLES, run_locally  # noqa: E402
from stream_events import arrivals, event_time, minute_of  # noqa: E402

started = time.monotonic()
stream = arrivals()
with tempfile.TemporaryDirectory() as workdir:
    out = run_locally(stream, Path(workdir))
minutes = {minute_of(t) for t in (event_time(a.record) for a in stream) if t}
print(f"events in: {len(stream)} in arrival order, over {len(minutes)} minutes of event time")
for table in RESULT_TABLES:
    rows = out[table]
    windows = len({r.get("window_start") for r in rows}) if rows and "window_start" in rows[0] else None
    print(f"{table}: {len(rows)} rows" + (f" in {windows} windows" if windows is not None else ""))
print(f"flagged minutes: {[r['window_start'] for r in out['conversion_anomalies'] if r['anomaly']]}")
print(f"time: {out['seconds']:.1f} s for the Flink run (environment, planning, job), {time.monotonic() - started:.1f} s in all")
