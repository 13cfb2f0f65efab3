"""The curation transform on local Spark, on generated events with the nasty cases in them."""
import csv
import glob
import json
import os

import pytest
from pyspark.sql import functions as F

from curate.schema import parse_schema
from curate.transform import (
    Options,
    add_time_features,
    apply,
    assign_splits,
    curate,
    deduplicate,
    fit,
    parse_json_lines,
    read_json_lines,
    run,
    validate,
    with_raw,
)
from synthetic_events import clean_events, json_lines

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "glue", "curate", "event_schema.json")


def lines_df(spark, lines):
    return spark.createDataFrame([(line,) for line in lines], "value string")


def parsed(spark, schema, events):
    good, rejected = parse_json_lines(lines_df(spark, json_lines(events)), schema)
    assert rejected.count() == 0
    return good


def base_event(**overrides):
    e = clean_events(1, seed=1)[0]
    e.update(overrides)
    return e


# ---------------------------------------------------------------- schema

def test_schema_is_the_json_file_the_stack_reads(schema):
    with open(SCHEMA_FILE) as f:
        document = json.load(f)
    assert [c.name for c in schema.columns] == [c["name"] for c in document["columns"]]
    assert schema.label == "purchased" and schema.id_column == "event_id" and schema.time_column == "event_time"


def test_schema_rejects_an_unknown_type_naming_it():
    with pytest.raises(ValueError, match=r"Column 'x' has unsupported type 'varchar\(3\)'"):
        parse_schema({"table": "t", "label": "y", "columns": [
            {"name": "i", "type": "string", "role": "id"},
            {"name": "t", "type": "timestamp", "role": "time"},
            {"name": "y", "type": "int", "role": "label"},
            {"name": "x", "type": "varchar(3)", "role": "numeric"},
        ]})


@pytest.mark.parametrize("kwargs, message", [
    ({"train_fraction": 1.2}, r"train_fraction must be in \(0, 1\).*\(got 1.2, 0.15\)"),
    ({"train_fraction": 0.9, "validation_fraction": 0.1}, r"must leave rows for the test split \(got 0.9 \+ 0.1\)"),
    ({"max_missing_row_fraction": 0}, r"max_missing_row_fraction must be in \(0, 1\] \(got 0\)"),
])
def test_options_name_the_bad_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Options(**kwargs)


# ---------------------------------------------------------------- parsing and validation

def test_malformed_json_lines_are_routed_aside_not_fatal(spark, schema):
    good_line = json_lines([base_event()])[0]
    lines = [
        good_line,
        "not json at all",
        '{"event_id": "evt-x", "page_views": "many"',  # truncated
        '{"event_id": "evt-y", "page_views": "many"}',  # wrong type
        "[1, 2, 3]",
        "   ",
    ]
    events, rejected = parse_json_lines(lines_df(spark, lines), schema)
    assert events.count() == 1
    rows = rejected.collect()
    assert sorted(r.reason for r in rows) == ["malformed_json"] * 4
    assert "not json at all" in {r._raw for r in rows}


def test_validation_routes_each_bad_record_with_its_reason(spark, schema):
    cases = {
        "missing_event_id": base_event(event_id=None),
        "missing_or_bad_event_time": base_event(event_id="t", event_time="yesterday"),
        "missing_purchased": base_event(event_id="l", purchased=None),
        "out_of_range_purchased": base_event(event_id="l2", purchased=2),
        "out_of_range_page_views": base_event(event_id="p", page_views=-3),
        "out_of_range_cart_value": base_event(event_id="c", cart_value=1e9),
    }
    ok = base_event(event_id="ok", cart_value=None)  # a gap is imputed, not rejected
    valid, rejected = validate(parsed(spark, schema, list(cases.values()) + [ok]), schema)
    assert [r.event_id for r in valid.collect()] == ["ok"]
    by_reason = {r.reason: json.loads(r._raw) for r in rejected.collect()}
    assert set(by_reason) == set(cases)
    assert by_reason["out_of_range_page_views"]["page_views"] == -3


