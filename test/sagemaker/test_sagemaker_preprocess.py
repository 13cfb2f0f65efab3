"""Unit tests of the inference pipeline's preprocessing container script."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "sagemaker"))
import preprocess  # noqa: E402


def test_scaler_standardises_and_survives_a_constant_column(tmp_path):
    x = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]])
    scaler = preprocess.fit_scaler(x)
    assert scaler == {"mean": [2.0, 20.0, 5.0], "scale": [1.0, 10.0, 1.0]}
    np.testing.assert_allclose(preprocess.transform(scaler, x), [[-1, -1, 0], [1, 1, 0]])
    preprocess.save_scaler(scaler, tmp_path)
    assert preprocess.model_fn(tmp_path) == scaler


def test_container_hooks_turn_csv_rows_into_scaled_csv():
    scaler = {"mean": [2.0, 20.0], "scale": [1.0, 10.0]}
    data = preprocess.input_fn(b"3,30\n\n1,10\n", "text/csv")
    assert data.shape == (2, 2)
    body = preprocess.output_fn(preprocess.predict_fn(data, scaler), "text/csv")
    assert body == "1,1\n-1,-1\n"
    # One row stays a 2-D batch of one.
    assert preprocess.input_fn("3,30", "text/csv").shape == (1, 2)


@pytest.mark.parametrize("body,content_type,message", [
    (b"1,2", "application/json", "text/csv only (got 'application/json')"),
    (b"\n \n", "text/csv", "empty request"),
    (b"1,abc", "text/csv", "request is not numeric CSV"),
])
def test_bad_requests_get_clear_errors(body, content_type, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        preprocess.input_fn(body, content_type)


def test_wrong_feature_count_and_accept_are_named():
    with pytest.raises(ValueError, match=r"expected rows of 2 features \(got shape \(1, 3\)\)"):
        preprocess.transform({"mean": [0, 0], "scale": [1, 1]}, [[1, 2, 3]])
    with pytest.raises(ValueError, match="accept 'application/json'"):
        preprocess.output_fn(np.zeros((1, 1)), "application/json")
    with pytest.raises(ValueError, match=r"non-empty 2-D array \(got shape \(0,\)\)"):
        preprocess.fit_scaler([])
