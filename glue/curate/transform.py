"""Raw session events -> a model-ready dataset, as the study notes' data-preparation chapter teaches.

Pure PySpark: no awsglue import, so the same code runs in the Glue job (glue/jobs/curate_job.py),
on EMR Serverless (glue/jobs/curate_emr.py) and in pytest on local Spark. Steps, in order:

1. parse JSON lines (backfills dropped in the landing prefix); malformed lines are routed aside
2. validate: missing ids, bad timestamps, labels and out-of-range numbers are routed aside
3. drop rows that are mostly missing (routed aside too: nothing is silently lost)
4. deduplicate on the event id (Kinesis and Firehose deliver at least once)
5. derive time features (hour of day, day of week, weekend) in UTC
6. split train/validation/test at random with a seed, by a hash of the event id, so the split
   does not depend on how Spark partitioned the data and a re-run puts each event in the same split
7. fit on the training split only (no leakage): drop mostly-missing columns, mean of each numeric
   column, label-encoding vocabulary; then apply to all three splits (unseen categories handled)
8. write CSV without header, label first (SageMaker XGBoost), Parquet with names, the rejected
   records with their reason, and a manifest last (its presence means the run is complete)
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from .schema import EventSchema

CORRUPT = "_corrupt_record"
RAW = "_raw"
REASON = "reason"
SPLIT = "split"
SPLITS = ("train", "validation", "test")
UNKNOWN = "unknown"
REJECTED_COLUMNS = [REASON, RAW]


@dataclass(frozen=True)
class Options:
    """Knobs of the transformation; defaults are what the notes use."""

    seed: int = 42
    train_fraction: float = 0.7
    validation_fraction: float = 0.15
    # A column missing in more than this share of training rows carries too little to impute: drop it.
    max_missing_column_fraction: float = 0.5
    # A row missing more than this share of its feature values is dropped (and routed aside).
    max_missing_row_fraction: float = 0.5

    def __post_init__(self) -> None:
        if not (0 < self.train_fraction < 1 and 0 <= self.validation_fraction < 1):
            raise ValueError(
                f"train_fraction must be in (0, 1) and validation_fraction in [0, 1) "
                f"(got {self.train_fraction}, {self.validation_fraction})"
            )
        if self.train_fraction + self.validation_fraction >= 1:
            raise ValueError(
                "train_fraction + validation_fraction must leave rows for the test split "
                f"(got {self.train_fraction} + {self.validation_fraction})"
            )
        for name in ("max_missing_column_fraction", "max_missing_row_fraction"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1] (got {value})")


@dataclass
class Fitted:
    """What was learned from the training split, applied to every split and written to the manifest."""

    dropped_columns: List[str]
    means: Dict[str, float]
    vocabularies: Dict[str, Dict[str, int]]
    onehot: Dict[str, List[str]]
    feature_columns: List[str]


@dataclass
class CurateResult:
    dataset: DataFrame  # id, split, label, features... (label first after id and split)
    rejected: DataFrame  # reason, raw
    fitted: Fitted
    columns: List[str]  # label first, then the features: the CSV column order
    counts: Dict[str, object] = field(default_factory=dict)


def configure(spark: SparkSession) -> None:
    """Session settings the transformation relies on: UTC (time features and day boundaries must
    not depend on the cluster's zone), non-ANSI casts (a bad value becomes null and is routed aside
    instead of failing the job), and no _SUCCESS markers among the CSV files SageMaker reads."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.sparkContext._jsc.hadoopConfiguration().set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")


def parse_json_lines(lines: DataFrame, schema: EventSchema) -> Tuple[DataFrame, DataFrame]:
    """Lines (column `value`) -> typed events with the raw line kept, and the lines that are not
    JSON objects of the schema's types (reason `malformed_json`). Blank lines are skipped."""
    parsed = (
        lines.where(F.trim(F.col("value")) != "")
        .select(
            F.col("value").alias(RAW),
            F.from_json(
                F.col("value"),
                schema.json_struct(CORRUPT),
                {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT},
            ).alias("e"),
        )
        .select(RAW, "e.*")
    )
    # A JSON array or scalar parses to an all-null struct without a corrupt marker: treat as malformed.
    not_an_object = ~F.trim(F.col(RAW)).startswith("{")
    bad = F.col(CORRUPT).isNotNull() | not_an_object
    rejected = parsed.where(bad).select(F.lit("malformed_json").alias(REASON), F.col(RAW))
    good = parsed.where(~bad).drop(CORRUPT)
    time = schema.time_column
    events = good.withColumn(time, F.col(time).cast("timestamp"))
    return events.select(*[c.name for c in schema.columns], RAW), rejected