def test_typed_input_without_a_schema_column_fails_naming_it(spark, schema):
    df = spark.createDataFrame([("a",)], "event_id string")
    with pytest.raises(ValueError, match=r"Input lacks columns \['event_time'"):
        with_raw(df, schema)


# ---------------------------------------------------------------- cleaning and features

def test_duplicate_events_are_kept_once(spark, schema):
    e = base_event(event_id="dup")
    out = deduplicate(parsed(spark, schema, [e, dict(e), base_event(event_id="other")]), schema)
    assert sorted(r.event_id for r in out.collect()) == ["dup", "other"]


def test_time_features_at_day_boundaries_are_utc(spark, schema):
    events = [
        base_event(event_id="sat-end", event_time="2026-11-28T23:59:59.999Z"),
        base_event(event_id="sun-start", event_time="2026-11-29T00:00:00.000Z"),
        base_event(event_id="mon-start", event_time="2026-11-30T00:00:00Z"),
    ]
    rows = {r.event_id: r for r in add_time_features(parsed(spark, schema, events), schema).collect()}
    assert (rows["sat-end"].hour_of_day, rows["sat-end"].day_of_week, rows["sat-end"].is_weekend) == (23, 7, 1)
    assert (rows["sun-start"].hour_of_day, rows["sun-start"].day_of_week, rows["sun-start"].is_weekend) == (0, 1, 1)
    assert (rows["mon-start"].hour_of_day, rows["mon-start"].day_of_week, rows["mon-start"].is_weekend) == (0, 2, 0)


def test_splits_are_seeded_disjoint_and_cover_every_row(spark, schema):
    events = parsed(spark, schema, clean_events(2000))
    a = {r.event_id: r.split for r in assign_splits(events, "event_id", Options(seed=1)).collect()}
    again = {r.event_id: r.split for r in assign_splits(events.repartition(3), "event_id", Options(seed=1)).collect()}
    other = {r.event_id: r.split for r in assign_splits(events, "event_id", Options(seed=2)).collect()}
    assert len(a) == 2000  # every row, each in exactly one split
    assert a == again  # same seed, same split, whatever the partitioning
    assert a != other  # a different seed shuffles differently
    share = {s: sum(1 for v in a.values() if v == s) / 2000 for s in ("train", "validation", "test")}
    assert share["train"] == pytest.approx(0.7, abs=0.05)
    assert share["validation"] == pytest.approx(0.15, abs=0.04)
    assert share["test"] == pytest.approx(0.15, abs=0.04)


def test_mostly_missing_rows_and_columns_and_mean_imputation_from_the_training_split(spark, schema):
    events = clean_events(400)
    events.append(base_event(event_id="sparse", device=None, channel=None, country=None,
                             page_views=None, session_seconds=None, cart_value=None))
    events.append(base_event(event_id="gap", cart_value=None))
    result = curate(parsed(spark, schema, events), schema, Options(seed=3))
    assert result.counts["rejected"] == {"mostly_missing": 1}
    assert "discount_pct" in result.fitted.dropped_columns
    assert "discount_pct" not in result.columns
    rows = {r.event_id: r for r in result.dataset.collect()}
    assert "sparse" not in rows
    assert rows["gap"].cart_value == pytest.approx(result.fitted.means["cart_value"])
    train_mean = (
        result.dataset.where(F.col("split") == "train")
        .join(parsed(spark, schema, events).select("event_id", F.col("cart_value").alias("orig")), "event_id")
        .where(F.col("orig").isNotNull())
        .agg(F.avg("orig"))
        .first()[0]
    )
    assert result.fitted.means["cart_value"] == pytest.approx(train_mean)
    assert all(v is not None for r in rows.values() for v in r)


