"""Logic of the notebook's auto-stop script (installed inline by the lifecycle configuration)."""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "..", "sagemaker", "notebook"))
import autostop  # noqa: E402

NOW = autostop.parse_time("2026-11-25T12:00:00Z")


def session(state, last):
    return {"kernel": {"execution_state": state, "last_activity": last}}


def test_parses_jupyter_timestamps():
    assert autostop.parse_time("2026-11-25T11:00:00.123456Z") == pytest.approx(NOW - 3600 + 0.123456)


@pytest.mark.parametrize("sessions,started,stop,reason", [
    ([session("busy", "2026-11-25T08:00:00Z")], NOW - 99999, False, "a kernel is busy"),
    ([session("idle", "2026-11-25T11:30:00Z")], NOW - 99999, False, "idle for 1800 s of 3600 s"),
    ([session("idle", "2026-11-25T10:00:00Z"), session("idle", "2026-11-25T10:30:00Z")], NOW - 99999, True, "idle for 5400 s (limit 3600 s)"),
    ([], NOW - 600, False, "idle for 600 s of 3600 s"),
    ([], NOW - 4000, True, "idle for 4000 s (limit 3600 s)"),
    ([{"kernel": None}], NOW - 4000, True, "idle for 4000 s"),
])
def test_idle_decision(sessions, started, stop, reason):
    decision, why = autostop.idle_decision(sessions, NOW, 3600, started)
    assert decision is stop and why.startswith(reason)


def test_rejects_a_non_positive_limit():
    with pytest.raises(ValueError, match=r"idle_seconds must be > 0 \(got 0\)"):
        autostop.idle_decision([], NOW, 0, NOW)


def test_reads_name_and_region_from_metadata():
    meta = {"ResourceName": "nb-1", "ResourceArn": "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/nb-1"}
    assert autostop.notebook_identity(meta) == ("nb-1", "eu-west-1")
    with pytest.raises(ValueError, match="no notebook name/ARN"):
        autostop.notebook_identity({"ResourceName": "x"})


def test_main_stops_an_idle_instance_and_spares_a_busy_one(tmp_path):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"ResourceName": "nb-1", "ResourceArn": "arn:aws:sagemaker:eu-west-1:1:notebook-instance/nb-1"}))
    started = tmp_path / "started"
    started.write_text("")
    os.utime(started, (NOW - 7200, NOW - 7200))
    stopped = []
    args = ["--idle-seconds", "3600", "--started-file", str(started)]
    autostop.main(args, fetch=lambda: [], stop=lambda n, r: stopped.append((n, r)), now=lambda: NOW, metadata_path=str(meta))
    assert stopped == [("nb-1", "eu-west-1")]
    stopped.clear()
    autostop.main(args, fetch=lambda: [session("busy", "2026-11-25T08:00:00Z")], stop=lambda n, r: stopped.append((n, r)),
                  now=lambda: NOW, metadata_path=str(meta))
    assert stopped == []


def test_on_start_script_is_valid_bash_and_downloads_nothing():
    path = os.path.join(HERE, "..", "..", "sagemaker", "notebook", "on-start.sh")
    assert subprocess.run(["bash", "-n", path], check=False).returncode == 0
    text = open(path, encoding="utf-8").read()
    for forbidden in ("curl", "wget", "pip install", "git clone", "conda install"):
        assert forbidden not in text
    assert "__AUTOSTOP_PY__" in text and "__IDLE_SECONDS__" in text
    # The embedded script is Python 3.7-compatible: no walrus, no match statement.
    source = open(autostop.__file__, encoding="utf-8").read()
    assert ":=" not in source and "\nmatch " not in source
