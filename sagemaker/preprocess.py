"""Preprocessing step of the serial inference pipeline: standardise the features.

Runs in the SageMaker scikit-learn container as the first container of the pipeline model
(SAGEMAKER_PROGRAM=preprocess.py); its output (scaled CSV) is the input of the XGBoost container.
The training script fits the same scaler on the training data and stores it as scaler.json in
the model artifact, so training and serving scale identically. Only numpy is needed: the
container has it, and the unit tests need nothing heavier.
"""
import io
import json
import os

import numpy as np

SCALER_FILE = "scaler.json"


def fit_scaler(features):
    """Mean and scale per column; a constant column gets scale 1 so it maps to 0, not NaN."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"fit_scaler needs a non-empty 2-D array (got shape {x.shape})")
    std = x.std(axis=0)
    return {"mean": x.mean(axis=0).tolist(), "scale": np.where(std > 0, std, 1.0).tolist()}


def transform(scaler, features):
    x = np.asarray(features, dtype=np.float64)
    mean = np.asarray(scaler["mean"])
    if x.ndim != 2 or x.shape[1] != mean.shape[0]:
        raise ValueError(f"expected rows of {mean.shape[0]} features (got shape {x.shape})")
    return (x - mean) / np.asarray(scaler["scale"])


def save_scaler(scaler, model_dir):
    with open(os.path.join(model_dir, SCALER_FILE), "w", encoding="utf-8") as f:
        json.dump(scaler, f)


# --- SageMaker scikit-learn container hooks -------------------------------------------------

def model_fn(model_dir):
    with open(os.path.join(model_dir, SCALER_FILE), encoding="utf-8") as f:
        return json.load(f)


def input_fn(request_body, content_type):
    if content_type != "text/csv":
        raise ValueError(f"preprocess accepts text/csv only (got {content_type!r})")
    text = request_body.decode("utf-8") if isinstance(request_body, (bytes, bytearray)) else request_body
    rows = [line for line in text.splitlines() if line.strip()]
    if not rows:
        raise ValueError("empty request: send one CSV row of features per line")
    try:
        return np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", ndmin=2)
    except ValueError as err:
        raise ValueError(f"request is not numeric CSV: {err}") from err


def predict_fn(input_data, model):
    return transform(model, input_data)


def output_fn(prediction, accept):
    if accept not in ("text/csv", "*/*"):
        raise ValueError(f"preprocess returns text/csv only (got accept {accept!r})")
    out = io.StringIO()
    np.savetxt(out, prediction, delimiter=",", fmt="%.10g")
    return out.getvalue()
