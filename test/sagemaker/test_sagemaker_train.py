"""Kill-and-resume test of sagemaker/train.py with real XGBoost.

Each test starts the script as SageMaker would (channels and checkpoint dir as directories),
interrupts it mid-way (SIGTERM like a spot reclaim, or SIGKILL with no warning), starts it again
on the same checkpoint dir, and compares the result with an uninterrupted run on the same seed.
The figures are printed (pytest -s shows them).
"""
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
import xgboost as xgb

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "sagemaker", "train.py")
ROUNDS = 150
INTERRUPT_AT = 60
CHECKPOINT = re.compile(r"^xgboost-checkpoint\.(\d+)\.json$")


@pytest.fixture(scope="module")
def channels(tmp_path_factory):
    """A small synthetic binary-classification set: 20,000 rows, 20 features (about 10 ms a round)."""
    root = tmp_path_factory.mktemp("channels")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(24000, 20))
    logits = x[:, 0] * 1.5 - x[:, 1] + 0.5 * x[:, 2] * x[:, 3] + rng.normal(scale=0.8, size=24000)
    y = (logits > 0).astype(float)
    data = np.column_stack([y, x])
    for name, rows in (("train", data[:20000]), ("validation", data[20000:])):
        (root / name).mkdir()
        np.savetxt(root / name / "part-0.csv", rows, delimiter=",", fmt="%.6f")
    return root


def command(channels, checkpoint_dir, model_dir):
    return [sys.executable, SCRIPT, "--num-round", str(ROUNDS), "--checkpoint-every", "10",
            "--train", str(channels / "train"), "--validation", str(channels / "validation"),
            "--checkpoint-dir", str(checkpoint_dir), "--model-dir", str(model_dir)]