def test_categories_unseen_in_training_are_encoded_not_lost(spark, schema):
    train = add_time_features(parsed(spark, schema, clean_events(200)), schema).withColumn("split", F.lit("train"))
    fitted = fit(train, schema, Options())
    unseen = base_event(event_id="unseen", device="smartwatch", channel=None, country="ZZ")
    later = add_time_features(parsed(spark, schema, [unseen]), schema).withColumn("split", F.lit("test"))
    [row] = apply(later, fitted, schema).collect()
    assert "ZZ" not in fitted.vocabularies["country"]
    assert row.country_index == len(fitted.vocabularies["country"])  # the reserved "unseen" index
    assert (row.device_other, row.device_mobile, row.device_desktop, row.device_tablet) == (1, 0, 0, 0)
    assert row.channel_other == 1
    # Frequency order: the most common training value gets index 0.
    most_common = train.groupBy("country").count().orderBy(F.desc("count"), "country").first()["country"]
    assert fitted.vocabularies["country"][most_common] == 0


# ---------------------------------------------------------------- end to end

@pytest.fixture(scope="module")
def curated(spark, schema, tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    events = clean_events(1500)
    events += [dict(events[0]), dict(events[1])]  # at-least-once duplicates
    lines = json_lines(events) + ["{broken", '{"event_id": "evt-neg", "page_views": -1}']
    landing = root / "landing" / "events"
    landing.mkdir(parents=True)
    (landing / "batch-1.jsonl").write_text("\n".join(lines) + "\n")
    out = str(root / "curated" / "run=test")
    manifest = run(spark, schema, output=out, run_id="test", json_lines=read_json_lines(spark, str(landing)), options=Options(seed=11))
    return {"root": root, "out": out, "manifest": manifest, "input_lines": len(lines)}


def test_nothing_is_lost_every_line_is_a_row_a_duplicate_or_a_reject(curated):
    counts = curated["manifest"]["counts"]
    total = sum(counts["rows"].values()) + counts["duplicates_dropped"] + sum(counts["rejected"].values())
    assert total == curated["input_lines"]
    assert counts["duplicates_dropped"] == 2
    assert counts["rejected"] == {"malformed_json": 1, "missing_or_bad_event_time": 1}


def test_xgboost_csv_has_no_header_and_the_label_first(spark, curated):
    manifest = curated["manifest"]
    assert manifest["columns"][0] == "purchased"
    files = glob.glob(os.path.join(curated["out"], "csv", "train", "*.csv"))
    rows = [r for f in files for r in csv.reader(open(f))]
    assert len(rows) == manifest["counts"]["rows"]["train"]
    assert all(len(r) == len(manifest["columns"]) for r in rows)
    assert {r[0] for r in rows} <= {"0", "1"} and {r[0] for r in rows} == {"0", "1"}
    parquet = spark.read.parquet(os.path.join(curated["out"], "parquet", "train"))
    expected = sorted(tuple(str(v) for v in r) for r in parquet.select(*manifest["columns"]).collect())
    assert sorted(tuple(r) for r in rows) == expected


def test_rejects_and_manifest_are_written(curated):
    out = curated["out"]
    rejected = [json.loads(l) for f in glob.glob(os.path.join(out, "rejected", "*.json")) for l in open(f)]
    assert sorted(r["reason"] for r in rejected) == ["malformed_json", "missing_or_bad_event_time"]
    with open(os.path.join(out, "manifest.json")) as f:
        on_disk = json.load(f)
    assert on_disk == json.loads(json.dumps(curated["manifest"]))
    assert not glob.glob(os.path.join(out, "csv", "train", "_SUCCESS"))


def test_reading_an_empty_landing_prefix_gives_none(spark, tmp_path):
    assert read_json_lines(spark, str(tmp_path / "nothing-here")) is None
    (tmp_path / "empty").mkdir()
    assert read_json_lines(spark, str(tmp_path / "empty")) is None
