"""Run flink/realtime/analytics.sql on a local Flink mini-cluster (PyFlink) over a stream of events."""
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "flink" / "realtime"))

RESULT_TABLES = ("minute_metrics", "country_leaderboard", "conversion_anomalies", "rejected_events")


def run_locally(stream, workdir: Path) -> dict:
    """Write `stream` as JSON lines in arrival order, run analytics.sql on a local Flink
    mini-cluster (the same statements as on AWS; only the source and sink folders differ) and
    read back every result table."""
    import job
    from pyflink.table import EnvironmentSettings, TableEnvironment

    events = workdir / "events.json"
    events.write_text("".join(json.dumps(a.record) + "\n" for a in stream), encoding="utf-8")
    sink = workdir / "results"
    shutil.rmtree(sink, ignore_errors=True)
    started = time.monotonic()
    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = env.get_config()
    config.set("parallelism.default", "1")
    config.set("table.local-time-zone", "UTC")
    # A watermark after every event, so which events are late depends only on their order in the
    # file (with the default 200 ms period it would depend on how fast the file is read).
    config.set("pipeline.auto-watermark-interval", "0 ms")
    # The filesystem sink finishes its files on checkpoints, the last one when the input ends.
    config.set("execution.checkpointing.interval", "1 s")
    # check_mutations.py points this at a mutated copy of the SQL to see the tests fail.
    sql = Path(os.environ["REALTIME_SQL_FILE"]).read_text(encoding="utf-8") if os.environ.get("REALTIME_SQL_FILE") else None
    job.submit(env, {"connector": "filesystem", "path": events.as_uri()}, sink.as_uri() + "/", sql=sql).wait()
    tables = {}
    for table in RESULT_TABLES:
        rows = []
        for f in sorted((sink / table).rglob("*")):
            if f.is_file() and not f.name.startswith((".", "_")):
                rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        tables[table] = rows
    tables["seconds"] = time.monotonic() - started
    return tables
