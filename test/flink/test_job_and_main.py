"""The Python around the SQL: placeholders, statement splitting, and the entry point's properties."""
import json

import pytest

import job
import main


def test_statements_fill_both_placeholders_and_keep_every_statement():
    statements = job.statements({"connector": "kinesis", "stream.arn": "arn:aws:kinesis:eu-west-1:1:stream/s"}, "s3://lake/realtime/")
    text = "\n".join(statements)
    assert "${" not in text
    assert "'connector' = 'kinesis',\n  'stream.arn' = 'arn:aws:kinesis:eu-west-1:1:stream/s'" in text
    assert "'path' = 's3://lake/realtime/minute_metrics/'" in text
    kinds = [s.split()[0] + " " + s.split()[1] for s in statements]
    assert kinds.count("INSERT INTO") == 4
    assert not any(s.lstrip().startswith("--") for s in statements)


def test_bad_placeholders_and_values_are_named():
    with pytest.raises(ValueError, match=r"Unknown placeholder \$\{sink\} in the SQL"):
        job.statements({"connector": "x"}, "s3://b/p/", sql="CREATE TABLE t (a INT) WITH (${sink});")
    with pytest.raises(ValueError, match="sink_root must be a URI ending with '/' \\(got 's3://lake/realtime'\\)"):
        job.statements({"connector": "x"}, "s3://lake/realtime")
    with pytest.raises(ValueError, match="at least its 'connector' option"):
        job.statements({}, "s3://lake/")
    assert job.sql_options({"a": "it's"}) == "'a' = 'it''s'"


def test_properties_read_the_realtime_group_and_name_what_is_missing(tmp_path):
    f = tmp_path / "application_properties.json"
    group = {"stream.arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/s", "aws.region": "eu-west-1", "sink.root": "s3://lake/realtime/"}
    f.write_text(json.dumps([{"PropertyGroupId": "kinesis.analytics.flink.run.options", "PropertyMap": {"python": "main.py"}},
                             {"PropertyGroupId": "realtime", "PropertyMap": group}]))
    assert main.properties(f) == group
    assert main.kinesis_source(group) == {"connector": "kinesis", "stream.arn": group["stream.arn"], "aws.region": "eu-west-1", "source.init.position": "LATEST"}
    f.write_text(json.dumps([{"PropertyGroupId": "realtime", "PropertyMap": {"aws.region": "eu-west-1"}}]))
    with pytest.raises(KeyError, match="lacks stream.arn, sink.root"):
        main.properties(f)
    f.write_text(json.dumps([{"PropertyGroupId": "other", "PropertyMap": {}}]))
    with pytest.raises(KeyError, match="No property group 'realtime'"):
        main.properties(f)
