"""Storage and scan figures of the data lake's formats, measured on generated events.

    .venv/bin/python scripts/datalake-bench.py [--rows 20000]

Writes the events as JSON lines (what producers send), as Snappy Parquet (what Firehose's record
format conversion writes) and runs the curation (glue/curate) over the JSON lines; prints bytes
of each and the time the curation took. Figures, not assertions: nothing here fails on a number.
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "glue"))
sys.path.insert(0, os.path.join(ROOT, "test", "glue"))

from pyspark.sql import SparkSession  # noqa: E402

from curate.schema import load_schema  # noqa: E402
from curate.transform import Options, configure, parse_json_lines, read_json_lines, run  # noqa: E402
from synthetic_events import clean_events, json_lines  # noqa: E402


def size_of(path: str, suffixes) -> int:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f.endswith(suffixes))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    spark = (
        SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2").getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    configure(spark)
    schema = load_schema()
    with tempfile.TemporaryDirectory() as tmp:
        landing = os.path.join(tmp, "landing")
        os.makedirs(landing)
        with open(os.path.join(landing, "events.jsonl"), "w") as f:
            f.write("\n".join(json_lines(clean_events(args.rows))) + "\n")
        raw_json = size_of(landing, (".jsonl",))

        # What Firehose writes: the same records as Snappy Parquet, one file per buffer.
        events, _ = parse_json_lines(read_json_lines(spark, landing), schema)
        events.drop("_raw").coalesce(1).write.parquet(os.path.join(tmp, "raw-parquet"))
        raw_parquet = size_of(os.path.join(tmp, "raw-parquet"), (".parquet",))

        started = time.perf_counter()
        out = os.path.join(tmp, "curated")
        manifest = run(spark, schema, output=out, run_id="bench", json_lines=read_json_lines(spark, landing), options=Options())
        seconds = time.perf_counter() - started
        curated_csv = size_of(os.path.join(out, "csv"), (".csv",))
        curated_parquet = size_of(os.path.join(out, "parquet"), (".parquet",))

    print(f"rows generated:                 {args.rows}")
    print(f"raw JSON lines:                 {raw_json:>12,} bytes")
    print(f"raw Parquet (Snappy, Firehose): {raw_parquet:>12,} bytes  ({raw_parquet / raw_json:.1%} of JSON, {raw_json / raw_parquet:.1f}x smaller)")
    print(f"curated CSV (XGBoost):          {curated_csv:>12,} bytes")
    print(f"curated Parquet:                {curated_parquet:>12,} bytes")
    print(f"curation time (local[2]):       {seconds:.1f} s; rows per split {manifest['counts']['rows']}")
    spark.stop()


if __name__ == "__main__":
    main()
