"""The two thin entry points run the same transformation: EMR Serverless for real (plain Spark),
Glue with stand-ins for the awsglue modules (they exist only on Glue) that behave like them."""
import json
import os
import runpy
import sys
import types

from pyspark.sql import functions as F

from curate.transform import parse_json_lines
from synthetic_events import clean_events, json_lines

JOBS = os.path.join(os.path.dirname(__file__), "..", "..", "glue", "jobs")


def firehose_parquet(spark, schema, root, events):
    """Typed events laid out the way Firehose writes them: raw/events/year=/month=/day=/*.parquet."""
    lines = spark.createDataFrame([(l,) for l in json_lines(events)], "value string")
    typed, _ = parse_json_lines(lines, schema)
    t = F.col("event_time")
    (typed.drop("_raw")
        .withColumn("year", F.date_format(t, "yyyy")).withColumn("month", F.date_format(t, "MM")).withColumn("day", F.date_format(t, "dd"))
        .write.partitionBy("year", "month", "day").parquet(str(root)))


def manifest_of(out_root):
    [run_dir] = [d for d in os.listdir(out_root) if d.startswith("run=")]
    with open(os.path.join(out_root, run_dir, "manifest.json")) as f:
        return run_dir, json.load(f)


def test_emr_entry_curates_firehose_parquet_and_landing_json(spark, schema, tmp_path, monkeypatch):
    events = clean_events(300, seed=21)
    firehose_parquet(spark, schema, tmp_path / "raw", events[:200])
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "backfill.jsonl").write_text("\n".join(json_lines(events[200:]) + ["not json"]) + "\n")
    monkeypatch.setattr(sys, "argv", [
        "curate_emr.py", "--raw-path", str(tmp_path / "raw"), "--landing-path", str(tmp_path / "landing"),
        "--output-path", str(tmp_path / "curated"), "--run-id", "emr-test",
    ])
    runpy.run_path(os.path.join(JOBS, "curate_emr.py"), run_name="__main__")
    run_dir, manifest = manifest_of(tmp_path / "curated")
    assert run_dir == "run=emr-test"
    assert sum(manifest["counts"]["rows"].values()) == 300
    assert manifest["counts"]["rejected"] == {"malformed_json": 1}


def test_emr_entry_with_nothing_to_read_writes_nothing(spark, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [
        "curate_emr.py", "--raw-path", str(tmp_path / "raw"), "--landing-path", str(tmp_path / "landing"),
        "--output-path", str(tmp_path / "curated"),
    ])
    runpy.run_path(os.path.join(JOBS, "curate_emr.py"), run_name="__main__")
    assert "nothing to curate" in capsys.readouterr().out
    assert not (tmp_path / "curated").exists()


def fake_awsglue(spark, args, calls):
    """Stand-ins with the awsglue API the Glue entry uses: getResolvedOptions, GlueContext
    (spark_session, create_dynamic_frame.from_options -> .toDF()), Job (init, commit)."""
    utils = types.ModuleType("awsglue.utils")
    utils.getResolvedOptions = lambda argv, names: {n: args[n] for n in names}

    class DynamicFrameReader:
        def from_options(self, connection_type, format, connection_options, transformation_ctx):
            calls["read"] = dict(connection_type=connection_type, format=format, transformation_ctx=transformation_ctx, **connection_options)
            frame = spark.read.option("recursiveFileLookup", "true").parquet(*connection_options["paths"])
            return types.SimpleNamespace(toDF=lambda: frame)

    class GlueContext:
        def __init__(self, sc):
            self.spark_session = spark
            self.create_dynamic_frame = DynamicFrameReader()

    class Job:
        def __init__(self, ctx):
            pass

        def init(self, name, job_args):
            calls["init"] = name

        def commit(self):
            calls["commit"] = True

    context = types.ModuleType("awsglue.context")
    context.GlueContext = GlueContext
    job = types.ModuleType("awsglue.job")
    job.Job = Job
    return {"awsglue": types.ModuleType("awsglue"), "awsglue.utils": utils, "awsglue.context": context, "awsglue.job": job}


def test_glue_entry_reads_with_a_bookmark_context_and_commits(spark, schema, tmp_path, monkeypatch):
    firehose_parquet(spark, schema, tmp_path / "raw", clean_events(200, seed=5))
    args = {
        "JOB_NAME": "CurateJob", "JOB_RUN_ID": "jr_123", "raw_path": str(tmp_path / "raw"),
        "landing_path": str(tmp_path / "landing"), "output_path": str(tmp_path / "curated"), "seed": "42",
    }
    calls = {}
    for name, module in fake_awsglue(spark, args, calls).items():
        monkeypatch.setitem(sys.modules, name, module)
    runpy.run_path(os.path.join(JOBS, "curate_job.py"), run_name="__main__")
    assert calls["read"]["transformation_ctx"] == "raw_events" and calls["read"]["format"] == "parquet"
    assert calls["init"] == "CurateJob" and calls["commit"] is True
    run_dir, manifest = manifest_of(tmp_path / "curated")
    assert run_dir == "run=jr_123" and manifest["options"]["seed"] == 42
    assert sum(manifest["counts"]["rows"].values()) == 200
