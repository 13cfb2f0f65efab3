"""Glue 5.0 entry point: reads the job arguments and the data, then hands over to curate.transform.

The Firehose output is read as a DynamicFrame with a transformation_ctx. The job runs with
bookmarks disabled by default, so every run reads the whole history and its output is a complete,
reproducible dataset (what SageMaker trains on); started with --job-bookmark-option
job-bookmark-enable, the same context makes the run skip files an earlier run processed (an
increment, not a training set). The landing prefix (JSON-lines backfills) is read as plain text so
malformed lines reach the transformation and are routed aside.
"""
import sys

from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

from curate.schema import load_schema
from curate.transform import Options, read_json_lines, run

args = getResolvedOptions(sys.argv, ["JOB_NAME", "JOB_RUN_ID", "raw_path", "landing_path", "output_path", "seed"])
glue_context = GlueContext(SparkContext.getOrCreate())
spark = glue_context.spark_session
job = Job(glue_context)
job.init(args["JOB_NAME"], args)

raw = glue_context.create_dynamic_frame.from_options(
    connection_type="s3",
    format="parquet",
    connection_options={"paths": [args["raw_path"]], "recurse": True},
    transformation_ctx="raw_events",
).toDF()
events = None if raw.rdd.isEmpty() else raw
lines = read_json_lines(spark, args["landing_path"])

if events is None and lines is None:
    print("No new events since the last bookmark and no landing files: nothing to curate")
else:
    manifest = run(
        spark,
        load_schema(),
        output=f"{args['output_path'].rstrip('/')}/run={args['JOB_RUN_ID']}",
        run_id=args["JOB_RUN_ID"],
        events=events,
        json_lines=lines,
        options=Options(seed=int(args["seed"])),
    )
    print(f"Curated: {manifest['counts']}")
job.commit()