def with_raw(events: DataFrame, schema: EventSchema) -> DataFrame:
    """Typed events (e.g. Firehose's Parquet) with the record as JSON, so rejects keep the original."""
    names = [c.name for c in schema.columns]
    missing = [n for n in names if n not in events.columns]
    if missing:
        raise ValueError(f"Input lacks columns {missing} of the event schema (has {events.columns})")
    typed = events.select(*[F.col(c.name).cast(schema.spark_type(c)).alias(c.name) for c in schema.columns])
    return typed.withColumn(RAW, F.to_json(F.struct(*names)))


def validate(events: DataFrame, schema: EventSchema) -> Tuple[DataFrame, DataFrame]:
    """Route records that no amount of cleaning can use: the first failed check is the reason."""
    checks = [
        (F.col(schema.id_column).isNull() | (F.trim(F.col(schema.id_column)) == ""), f"missing_{schema.id_column}"),
        (F.col(schema.time_column).isNull(), f"missing_or_bad_{schema.time_column}"),
    ]
    label = schema.column(schema.label)
    checks.append((F.col(label.name).isNull(), f"missing_{label.name}"))
    for c in [label] + schema.by_role("numeric"):
        out = F.lit(False)
        if c.min is not None:
            out = out | (F.col(c.name) < F.lit(c.min))
        if c.max is not None:
            out = out | (F.col(c.name) > F.lit(c.max))
        # NaN compares greater than every number in Spark; name it as what it is.
        if c.type == "double":
            out = out | F.isnan(F.col(c.name))
        checks.append((F.coalesce(out, F.lit(False)), f"out_of_range_{c.name}"))
    reason = F.lit(None).cast("string")
    for condition, name in reversed(checks):
        reason = F.when(condition, F.lit(name)).otherwise(reason)
    marked = events.withColumn(REASON, reason)
    return marked.where(F.col(REASON).isNull()).drop(REASON), marked.where(F.col(REASON).isNotNull()).select(*REJECTED_COLUMNS)


def drop_sparse_rows(events: DataFrame, schema: EventSchema, max_missing_fraction: float) -> Tuple[DataFrame, DataFrame]:
    """Rows missing more than `max_missing_fraction` of their features are dropped, to the rejects."""
    features = schema.feature_columns
    missing = sum(F.when(F.col(c.name).isNull(), 1).otherwise(0) for c in features)
    too_sparse = missing > F.lit(max_missing_fraction * len(features))
    kept = events.where(~too_sparse)
    dropped = events.where(too_sparse).select(F.lit("mostly_missing").alias(REASON), F.col(RAW))
    return kept, dropped


def deduplicate(events: DataFrame, schema: EventSchema) -> DataFrame:
    """One row per event id: the earliest, ties broken on the raw record so the choice is stable."""
    w = Window.partitionBy(schema.id_column).orderBy(F.col(schema.time_column), F.col(RAW))
    return events.withColumn("_n", F.row_number().over(w)).where(F.col("_n") == 1).drop("_n")


def add_time_features(events: DataFrame, schema: EventSchema) -> DataFrame:
    """Hour of day, day of week (1 = Sunday .. 7 = Saturday) and weekend flag, from the UTC timestamp."""
    t = F.col(schema.time_column)
    return (
        events.withColumn("hour_of_day", F.hour(t))
        .withColumn("day_of_week", F.dayofweek(t))
        .withColumn("is_weekend", F.when(F.dayofweek(t).isin(1, 7), 1).otherwise(0))
    )


TIME_FEATURES = ["hour_of_day", "day_of_week", "is_weekend"]


