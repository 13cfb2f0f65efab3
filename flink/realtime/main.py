"""Entry point of the real-time application on Managed Service for Apache Flink.

Reads the application's runtime properties (the `realtime` property group the stack writes:
the stream ARN, the region, where results go) and submits analytics.sql with the Kinesis source.
"""
from __future__ import annotations

import json
from pathlib import Path

import job

# Where Managed Service for Apache Flink puts a Python application's runtime properties.
PROPERTIES_FILE = Path("/etc/flink/application_properties.json")
GROUP = "realtime"
REQUIRED = ("stream.arn", "aws.region", "sink.root")


def properties(path: Path = PROPERTIES_FILE) -> dict[str, str]:
    """The `realtime` property group; a missing group or key is an error that names it."""
    groups = json.loads(path.read_text(encoding="utf-8"))
    found = next((g.get("PropertyMap", {}) for g in groups if g.get("PropertyGroupId") == GROUP), None)
    if found is None:
        raise KeyError(f"No property group {GROUP!r} in {path} (groups: {[g.get('PropertyGroupId') for g in groups]})")
    missing = [k for k in REQUIRED if not found.get(k)]
    if missing:
        raise KeyError(f"Property group {GROUP!r} lacks {', '.join(missing)}")
    return found


def kinesis_source(props: dict[str, str]) -> dict[str, str]:
    """Connector options of the events table: the Kinesis source of flink-connector-aws 6 (Flink 2.x)."""
    return {
        "connector": "kinesis",
        "stream.arn": props["stream.arn"],
        "aws.region": props["aws.region"],
        # LATEST: a new application starts with what arrives from now on; a restart restores its
        # position in the stream from the snapshot instead.
        "source.init.position": props.get("source.init.position", "LATEST"),
    }


def main() -> None:
    from pyflink.table import EnvironmentSettings, TableEnvironment

    props = properties()
    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    env.get_config().set("table.local-time-zone", "UTC")
    # On the service the job runs detached: submitting it is the end of this script.
    job.submit(env, kinesis_source(props), props["sink.root"])


if __name__ == "__main__":
    main()
