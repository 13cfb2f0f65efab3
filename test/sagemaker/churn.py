"""Data and a runner for the SageMaker Python tests: a churn-like binary classification set whose
features are correlated (so PCA has something to compress) and whose positive class is rare (so
class weighting matters), written as the XGBoost CSV layout (label first, no header) with one
directory per channel, split 70/15/15 like the data lake's curation."""
import os
import subprocess
import sys

import numpy as np

SAGEMAKER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "sagemaker"))
TRAIN_SCRIPT = os.path.join(SAGEMAKER_DIR, "train.py")
if SAGEMAKER_DIR not in sys.path:
    sys.path.insert(0, SAGEMAKER_DIR)


def churn_like(rows, seed):
    """24 features in different units, driven by 5 hidden factors plus noise; about 12 % positives.
    Returns (labels, features)."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(rows, 5))
    loadings = rng.normal(size=(5, 24))
    features = factors @ loadings + rng.normal(scale=0.6, size=(rows, 24))
    features = features * np.logspace(-1, 2, 24) + np.linspace(0, 50, 24)
    logit = 1.4 * factors[:, 0] - 1.0 * factors[:, 1] + 0.7 * factors[:, 2] * factors[:, 3] - 2.4
    labels = (logit + rng.normal(scale=0.7, size=rows) > 0).astype(float)
    return labels, features


def write_channels(root, rows=12000, seed=2026):
    labels, features = churn_like(rows, seed)
    data = np.column_stack([labels, features])
    cut1, cut2 = int(rows * 0.70), int(rows * 0.85)
    for name, part in (("train", data[:cut1]), ("validation", data[cut1:cut2]), ("test", data[cut2:])):
        (root / name).mkdir()
        np.savetxt(root / name / "part-00000.csv", part, delimiter=",", fmt="%.6f")
    return root


def run_train(channels, model_dir, checkpoint_dir, *extra, rounds=80):
    """Run train.py as the framework container would, to the end; return its stdout."""
    cmd = [sys.executable, TRAIN_SCRIPT, "--num-round", str(rounds), "--checkpoint-every", "20",
           "--train", str(channels / "train"), "--validation", str(channels / "validation"),
           "--checkpoint-dir", str(checkpoint_dir), "--model-dir", str(model_dir), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def load_split(channels, name):
    data = np.loadtxt(channels / name / "part-00000.csv", delimiter=",", ndmin=2)
    return data[:, 0], data[:, 1:]
