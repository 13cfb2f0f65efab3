import pytest

from churn import write_channels


@pytest.fixture(scope="session")
def churn_channels(tmp_path_factory):
    """train/, validation/ and test/ of the churn-like set, written once per session."""
    return write_channels(tmp_path_factory.mktemp("churn"))


@pytest.fixture(scope="session")
def trained_model(churn_channels, tmp_path_factory):
    """model_dir of one train.py run on the churn-like set with the defaults (PCA 95 %, auto class weight)."""
    from churn import run_train

    root = tmp_path_factory.mktemp("trained")
    run_train(churn_channels, root / "model", root / "ckpt")
    return root / "model"
