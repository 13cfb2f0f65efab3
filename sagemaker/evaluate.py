"""Model evaluation on the held-out test split (the study notes' chapter on model performance).

Runs as a SageMaker Processing job after batch transform has scored the curated test split with
the whole serial inference pipeline (preprocess -> PCA -> XGBoost): its input is the transform's
output, one "label,score" line per test row (DataProcessing joined the label back), so the
figures describe exactly what the deployed pipeline returns. Writes evaluation.json (confusion
matrix, accuracy, precision, recall/sensitivity, specificity, F1, ROC AUC) and roc.png.

numpy and matplotlib only (the sagemaker-xgboost 1.7-1 image this runs in has both); every metric
is computed here from its definition, and the tests compare them with hand-computed values and
with scikit-learn.

  python3 evaluate.py --scored-dir DIR --output-dir DIR [--threshold 0.5]
"""
import argparse
import json
import os
import sys

import numpy as np

EVALUATION_FILE = "evaluation.json"
ROC_FILE = "roc.png"


def read_scored(directory):
    """(labels, scores) from every file in `directory`: lines of "label,score" (batch transform output)."""
    names = sorted(n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n))) if os.path.isdir(directory) else []
    if not names:
        raise FileNotFoundError(f"no scored files in {directory}: the batch transform wrote nothing")
    labels, scores = [], []
    for name in names:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                fields = line.strip().split(",")
                try:
                    label, score = float(fields[0]), float(fields[-1])
                except ValueError:
                    raise ValueError(f"{name}:{number}: expected 'label,score' numbers (got {line.strip()[:80]!r})") from None
                if len(fields) != 2 or label not in (0.0, 1.0) or not 0.0 <= score <= 1.0:
                    raise ValueError(f"{name}:{number}: expected 'label,score' with label 0 or 1 and a probability (got {line.strip()[:80]!r})")
                labels.append(label)
                scores.append(score)
    if not labels:
        raise ValueError(f"the scored files in {directory} hold no rows")
    return np.asarray(labels, dtype=np.int64), np.asarray(scores, dtype=np.float64)


def confusion_matrix(labels, scores, threshold=0.5):
    """Counts at a threshold: predicted positive when score >= threshold."""
    y = np.asarray(labels).astype(bool)
    predicted = np.asarray(scores) >= threshold
    return {
        "tn": int(np.sum(~y & ~predicted)), "fp": int(np.sum(~y & predicted)),
        "fn": int(np.sum(y & ~predicted)), "tp": int(np.sum(y & predicted)),
    }


def _ratio(numerator, denominator):
    """None where the ratio is undefined (e.g. precision when nothing is predicted positive)."""
    return None if denominator == 0 else numerator / denominator


def classification_metrics(cm):
    tp, fp, tn, fn = cm["tp"], cm["fp"], cm["tn"], cm["fn"]
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)  # sensitivity, true positive rate
    f1 = None if precision is None or recall is None or precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {
        "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
        "precision": precision,
        "recall": recall,
        "specificity": _ratio(tn, tn + fp),  # true negative rate
        "f1": f1,
    }


def roc_curve(labels, scores):
    """False and true positive rates at every distinct score, highest threshold first, from (0, 0) to (1, 1)."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        raise ValueError(f"a ROC curve needs both classes in the test split (got {positives} positives, {negatives} negatives)")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tp = np.cumsum(y)[last_of_each_score]
    fp = (last_of_each_score + 1) - tp
    fpr = np.r_[0.0, fp / negatives]
    tpr = np.r_[0.0, tp / positives]
    thresholds = np.r_[np.inf, s[last_of_each_score]]
    return fpr, tpr, thresholds


def roc_auc(labels, scores):
    """Area under the ROC curve by the trapezoid rule: the probability that a random positive
    scores above a random negative, ties counting one half."""
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def plot_roc(fpr, tpr, auc, path, operating_point=None):
    """The curve, the chance diagonal and, if given, (threshold, fpr, tpr) of the confusion matrix."""
    import matplotlib
    matplotlib.use("Agg")  # no display in a processing container
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot(fpr, tpr, color="tab:blue", linewidth=2, label=f"model (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance (AUC = 0.5)")
    if operating_point is not None:
        threshold, x, y = operating_point
        ax.plot([x], [y], "o", color="tab:red", label=f"threshold {threshold} (FPR {x:.3f}, TPR {y:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("False positive rate (1 - specificity)")
    ax.set_ylabel("True positive rate (recall, sensitivity)")
    ax.set_title("ROC curve on the held-out test split")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def evaluate(labels, scores, threshold=0.5):
    labels = np.asarray(labels)
    cm = confusion_matrix(labels, scores, threshold)
    result = {
        "test_rows": int(labels.size),
        "positives": int(labels.sum()),
        "negatives": int(labels.size - labels.sum()),
        "threshold": threshold,
        "confusion_matrix": cm,
    }
    result.update(classification_metrics(cm))
    result["roc_auc"] = roc_auc(labels, scores)
    return result


def summary(result):
    """One line for logs and the CLI."""
    cm = result["confusion_matrix"]
    fmt = lambda v: "n/a" if v is None else f"{v:.4f}"  # noqa: E731
    return (f"AUC {fmt(result['roc_auc'])}, F1 {fmt(result['f1'])}, precision {fmt(result['precision'])}, "
            f"recall {fmt(result['recall'])}, specificity {fmt(result['specificity'])}, accuracy {fmt(result['accuracy'])}; "
            f"confusion matrix at {result['threshold']}: TN {cm['tn']} FP {cm['fp']} FN {cm['fn']} TP {cm['tp']}")


def run(scored_dir, output_dir, threshold=0.5):
    labels, scores = read_scored(scored_dir)
    result = evaluate(labels, scores, threshold)
    os.makedirs(output_dir, exist_ok=True)
    fpr, tpr, _ = roc_curve(labels, scores)
    cm = result["confusion_matrix"]
    point = (threshold, cm["fp"] / result["negatives"], cm["tp"] / result["positives"])
    plot_roc(fpr, tpr, result["roc_auc"], os.path.join(output_dir, ROC_FILE), point)
    result["roc_curve_png"] = ROC_FILE
    # Written last, aside and renamed: a reader never sees half of it.
    partial = os.path.join(output_dir, f".{EVALUATION_FILE}.partial")
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    os.replace(partial, os.path.join(output_dir, EVALUATION_FILE))
    print(summary(result), flush=True)
    return result


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Evaluate scored test rows (label,score) and write evaluation.json and roc.png")
    p.add_argument("--scored-dir", default="/opt/ml/processing/scored")
    p.add_argument("--output-dir", default="/opt/ml/processing/evaluation")
    p.add_argument("--threshold", type=float, default=0.5)
    args = p.parse_args(argv)
    if not 0 < args.threshold < 1:
        p.error(f"--threshold must be between 0 and 1, exclusive (got {args.threshold})")
    return args


if __name__ == "__main__":
    a = parse_args()
    run(a.scored_dir, a.output_dir, a.threshold)
    sys.exit(0)
