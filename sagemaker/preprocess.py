"""First container of the serial inference pipeline: standardise, then project onto the principal
components. The study notes draw "unseen data comes in, is pre-processed, then fed into PCA, output
of PCA goes into XGBoost": this script is the first two boxes, the XGBoost container the third.

Runs in the SageMaker scikit-learn container (SAGEMAKER_PROGRAM=preprocess.py). Both steps were
fitted by train.py on the training split only and stored as plain numbers in preprocess.json
(means, scales, the components matrix): the PCA is fitted with scikit-learn inside the XGBoost
training container (scikit-learn 0.24) and served by the scikit-learn container (1.2), and a
pickled estimator is not portable between versions; a matrix is. Serving needs only numpy.

Content types: the container reads text/csv (features only, no label) and answers text/csv (one
row of principal components per input row), which is what the XGBoost container reads. The
stack sets SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=text/csv on this container, so the hand-over is
CSV whatever Accept the caller sent to the endpoint.
"""
import io
import json
import os

import numpy as np

PREPROCESS_FILE = "preprocess.json"


def fit_scaler(features):
    """Mean and scale per column; a constant column gets scale 1 so it maps to 0, not NaN."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"fit_scaler needs a non-empty 2-D array (got shape {x.shape})")
    std = x.std(axis=0)
    return {"mean": x.mean(axis=0).tolist(), "scale": np.where(std > 0, std, 1.0).tolist()}


def standardise(scaler, features):
    x = np.asarray(features, dtype=np.float64)
    mean = np.asarray(scaler["mean"])
    if x.ndim != 2 or x.shape[1] != mean.shape[0]:
        raise ValueError(f"expected rows of {mean.shape[0]} features (got shape {x.shape})")
    return (x - mean) / np.asarray(scaler["scale"])


def project(pca, standardised):
    """Coordinates on the kept principal components: (x - mean) . components^T, what
    scikit-learn's PCA.transform computes without whitening."""
    components = np.asarray(pca["components"], dtype=np.float64)
    x = np.asarray(standardised, dtype=np.float64)
    return (x - np.asarray(pca["mean"])) @ components.T


def transform(model, features):
    """The whole first container: raw feature rows in, principal components out."""
    return project(model["pca"], standardise(model["scaler"], features))


def save(model, model_dir):
    with open(os.path.join(model_dir, PREPROCESS_FILE), "w", encoding="utf-8") as f:
        json.dump(model, f)


# --- SageMaker scikit-learn container hooks -------------------------------------------------

def model_fn(model_dir):
    with open(os.path.join(model_dir, PREPROCESS_FILE), encoding="utf-8") as f:
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
    # 17 significant digits: a float64 survives the CSV hand-over to the XGBoost container exactly.
    np.savetxt(out, prediction, delimiter=",", fmt="%.17g")
    return out.getvalue()