def run_to_end(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_and_interrupt(cmd, sig):
    """Start training, send `sig` once round INTERRUPT_AT is printed, return (exit code, output)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.strip() == f"round {INTERRUPT_AT}":
            proc.send_signal(sig)
            break
    rest, _ = proc.communicate(timeout=120)
    return proc.returncode, "".join(lines) + rest


def figure(output, name):
    return re.findall(rf"{name}=(\S+)", output)[-1]


def validation_auc(model_dir):
    return float(open(os.path.join(model_dir, "metrics.json"), encoding="utf-8").read().split('"auc": ')[1].split("}")[0])


def predictions(model_dir, channels):
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import preprocess  # noqa: E402
    x = np.loadtxt(channels / "validation" / "part-0.csv", delimiter=",")[:, 1:]
    booster = xgb.Booster(model_file=os.path.join(model_dir, "xgboost-model"))
    return booster.predict(xgb.DMatrix(preprocess.transform(preprocess.model_fn(model_dir), x)))


@pytest.fixture(scope="module")
def uninterrupted(channels, tmp_path_factory):
    root = tmp_path_factory.mktemp("uninterrupted")
    out = run_to_end(command(channels, root / "ckpt", root / "model"))
    assert figure(out, "rounds_this_run") == str(ROUNDS)
    return root / "model"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_resumes_from_checkpoint_and_matches_uninterrupted_run(sig, channels, uninterrupted, tmp_path):
    cmd = command(channels, tmp_path / "ckpt", tmp_path / "model")
    code, first = run_and_interrupt(cmd, sig)
    assert code in (143, -signal.SIGKILL), first
    assert not (tmp_path / "model" / "xgboost-model").exists()  # nothing half-written as a result
    left = sorted(os.listdir(tmp_path / "ckpt"))
    saved = max(int(m.group(1)) for n in left if (m := CHECKPOINT.match(n)))
    if sig == signal.SIGTERM:
        # Saved on the signal itself, at the round it arrived (or a round or two later).
        assert INTERRUPT_AT <= saved < ROUNDS
        assert int(figure(first, "rounds_this_run")) == saved
    else:
        # No warning: back to the last periodic checkpoint (every 10 rounds).
        assert saved % 10 == 0 and INTERRUPT_AT - 10 <= saved <= INTERRUPT_AT + 10
    if sig == signal.SIGTERM:
        assert not any(n.startswith(".partial") for n in left)  # caught: the save finished
    # (a SIGKILL during a save may leave a .partial-* file: the resume below must ignore it)

    second = run_to_end(cmd)
    assert not any(n.startswith(".partial") for n in os.listdir(tmp_path / "ckpt"))
    assert int(figure(second, "resuming_from_round")) == saved
    resumed_rounds = int(figure(second, "rounds_this_run"))
    assert resumed_rounds == ROUNDS - saved < ROUNDS

    auc_resumed, auc_full = validation_auc(tmp_path / "model"), validation_auc(uninterrupted)
    max_diff = float(np.max(np.abs(predictions(tmp_path / "model", channels) - predictions(uninterrupted, channels))))
    print(f"\n[{sig.name}] first run: {saved} rounds checkpointed; after resume: {resumed_rounds} rounds "
          f"(uninterrupted: {ROUNDS}); validation AUC resumed {auc_resumed:.6f} vs uninterrupted {auc_full:.6f}; "
          f"max prediction difference {max_diff:.2e}")
    assert auc_resumed == pytest.approx(auc_full, abs=1e-6)
    assert max_diff < 1e-5


def test_partial_file_from_a_kill_mid_save_is_ignored_and_removed(channels, tmp_path):
    ckpt = tmp_path / "ckpt"
    cmd = command(channels, ckpt, tmp_path / "model")
    code, _ = run_and_interrupt(cmd, signal.SIGTERM)
    assert code == 143
    saved = max(int(m.group(1)) for n in os.listdir(ckpt) if (m := CHECKPOINT.match(n)))
    # What SIGKILL during the next save would leave: a newer round, half written.
    (ckpt / f".partial-{saved + 10}.json").write_text('{"learner": {"trunc')
    out = run_to_end(cmd)
    assert int(figure(out, "resuming_from_round")) == saved
    assert figure(out, "removing_partial_checkpoint") == f".partial-{saved + 10}.json"
    assert sorted(os.listdir(ckpt)) == [f"xgboost-checkpoint.{ROUNDS - 10}.json", f"xgboost-checkpoint.{ROUNDS}.json"]


def test_finished_run_restarted_trains_nothing(channels, tmp_path):
    cmd = command(channels, tmp_path / "ckpt", tmp_path / "model")
    run_to_end(cmd)
    # A restart after the last checkpoint (e.g. a retried step) must not train past num_round.
    again = run_to_end(cmd)
    assert figure(again, "resuming_from_round") == str(ROUNDS)
    assert figure(again, "rounds_this_run") == "0"
    assert (tmp_path / "model" / "code" / "preprocess.py").exists() and (tmp_path / "model" / "preprocess.json").exists()


def test_rejects_bad_arguments_and_missing_data(tmp_path, capsys):
    bad = subprocess.run([sys.executable, SCRIPT, "--num-round", "0"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "must be >= 1 (got 0, 10)" in bad.stderr
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import train  # noqa: E402  (in-process: each subprocess pays for importing xgboost)
    for flag, value, message in (("--pca-variance", "1.0", "between 0 and 1, exclusive (got 1.0)"),
                                 ("--scale-pos-weight", "heavy", "'auto' or a positive number (got 'heavy')"),
                                 ("--scale-pos-weight", "-2", "'auto' or a positive number (got '-2')")):
        with pytest.raises(SystemExit) as exit_:
            train.parse_args([flag, value])
        assert exit_.value.code == 2 and message in capsys.readouterr().err
    empty = subprocess.run([sys.executable, SCRIPT, "--train", str(tmp_path), "--validation", str(tmp_path),
                            "--checkpoint-dir", str(tmp_path / "c"), "--model-dir", str(tmp_path / "m")],
                           capture_output=True, text=True, check=False)
    assert empty.returncode != 0 and f"no .csv files in channel directory {tmp_path}" in empty.stderr
