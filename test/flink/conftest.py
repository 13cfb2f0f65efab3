import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "flink" / "realtime"))


@pytest.fixture(scope="session")
def results(tmp_path_factory):
    """One local run for the whole session (the mini-cluster start is most of its cost)."""
    from local_flink import run_locally
    from stream_events import arrivals

    stream = arrivals()
    out = run_locally(stream, tmp_path_factory.mktemp("flink"))
    out["stream"] = stream
    return out
