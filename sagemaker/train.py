"""Script-mode XGBoost training with checkpoints, for Managed Spot Training.

SageMaker syncs /opt/ml/checkpoints with CheckpointConfig.S3Uri while the job runs and copies it
back before a restarted job (after a spot interruption) starts. This script therefore:
  * saves a checkpoint every --checkpoint-every rounds and when SIGTERM arrives (SageMaker sends
    it before reclaiming a spot instance), atomically (write, then rename);
  * on start, resumes from the newest checkpoint and trains only the rounds still missing.
With deterministic settings (hist, no row/column sampling) the resumed model equals an
uninterrupted run. Data: CSV, label in the first column, no header (the SageMaker XGBoost layout).

Before XGBoost, the features go through the first container of the inference pipeline
(preprocess.py): standardised, then projected on the principal components that explain
--pca-variance of the variance. Both are fitted here, on the training split only (validation and
test never inform them), with scikit-learn's PCA, and saved as numbers in preprocess.json next to
the booster; both scripts ship in the artifact under code/, so one model.tar.gz serves both
pipeline containers. Class imbalance: scale_pos_weight defaults to negatives/positives of the
training split (XGBoost's documented heuristic), so the rare class weighs as much as the common one.

Runs on Python 3.9 with numpy 1.24, scikit-learn 0.24 and xgboost 1.7 in the sagemaker-xgboost
1.7-1 container: nothing newer than those is used.
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import sys

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import preprocess  # noqa: E402  (ships next to this file in sourcedir.tar.gz)

CHECKPOINT = re.compile(r"^xgboost-checkpoint\.(\d+)\.json$")
PARTIAL = re.compile(r"^\.partial-\d+\.json$")
MODEL_FILE = "xgboost-model"


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--num-round", type=int, default=100)
    p.add_argument("--max-depth", type=int, default=5)
    p.add_argument("--eta", type=float, default=0.2)
    p.add_argument("--min-child-weight", type=float, default=1.0)
    p.add_argument("--objective", default="binary:logistic")
    p.add_argument("--eval-metric", default="auc")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--checkpoint-every", type=int, default=10)
    p.add_argument("--pca-variance", type=float, default=0.95,
                   help="keep the fewest principal components explaining at least this share of the variance (0-1)")
    p.add_argument("--scale-pos-weight", default="auto",
                   help="'auto' (negatives/positives of the training split) or a positive number")
    p.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    p.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation"))
    p.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    p.add_argument("--checkpoint-dir", default=os.environ.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints"))
    args = p.parse_args(argv)
    if args.num_round < 1 or args.checkpoint_every < 1:
        p.error(f"--num-round and --checkpoint-every must be >= 1 (got {args.num_round}, {args.checkpoint_every})")
    if not 0 < args.pca_variance < 1:
        p.error(f"--pca-variance must be between 0 and 1, exclusive (got {args.pca_variance})")
    if args.scale_pos_weight != "auto":
        try:
            weight = float(args.scale_pos_weight)
        except ValueError:
            weight = float("nan")
        if not weight > 0:
            p.error(f"--scale-pos-weight must be 'auto' or a positive number (got {args.scale_pos_weight!r})")
    return args


def fit_preprocessing(features, variance):
    """Scaler and PCA of the pipeline's first container, fitted on the rows given (the training
    split). scikit-learn picks the number of components: the fewest whose explained variance
    reaches `variance` (n_components as a fraction, with the exact 'full' SVD)."""
    from sklearn.decomposition import PCA  # only training needs scikit-learn; serving does not

    scaler = preprocess.fit_scaler(features)
    pca = PCA(n_components=variance, svd_solver="full").fit(preprocess.standardise(scaler, features))
    explained = pca.explained_variance_ratio_
    return {
        "scaler": scaler,
        "pca": {
            "mean": pca.mean_.tolist(),
            "components": pca.components_.tolist(),
            "explained_variance_ratio": explained.tolist(),
            "variance_target": variance,
            "input_features": int(pca.components_.shape[1]),
        },
    }


def class_weight(labels):
    """scale_pos_weight = negatives / positives (XGBoost's "sum(negative) / sum(positive)")."""
    y = np.asarray(labels)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must be 0 or 1 for binary:logistic (got {sorted(set(np.unique(y).tolist()))[:5]})")
    positives = int(y.sum())
    negatives = int(y.size - positives)
    if positives == 0 or negatives == 0:
        raise ValueError(f"the training split needs both classes (got {positives} positives, {negatives} negatives)")
    return negatives / positives, positives, negatives


def load_csv_dir(path):
    files = sorted(glob.glob(os.path.join(path, "*.csv")))
    if not files:
        raise FileNotFoundError(f"no .csv files in channel directory {path}")
    data = np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])
    return data[:, 1:], data[:, 0]


def latest_checkpoint(checkpoint_dir):
    """(rounds done, path) of the newest checkpoint, or (0, None).

    Also deletes what a kill in the middle of save_checkpoint leaves (a .partial-* file: SIGKILL
    cannot be caught), so it is neither mistaken for a checkpoint nor synced to S3 run after run.
    """
    best = (0, None)
    for name in os.listdir(checkpoint_dir) if os.path.isdir(checkpoint_dir) else []:
        m = CHECKPOINT.match(name)
        if m and int(m.group(1)) > best[0]:
            best = (int(m.group(1)), os.path.join(checkpoint_dir, name))
        elif PARTIAL.match(name):
            print(f"removing_partial_checkpoint={name}", flush=True)
            os.remove(os.path.join(checkpoint_dir, name))
    return best


