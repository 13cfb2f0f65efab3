"""Script-mode XGBoost training with checkpoints, for Managed Spot Training.

SageMaker syncs /opt/ml/checkpoints with CheckpointConfig.S3Uri while the job runs and copies it
back before a restarted job (after a spot interruption) starts. This script therefore:
  * saves a checkpoint every --checkpoint-every rounds and when SIGTERM arrives (SageMaker sends
    it before reclaiming a spot instance), atomically (write, then rename);
  * on start, resumes from the newest checkpoint and trains only the rounds still missing.
With deterministic settings (hist, no row/column sampling) the resumed model equals an
uninterrupted run. Data: CSV, label in the first column, no header (the SageMaker XGBoost layout).
It also fits the scaler of the inference pipeline (preprocess.py) and ships both scripts in the
model artifact, so one model.tar.gz serves both pipeline containers.
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
    p.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    p.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation"))
    p.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    p.add_argument("--checkpoint-dir", default=os.environ.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints"))
    args = p.parse_args(argv)
    if args.num_round < 1 or args.checkpoint_every < 1:
        p.error(f"--num-round and --checkpoint-every must be >= 1 (got {args.num_round}, {args.checkpoint_every})")
    return args


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
    scaler = preprocess.fit_scaler(x_train)
    dtrain = xgb.DMatrix(preprocess.transform(scaler, x_train), label=y_train)
    dval = xgb.DMatrix(preprocess.transform(scaler, x_val), label=y_val)
    params = {
        "objective": args.objective, "eval_metric": args.eval_metric, "max_depth": args.max_depth,
        "eta": args.eta, "min_child_weight": args.min_child_weight, "seed": args.seed,
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
    preprocess.save_scaler(scaler, args.model_dir)
    # The pipeline's containers run with network isolation: their code comes from the artifact.
    code_dir = os.path.join(args.model_dir, "code")
    os.makedirs(code_dir, exist_ok=True)
    for script in ("preprocess.py", "train.py"):
        shutil.copy(os.path.join(HERE, script), os.path.join(code_dir, script))
    with open(os.path.join(args.model_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump({"validation": {args.eval_metric: metric}, "rounds": args.num_round}, f)
    return 0


def model_fn(model_dir):
    """Serving hook of the XGBoost framework container (second container of the pipeline)."""
    booster = xgb.Booster()
    booster.load_model(os.path.join(model_dir, MODEL_FILE))
    return booster


if __name__ == "__main__":
    sys.exit(train(parse_args()))
