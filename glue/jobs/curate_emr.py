"""EMR Serverless entry point: the same curate.transform, over the whole history (no bookmarks).

The notes' "EMR for large or complex jobs" path: a full rebuild of the curated dataset from every
Firehose file plus the landing prefix. Submit with the curate package zip in spark.submit.pyFiles
(the stack outputs the exact command; see docs/datalake.md).
"""
import argparse
import datetime

from pyspark.sql import SparkSession

from curate.schema import load_schema
from curate.transform import Options, has_files, read_json_lines, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw-path", required=True)
    parser.add_argument("--landing-path", required=True)
    parser.add_argument("--output-path", required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--run-id", default=datetime.datetime.now(datetime.timezone.utc).strftime("emr-%Y%m%dT%H%M%SZ"))
    args = parser.parse_args()

    spark = SparkSession.builder.appName("curate-events").getOrCreate()
    events = spark.read.option("recursiveFileLookup", "true").parquet(args.raw_path) if has_files(spark, args.raw_path) else None
    lines = read_json_lines(spark, args.landing_path)
    if events is None and lines is None:
        print("No events and no landing files: nothing to curate")
        return
    manifest = run(
        spark,
        load_schema(),
        output=f"{args.output_path.rstrip('/')}/run={args.run_id}",
        run_id=args.run_id,
        events=events,
        json_lines=lines,
        options=Options(seed=args.seed),
    )
    print(f"Curated: {manifest['counts']}")


if __name__ == "__main__":
    main()