def save_checkpoint(booster, checkpoint_dir, rounds_done, keep=2):
    os.makedirs(checkpoint_dir, exist_ok=True)
    final = os.path.join(checkpoint_dir, f"xgboost-checkpoint.{rounds_done}.json")
    tmp = os.path.join(checkpoint_dir, f".partial-{rounds_done}.json")  # .json: the extension picks the format
    booster.save_model(tmp)
    os.replace(tmp, final)  # a half-written file is never visible under a checkpoint name
    done = sorted((int(m.group(1)), n) for n in os.listdir(checkpoint_dir) if (m := CHECKPOINT.match(n)))
    for _, name in done[:-keep]:
        os.remove(os.path.join(checkpoint_dir, name))


class Checkpointer(xgb.callback.TrainingCallback):
    """Save every N rounds, and save-and-stop once SIGTERM has arrived."""

    def __init__(self, checkpoint_dir, every, start_round):
        super().__init__()
        self.checkpoint_dir, self.every, self.start = checkpoint_dir, every, start_round
        self.terminated = False
        self.rounds_done = start_round

    def after_iteration(self, model, epoch, evals_log):
        self.rounds_done = self.start + epoch + 1
        print(f"round {self.rounds_done}", flush=True)
        if self.terminated or self.rounds_done % self.every == 0:
            save_checkpoint(model, self.checkpoint_dir, self.rounds_done)
        return self.terminated  # True stops training


def train(args):
    x_train, y_train = load_csv_dir(args.train)
    x_val, y_val = load_csv_dir(args.validation)
    auto_weight, positives, negatives = class_weight(y_train)
    weight = auto_weight if args.scale_pos_weight == "auto" else float(args.scale_pos_weight)
    # Fitted again on a resumed run: deterministic (exact SVD), so the features the checkpointed
    # trees were grown on are the same.
    pre = fit_preprocessing(x_train, args.pca_variance)
    kept = len(pre["pca"]["components"])
    explained = float(sum(pre["pca"]["explained_variance_ratio"]))
    print(f"pca_components={kept} of {x_train.shape[1]} features, variance_explained={explained:.4f}", flush=True)
    print(f"class_counts positives={positives} negatives={negatives} scale_pos_weight={weight:.4f}", flush=True)
    dtrain = xgb.DMatrix(preprocess.transform(pre, x_train), label=y_train)
    dval = xgb.DMatrix(preprocess.transform(pre, x_val), label=y_val)
    params = {
        "objective": args.objective, "eval_metric": args.eval_metric, "max_depth": args.max_depth,
        "eta": args.eta, "min_child_weight": args.min_child_weight, "seed": args.seed,
        "scale_pos_weight": weight,
        # Deterministic: no sampling, one thread, hist: a resumed run equals an uninterrupted one.
        "tree_method": "hist", "subsample": 1.0, "colsample_bytree": 1.0, "nthread": 1,
    }
    start, path = latest_checkpoint(args.checkpoint_dir)
    resume = xgb.Booster(model_file=path) if path else None
    print(f"resuming_from_round={start}", flush=True)
    checkpointer = Checkpointer(args.checkpoint_dir, args.checkpoint_every, start)
    signal.signal(signal.SIGTERM, lambda *_: setattr(checkpointer, "terminated", True))
    remaining = max(args.num_round - start, 0)
    booster = resume
    if remaining > 0:
        booster = xgb.train(params, dtrain, num_boost_round=remaining, xgb_model=resume,
                            evals=[(dval, "validation")], callbacks=[checkpointer], verbose_eval=False)
    rounds_this_run = checkpointer.rounds_done - start
    print(f"rounds_this_run={rounds_this_run}", flush=True)
    if checkpointer.terminated:
        print(f"terminated: checkpoint saved at round {checkpointer.rounds_done}", flush=True)
        return 143  # 128 + SIGTERM: SageMaker restarts the job, which resumes from the checkpoint
    metric = float(booster.eval(dval).split(":")[-1])
    # The tuning job's objective regex reads this line (validation:auc).
    print(f"validation-{args.eval_metric}:{metric:.6f}", flush=True)
    os.makedirs(args.model_dir, exist_ok=True)
    booster.save_model(os.path.join(args.model_dir, MODEL_FILE))
    preprocess.save(pre, args.model_dir)
    # The pipeline's containers run with network isolation: their code comes from the artifact.
    code_dir = os.path.join(args.model_dir, "code")
    os.makedirs(code_dir, exist_ok=True)
    for script in ("preprocess.py", "train.py"):
        shutil.copy(os.path.join(HERE, script), os.path.join(code_dir, script))
    with open(os.path.join(args.model_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump({
            "validation": {args.eval_metric: metric}, "rounds": args.num_round,
            "pca": {"components": kept, "input_features": int(x_train.shape[1]), "variance_explained": explained,
                    "variance_target": args.pca_variance},
            "training_split": {"positives": positives, "negatives": negatives, "scale_pos_weight": weight},
        }, f)
    return 0


def model_fn(model_dir):
    """Serving hook of the XGBoost framework container (second container of the pipeline)."""
    booster = xgb.Booster()
    booster.load_model(os.path.join(model_dir, MODEL_FILE))
    return booster


if __name__ == "__main__":
    sys.exit(train(parse_args()))
