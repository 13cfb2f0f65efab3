"""Model evaluation (sagemaker/evaluate.py): every metric against values computed by hand on a
small fixed example and against scikit-learn, then the whole step on real predictions: the local
XGBoost run's pipeline scores the held-out test split as batch transform would write it
(label,score), and evaluate.run writes evaluation.json and the ROC curve. The figures are printed
(pytest -s shows them), with and without class weighting."""
import json

import numpy as np
import pytest
import xgboost as xgb
from sklearn import metrics as skm

from churn import load_split, run_train
import evaluate
import preprocess
import train

# 3 positives, 5 negatives. At threshold 0.5 (score >= 0.5 is positive): TP 0.9, 0.6; FN 0.4;
# FP 0.7, 0.5; TN 0.3, 0.2, 0.1. Pairs (positive above negative) for the AUC: 0.9 beats 5,
# 0.6 beats 4, 0.4 beats 3: 12 of 15.
LABELS = [1, 1, 1, 0, 0, 0, 0, 0]
SCORES = [0.9, 0.6, 0.4, 0.7, 0.3, 0.2, 0.1, 0.5]


def test_metrics_match_the_hand_computed_example():
    result = evaluate.evaluate(LABELS, SCORES, threshold=0.5)
    assert result["confusion_matrix"] == {"tn": 3, "fp": 2, "fn": 1, "tp": 2}
    assert result["accuracy"] == pytest.approx(5 / 8)
    assert result["precision"] == pytest.approx(2 / 4)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["specificity"] == pytest.approx(3 / 5)
    assert result["f1"] == pytest.approx(4 / 7)  # 2PR/(P+R) = (2/3)/(7/6)
    assert result["roc_auc"] == pytest.approx(12 / 15)
    assert (result["test_rows"], result["positives"], result["negatives"]) == (8, 3, 5)


def test_roc_curve_steps_through_every_distinct_score_and_ties_count_half():
    fpr, tpr, thresholds = evaluate.roc_curve(LABELS, SCORES)
    assert fpr.tolist() == [0, 0, 0.2, 0.2, 0.4, 0.4, 0.6, 0.8, 1.0]
    assert tpr.tolist() == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1, 1])
    assert thresholds[0] == np.inf and thresholds[1:].tolist() == sorted(SCORES, reverse=True)
    assert evaluate.roc_auc([1, 0], [0.5, 0.5]) == pytest.approx(0.5)


def test_undefined_ratios_are_null_not_zero():
    nothing_predicted = evaluate.evaluate([1, 0, 0], [0.1, 0.2, 0.3])
    assert nothing_predicted["precision"] is None and nothing_predicted["f1"] is None
    assert nothing_predicted["recall"] == 0 and nothing_predicted["specificity"] == 1


def test_agrees_with_scikit_learn_on_random_scores_with_ties():
    rng = np.random.default_rng(5)
    labels = (rng.random(2000) < 0.15).astype(int)
    scores = np.round(np.clip(rng.normal(0.3 + 0.3 * labels, 0.2), 0, 1), 2)  # rounding makes ties
    ours = evaluate.evaluate(labels, scores, threshold=0.4)
    predicted = (scores >= 0.4).astype(int)
    tn, fp, fn, tp = skm.confusion_matrix(labels, predicted).ravel()
    assert ours["confusion_matrix"] == {"tn": tn, "fp": fp, "fn": fn, "tp": tp}
    assert ours["roc_auc"] == pytest.approx(skm.roc_auc_score(labels, scores), abs=1e-12)
    assert ours["f1"] == pytest.approx(skm.f1_score(labels, predicted))
    assert ours["precision"] == pytest.approx(skm.precision_score(labels, predicted))
    assert ours["recall"] == pytest.approx(skm.recall_score(labels, predicted))
    assert ours["accuracy"] == pytest.approx(skm.accuracy_score(labels, predicted))
    fpr, tpr, _ = evaluate.roc_curve(labels, scores)
    sk_fpr, sk_tpr, _ = skm.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)


def test_bad_input_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"needs both classes in the test split \(got 2 positives, 0 negatives\)"):
        evaluate.evaluate([1, 1], [0.2, 0.9])
    with pytest.raises(FileNotFoundError, match="no scored files in"):
        evaluate.read_scored(str(tmp_path / "missing"))
    (tmp_path / "part.csv.out").write_text("1,0.9\n0,0.2\n0.5,0.3\n")
    with pytest.raises(ValueError, match=r"part.csv.out:3: expected 'label,score' with label 0 or 1"):
        evaluate.read_scored(str(tmp_path))
    (tmp_path / "part.csv.out").write_text("1,0.9,7\n")
    with pytest.raises(ValueError, match=r"part.csv.out:1: expected 'label,score'"):
        evaluate.read_scored(str(tmp_path))
    (tmp_path / "part.csv.out").write_text("1,abc\n")
    with pytest.raises(ValueError, match=r"part.csv.out:1: expected 'label,score' numbers \(got '1,abc'\)"):
        evaluate.read_scored(str(tmp_path))
    with pytest.raises(SystemExit):
        evaluate.parse_args(["--threshold", "1.5"])


def score_test_split(channels, model_dir, out_dir):
    """What batch transform writes with InputFilter $[1:], JoinSource Input and OutputFilter
    $[0,-1]: each test row's label, then the pipeline's score."""
    labels, features = load_split(channels, "test")
    scores = train.model_fn(model_dir).predict(xgb.DMatrix(preprocess.transform(preprocess.model_fn(model_dir), features)))
    out_dir.mkdir()
    np.savetxt(out_dir / "part-00000.csv.out", np.column_stack([labels, scores]), delimiter=",", fmt=["%d", "%.8f"])
    return out_dir


def test_evaluates_the_local_xgboost_run_and_writes_json_and_png(churn_channels, trained_model, tmp_path):
    scored = score_test_split(churn_channels, trained_model, tmp_path / "scored")
    result = evaluate.run(str(scored), str(tmp_path / "evaluation"))
    written = json.load(open(tmp_path / "evaluation" / "evaluation.json", encoding="utf-8"))
    assert written == json.loads(json.dumps(result))
    png = (tmp_path / "evaluation" / "roc.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    metrics = json.load(open(trained_model / "metrics.json", encoding="utf-8"))
    print(f"\n[local run] PCA: {metrics['pca']['components']} of {metrics['pca']['input_features']} components, "
          f"variance explained {metrics['pca']['variance_explained']:.4f} (target {metrics['pca']['variance_target']}); "
          f"training split {metrics['training_split']}")
    print(f"[local run, scale_pos_weight auto] {evaluate.summary(result)}")
    assert result["test_rows"] == 1800 and result["roc_auc"] > 0.85


def test_class_weighting_trades_precision_for_recall_on_the_rare_class(churn_channels, trained_model, tmp_path):
    run_train(churn_channels, tmp_path / "model", tmp_path / "ckpt", "--scale-pos-weight", "1")
    unweighted = evaluate.run(str(score_test_split(churn_channels, tmp_path / "model", tmp_path / "s1")), str(tmp_path / "e1"))
    weighted = evaluate.run(str(score_test_split(churn_channels, trained_model, tmp_path / "s2")), str(tmp_path / "e2"))
    print(f"\n[scale_pos_weight 1]    {evaluate.summary(unweighted)}")
    print(f"[scale_pos_weight auto] {evaluate.summary(weighted)}")
    assert weighted["recall"] > unweighted["recall"]
    assert weighted["precision"] < unweighted["precision"]
