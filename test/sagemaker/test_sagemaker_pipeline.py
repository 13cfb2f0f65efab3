"""The notes' inference figure, preprocess -> PCA -> XGBoost, on real libraries: the PCA is
fitted on the training split only, keeps the number of components the variance target asks for,
and the serial pipeline (container 1's hooks, CSV hand-over, container 2) predicts what the three
stages run one after the other with scikit-learn and XGBoost predict."""
import json

import numpy as np
import pytest
import xgboost as xgb
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from churn import load_split
import preprocess
import train


def test_scaler_and_pca_are_fitted_on_the_training_split_only(churn_channels, trained_model):
    model = preprocess.model_fn(trained_model)
    _, x_train = load_split(churn_channels, "train")
    _, x_val = load_split(churn_channels, "validation")
    np.testing.assert_allclose(model["scaler"]["mean"], x_train.mean(axis=0), rtol=1e-12)
    everything = np.vstack([x_train, x_val]).mean(axis=0)
    assert not np.allclose(model["scaler"]["mean"], everything, rtol=1e-6)
    oracle = PCA(n_components=0.95, svd_solver="full").fit(StandardScaler().fit_transform(x_train))
    np.testing.assert_allclose(np.abs(model["pca"]["components"]), np.abs(oracle.components_), atol=1e-9)
    assert len(model["pca"]["components"]) == oracle.n_components_


@pytest.mark.parametrize("target", [0.5, 0.8, 0.95, 0.99])
def test_components_kept_are_the_fewest_reaching_the_variance_target(churn_channels, target):
    _, x_train = load_split(churn_channels, "train")
    pre = train.fit_preprocessing(x_train, target)
    kept = len(pre["pca"]["components"])
    # Independent oracle: eigenvalues of the standardised training split's covariance matrix.
    z = (x_train - x_train.mean(axis=0)) / x_train.std(axis=0)
    eigen = np.sort(np.linalg.eigvalsh(np.cov(z, rowvar=False)))[::-1]
    cumulative = np.cumsum(eigen / eigen.sum())
    assert kept == int(np.searchsorted(cumulative, target) + 1)
    assert cumulative[kept - 1] >= target > (cumulative[kept - 2] if kept > 1 else 0)
    assert sum(pre["pca"]["explained_variance_ratio"]) == pytest.approx(cumulative[kept - 1], abs=1e-9)
    print(f"\nvariance target {target:.2f}: {kept} of {x_train.shape[1]} components, explaining {cumulative[kept - 1]:.4f}")


def test_serial_pipeline_predicts_what_the_three_stages_predict(churn_channels, trained_model):
    _, x_train = load_split(churn_channels, "train")
    _, x_test = load_split(churn_channels, "test")
    request = "\n".join(",".join(f"{v:.6f}" for v in row) for row in x_test).encode()

    # Container 1 (scikit-learn image, preprocess.py) as the serving stack calls it...
    container1 = preprocess.model_fn(trained_model)
    handed_over = preprocess.output_fn(preprocess.predict_fn(preprocess.input_fn(request, "text/csv"), container1), "text/csv")
    # ...then container 2 (XGBoost image, framework mode): its default text/csv input, model_fn of train.py.
    booster = train.model_fn(trained_model)
    pipeline = booster.predict(xgb.DMatrix(np.loadtxt(handed_over.splitlines(), delimiter=",", ndmin=2)))

    # The three stages, one after the other, with the libraries themselves.
    scaled = StandardScaler().fit(x_train).transform(x_test)
    components = PCA(n_components=0.95, svd_solver="full").fit(StandardScaler().fit_transform(x_train)).transform(scaled)
    stages = booster.predict(xgb.DMatrix(components))

    assert pipeline.shape == (x_test.shape[0],)
    assert float(np.max(np.abs(pipeline - stages))) < 1e-6
    assert json.load(open(trained_model / "metrics.json", encoding="utf-8"))["pca"]["components"] == components.shape[1]


def test_class_weight_is_negatives_over_positives_and_bad_labels_are_named():
    assert train.class_weight([1, 0, 0, 0]) == (3.0, 1, 3)
    with pytest.raises(ValueError, match=r"needs both classes \(got 0 positives, 3 negatives\)"):
        train.class_weight([0, 0, 0])
    with pytest.raises(ValueError, match=r"labels must be 0 or 1 for binary:logistic \(got \[0, 2\]\)"):
        train.class_weight([0, 2])