def assign_splits(events: DataFrame, id_column: str, options: Options) -> DataFrame:
    """Random but reproducible: a seeded hash of the event id picks the split, so every row lands in
    exactly one split, the same seed gives the same split, and partitioning does not matter."""
    u = F.pmod(F.xxhash64(F.col(id_column), F.lit(options.seed)), F.lit(1_000_000)) / F.lit(1_000_000.0)
    edge = options.train_fraction + options.validation_fraction
    return events.withColumn(
        SPLIT,
        F.when(u < options.train_fraction, "train").when(u < edge, "validation").otherwise("test"),
    )


def fit(train: DataFrame, schema: EventSchema, options: Options) -> Fitted:
    """Learn from the training split only: which columns to drop, the means, the vocabularies."""
    features = schema.feature_columns
    total = train.count()
    if total == 0:
        raise ValueError("The training split is empty: nothing to fit the imputation and encodings on")
    nulls = train.select(*[F.sum(F.when(F.col(c.name).isNull(), 1).otherwise(0)).alias(c.name) for c in features]).first()
    dropped = [c.name for c in features if nulls[c.name] / total > options.max_missing_column_fraction]
    numeric = [c.name for c in schema.by_role("numeric") if c.name not in dropped]
    means: Dict[str, float] = {}
    if numeric:
        row = train.select(*[F.avg(F.col(n)).alias(n) for n in numeric]).first()
        means = {n: float(row[n]) if row[n] is not None else 0.0 for n in numeric}
    vocabularies: Dict[str, Dict[str, int]] = {}
    for c in schema.by_role("label_encoded"):
        if c.name in dropped:
            continue
        counts = (
            train.select(F.coalesce(F.col(c.name), F.lit(UNKNOWN)).alias("v"))
            .groupBy("v")
            .count()
            .orderBy(F.desc("count"), F.asc("v"))
            .collect()
        )
        vocabularies[c.name] = {r["v"]: i for i, r in enumerate(counts)}
    onehot = {c.name: list(c.categories) + ["other"] for c in schema.by_role("onehot") if c.name not in dropped}
    feature_columns = list(TIME_FEATURES) + numeric
    feature_columns += [f"{name}_index" for name in vocabularies]
    feature_columns += [f"{name}_{v}" for name, values in onehot.items() for v in values]
    return Fitted(dropped_columns=dropped, means=means, vocabularies=vocabularies, onehot=onehot, feature_columns=feature_columns)


def apply(events: DataFrame, fitted: Fitted, schema: EventSchema) -> DataFrame:
    """Impute, encode and order the columns: id, split, label, then the features."""
    out = events.fillna(fitted.means)
    for name, vocab in fitted.vocabularies.items():
        mapping = F.create_map(*[x for k, v in vocab.items() for x in (F.lit(k), F.lit(v))])
        value = F.coalesce(F.col(name), F.lit(UNKNOWN))
        # A category never seen in training gets the reserved index len(vocab).
        out = out.withColumn(f"{name}_index", F.coalesce(mapping[value], F.lit(len(vocab))))
    for name, values in fitted.onehot.items():
        known = [v for v in values if v != "other"]
        for v in known:
            out = out.withColumn(f"{name}_{v}", F.when(F.col(name) == v, 1).otherwise(0))
        out = out.withColumn(f"{name}_other", F.when(F.col(name).isin(*known), 0).otherwise(1))
    return out.select(schema.id_column, SPLIT, F.col(schema.label), *fitted.feature_columns)


