"""Unit tests of the inference pipeline's first container (standardise, then PCA)."""
import numpy as np
import pytest

import churn  # noqa: F401  (puts sagemaker/ on the path)
import preprocess

# A scaler and a 2-component PCA over 3 features, written out by hand.
MODEL = {
    "scaler": {"mean": [2.0, 20.0, 5.0], "scale": [1.0, 10.0, 1.0]},
    "pca": {"mean": [0.0, 0.0, 0.0], "components": [[1.0, 0.0, 0.0], [0.0, 0.6, 0.8]]},
}


def test_scaler_standardises_and_survives_a_constant_column():
    x = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]])
    scaler = preprocess.fit_scaler(x)
    assert scaler == {"mean": [2.0, 20.0, 5.0], "scale": [1.0, 10.0, 1.0]}
    np.testing.assert_allclose(preprocess.standardise(scaler, x), [[-1, -1, 0], [1, 1, 0]])


def test_transform_standardises_then_projects_on_the_components(tmp_path):
    # Row (3, 30, 6): standardised (1, 1, 1); on the components (1, 0.6 + 0.8).
    np.testing.assert_allclose(preprocess.transform(MODEL, [[3.0, 30.0, 6.0]]), [[1.0, 1.4]])
    preprocess.save(MODEL, tmp_path)
    assert preprocess.model_fn(tmp_path) == MODEL


def test_container_hooks_turn_csv_rows_into_csv_components():
    data = preprocess.input_fn(b"3,30,6\n\n1,10,5\n", "text/csv")
    assert data.shape == (2, 3)
    body = preprocess.output_fn(preprocess.predict_fn(data, MODEL), "text/csv")
    assert body == "1,1.3999999999999999\n-1,-0.59999999999999998\n"
    # One row stays a 2-D batch of one.
    assert preprocess.input_fn("3,30,6", "text/csv").shape == (1, 3)


@pytest.mark.parametrize("body,content_type,message", [
    (b"1,2", "application/json", "text/csv only (got 'application/json')"),
    (b"\n \n", "text/csv", "empty request"),
    (b"1,abc", "text/csv", "request is not numeric CSV"),
])
def test_bad_requests_get_clear_errors(body, content_type, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        preprocess.input_fn(body, content_type)


def test_wrong_feature_count_and_accept_are_named():
    with pytest.raises(ValueError, match=r"expected rows of 3 features \(got shape \(1, 2\)\)"):
        preprocess.transform(MODEL, [[1, 2]])
    with pytest.raises(ValueError, match="accept 'application/json'"):
        preprocess.output_fn(np.zeros((1, 1)), "application/json")
    with pytest.raises(ValueError, match=r"non-empty 2-D array \(got shape \(0,\)\)"):
        preprocess.fit_scaler([])