def curate(events: DataFrame, schema: EventSchema, options: Optional[Options] = None, rejected: Optional[DataFrame] = None) -> CurateResult:
    """The whole pipeline on typed events that carry `_raw` (from parse_json_lines or with_raw)."""
    options = options or Options()
    valid, invalid = validate(events, schema)
    dense, sparse = drop_sparse_rows(valid, schema, options.max_missing_row_fraction)
    unique = deduplicate(dense, schema).cache()
    split = assign_splits(add_time_features(unique, schema), schema.id_column, options).cache()
    fitted = fit(split.where(F.col(SPLIT) == "train"), schema, options)
    dataset = apply(split, fitted, schema).cache()
    all_rejected = invalid.unionByName(sparse)
    if rejected is not None:
        all_rejected = rejected.select(*REJECTED_COLUMNS).unionByName(all_rejected)
    all_rejected = all_rejected.cache()

    per_split = {r[SPLIT]: r["count"] for r in dataset.groupBy(SPLIT).count().collect()}
    per_reason = {r[REASON]: r["count"] for r in all_rejected.groupBy(REASON).count().collect()}
    counts = {
        "valid_rows": dense.count(),
        "duplicates_dropped": dense.count() - unique.count(),
        "rows": {s: int(per_split.get(s, 0)) for s in SPLITS},
        "rejected": {k: int(v) for k, v in sorted(per_reason.items())},
    }
    columns = [schema.label] + fitted.feature_columns
    return CurateResult(dataset=dataset, rejected=all_rejected, fitted=fitted, columns=columns, counts=counts)


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """One small file through Hadoop's FileSystem: s3:// on Glue and EMR, file:// in tests."""
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(target, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def has_files(spark: SparkSession, path: str) -> bool:
    """Whether any object exists under `path` (Spark fails on a path that does not exist, and an
    empty raw or landing prefix is normal before the first delivery)."""
    jvm = spark.sparkContext._jvm
    root = jvm.org.apache.hadoop.fs.Path(path)
    fs = root.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return bool(fs.exists(root) and fs.listFiles(root, True).hasNext())


def read_json_lines(spark: SparkSession, path: str) -> Optional[DataFrame]:
    """Every line of every object under `path`, or None when there is none."""
    if not has_files(spark, path):
        return None
    return spark.read.option("recursiveFileLookup", "true").text(path)


def write_outputs(spark: SparkSession, result: CurateResult, output: str, run_id: str, options: Options) -> dict:
    """Write the splits and the rejects, then the manifest: readers wait for manifest.json, so a
    run that fails half-way leaves no manifest and is never mistaken for a dataset."""
    base = output.rstrip("/")
    outputs = {}
    for split in SPLITS:
        rows = result.dataset.where(F.col(SPLIT) == split)
        csv_path = f"{base}/csv/{split}"
        parquet_path = f"{base}/parquet/{split}"
        rows.select(*result.columns).write.mode("overwrite").option("header", "false").csv(csv_path)
        rows.drop(SPLIT).write.mode("overwrite").parquet(parquet_path)
        outputs[split] = {"csv": csv_path + "/", "parquet": parquet_path + "/"}
    rejected_path = f"{base}/rejected"
    result.rejected.write.mode("overwrite").json(rejected_path)
    manifest = {
        "run_id": run_id,
        "format": {"csv": "no header, label first (SageMaker XGBoost)", "parquet": "named columns, event id kept"},
        "label": result.columns[0],
        "columns": result.columns,
        "options": asdict(options),
        "counts": result.counts,
        "dropped_columns": result.fitted.dropped_columns,
        "imputed_means": result.fitted.means,
        "label_encodings": result.fitted.vocabularies,
        "onehot_categories": result.fitted.onehot,
        "outputs": outputs,
        "rejected": rejected_path + "/",
    }
    write_text(spark, f"{base}/manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    return manifest


def run(
    spark: SparkSession,
    schema: EventSchema,
    output: str,
    run_id: str,
    events: Optional[DataFrame] = None,
    json_lines: Optional[DataFrame] = None,
    options: Optional[Options] = None,
) -> dict:
    """Entry used by both engines: typed events (Firehose Parquet) and/or JSON lines (landing)."""
    options = options or Options()
    configure(spark)
    parts = []
    rejected = None
    if events is not None:
        parts.append(with_raw(events, schema))
    if json_lines is not None:
        parsed, rejected = parse_json_lines(json_lines, schema)
        parts.append(parsed)
    if not parts:
        raise ValueError("run() needs events, json_lines or both")
    combined = parts[0]
    for p in parts[1:]:
        combined = combined.unionByName(p)
    result = curate(combined, schema, options, rejected)
    return write_outputs(spark, result, output, run_id, options)
