"""KerasTuner workarounds: crash-consistent project folders.

The only module of the package that touches KerasTuner internals. Written
and tested against KerasTuner 1.4 (`TESTED_VERSIONS`); on another version it
warns once and applies what still fits.

What KerasTuner 1.4 does on disk, and what goes wrong after a SIGKILL:

1. It reloads a project only when the tuner's file (`tuner0.json`) exists,
   and writes that file for the first time at the end of the first trial. A
   kill before it makes a resumed search start afresh in the same folder
   and train the finished first trial again. `prepare_tuner` writes the
   state files before the first trial.
2. It rewrites `oracle.json`, `tuner0.json` and each `trial.json` in place:
   a kill mid-write leaves a truncated file and the project cannot be
   reloaded. `prepare_tuner` makes them write-then-rename.
3. A new trial's `trial.json` (`RUNNING`) is written before `oracle.json`
   records the trial; a kill in between leaves a trial that counts towards
   `max_trials` but never runs. `repair_project` removes such trials.
4. A finished trial's `trial.json` (`COMPLETED`) is written before
   `oracle.json` drops it from `ongoing_trials`; a kill in between makes the
   reload retry (and overwrite) the finished trial. `repair_project` ends
   it as `Oracle.end_trial` would have.
5. A trial killed while running is retried, but keeps the metrics of its
   killed run, which then compete for its score. `repair_project` clears
   them.
8. A trial a pruner stopped (`"pruned"` recorded in its `trial.json`) but
   killed before it ended would run again. `repair_project` ends it as
   KerasTuner would have (`COMPLETED`, scored on its epochs).
7. A failed trial stays failed in a reloaded project. `repair_project`
   queues it for a retry (KerasTuner's own `retry_queue`), so running the
   same search again retries what failed (say, for a missing package).
6. `GridSearchOracle` does not save its queue of combinations
   (`_populate_next`, `_ordered_ids`): a reloaded grid search stops at
   once. `prepare_tuner` rebuilds the queue from the finished trials.
9. It gives each trial a TensorBoard run and HParams session only under the
   TensorFlow backend, and names a session group by the trial id alone,
   which coarse-to-fine's stages reuse (the dashboard merges one group's
   sessions). `TensorBoardRuns` does so under every backend, a group named
   per stage.
"""

import contextlib
import functools
import json
import os
import shutil

import keras_tuner

from keras_training_kit import run_files
from keras_training_kit.tuning.hparams import is_tensorboard
from keras_training_kit.tuning.trials import EPOCH_SUFFIX
from keras_training_kit.tuning.trials import PRUNED
from keras_training_kit.version_check import check_tested_version

TESTED_VERSIONS = ("1.4",)
_FINISHED = ("COMPLETED", "FAILED", "INVALID")


def check_version(version: str | None = None) -> bool:
    """Whether KerasTuner's version is one these workarounds were tested on.

    Warns once per process when it is not.
    """
    return check_tested_version(
        "keras_training_kit's KerasTuner workarounds",
        "KerasTuner",
        version or keras_tuner.__version__,
        TESTED_VERSIONS,
        "Searches still run; resuming after a crash may redo or lose the "
        "trial that was running.",
    )


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def repair_project(project_dir: str) -> dict:
    """Brings a project folder killed mid-update back to a consistent state.

    `oracle.json` is the record of which trials were started: a trial folder
    it does not list was never started and is removed. A trial it lists as
    ongoing whose `trial.json` says it finished is ended (dropped from
    `ongoing_trials`, added to `end_order`). A trial still running is
    cleared of the metrics of its killed run, so its retry is scored on its
    own. A failed trial is queued to run again. Temporary files of writes
    whose rename never came are removed.
    Safe to run again after a kill during the repair itself.

    Args:
        project_dir: str, a KerasTuner project folder (`directory/project`).

    Returns:
        A dict with the lists of trial ids `"removed"`, `"ended"`,
        `"cleared"` and `"retried"` (failed trials queued to run again).
    """
    done = {"removed": [], "ended": [], "cleared": [], "retried": []}
    oracle_path = os.path.join(project_dir, "oracle.json")
    state = _read_json(oracle_path)
    if state is None:
        return done
    run_files.remove_temporary_files(project_dir)
    started = set(state.get("start_order", []))
    for name in sorted(os.listdir(project_dir)):
        trial_id = name[len("trial_") :]
        path = os.path.join(project_dir, name)
        if name.startswith("trial_") and os.path.isdir(path):
            if trial_id not in started:
                shutil.rmtree(path)
                done["removed"].append(trial_id)
    changed = False
    for tuner_id, trial_id in list(state.get("ongoing_trials", {}).items()):
        trial_path = os.path.join(
            project_dir, f"trial_{trial_id}", "trial.json"
        )
        trial = _read_json(trial_path)
        if trial is None:
            continue
        if trial.get("status") in _FINISHED:
            changed = _end(state, tuner_id, trial_id, done)
        elif _end_pruned(trial):
            run_files.write_json(trial_path, trial, indent=None)
            changed = _end(state, tuner_id, trial_id, done)
        elif trial.get("metrics", {}).get("metrics"):
            trial["metrics"]["metrics"] = {}
            trial["score"] = trial["best_step"] = None
            run_files.write_json(trial_path, trial, indent=None)
            done["cleared"].append(trial_id)
    failed = {}
    for trial_id in state.get("end_order", []):
        trial_path = os.path.join(
            project_dir, f"trial_{trial_id}", "trial.json"
        )
        trial = _read_json(trial_path)
        if trial is not None and trial.get("status") == "FAILED":
            failed[trial_path] = trial
            state.setdefault("retry_queue", [])
            if trial_id not in state["retry_queue"]:
                state["retry_queue"].append(trial_id)
            state.setdefault("run_times", {})[trial_id] = 0
            done["retried"].append(trial_id)
    state["end_order"] = [
        trial_id
        for trial_id in state.get("end_order", [])
        if trial_id not in done["retried"]
    ]
    if changed or failed:
        run_files.write_json(oracle_path, state, indent=None)
    # After oracle.json queued them: a kill in between leaves a queued trial
    # whose old file KerasTuner overwrites when it runs the retry.
    for trial_path, trial in failed.items():
        trial.update(status="RUNNING", message=None, score=None, best_step=None)
        trial.setdefault("metrics", {})["metrics"] = {}
        run_files.write_json(trial_path, trial, indent=None)
    return done


def _end(state: dict, tuner_id, trial_id, done: dict) -> bool:
    """Ends an ongoing trial in `oracle.json`'s state, as KerasTuner would."""
    del state["ongoing_trials"][tuner_id]
    if trial_id not in state.get("end_order", []):
        state.setdefault("end_order", []).append(trial_id)
        run_times = state.setdefault("run_times", {})
        run_times[trial_id] = run_times.get(trial_id, 0) + 1
    done["ended"].append(trial_id)
    return True


def _end_pruned(trial: dict) -> bool:
    """Ends a running `trial.json` whose pruning was recorded; or `False`.

    Its objective is the epochs' values (what KerasTuner's own report at
    the trial's end would have scored), `epochs_run` the epochs trained.
    """
    metrics = trial.get("metrics", {}).get("metrics", {})
    epochs = [name for name in metrics if name.endswith(EPOCH_SUFFIX)]
    if PRUNED not in metrics or len(epochs) != 1:
        return False
    history = metrics[epochs[0]]
    observations = history["observations"]
    if not observations:
        return False
    objective = epochs[0][: -len(EPOCH_SUFFIX)]
    metrics[objective] = json.loads(json.dumps(history))
    count = len(observations)
    last = max(obs["step"] for obs in observations)
    for name, value in (("epochs_run", float(count)), ("diverged", 0.0)):
        metrics[name] = {
            "direction": "min",
            "observations": [{"value": [value], "step": last}],
        }
    values = [sum(o["value"]) / len(o["value"]) for o in observations]
    pick = max if history["direction"] == "max" else min
    best = pick(range(count), key=lambda i: values[i])
    trial.update(
        status="COMPLETED",
        score=values[best],
        best_step=observations[best]["step"],
        message=None,
    )
    return True


def save_trial(oracle, trial) -> None:
    """Writes a trial's `trial.json` now (`Oracle._save_trial`)."""
    oracle._save_trial(trial)


@contextlib.contextmanager
def trials_hidden(oracle, hidden: list):
    """Hides trials from `oracle.trials` while a block runs.

    The Bayesian oracle reads every trial from `oracle.trials` (in
    `populate_space` and `_vectorize_trials`): hiding the pruned ones
    fits its model on the others.
    """
    if not hidden:
        yield
        return
    trials = oracle.trials
    oracle.trials = {
        trial_id: trial
        for trial_id, trial in trials.items()
        if trial not in hidden
    }
    try:
        yield
    finally:
        oracle.trials = trials


def _is_local(path) -> bool:
    return "://" not in os.fspath(path)


def prepare_tuner(tuner, *, is_worker: bool = False) -> None:
    """Makes a freshly built tuner's project folder crash-consistent.

    Call it right after constructing the tuner (after `repair_project` on
    its folder). It makes KerasTuner's state files write-then-rename, saves
    them before the first trial so a resumed search always reloads, and
    restores a reloaded grid search's queue of combinations.

    Args:
        tuner: a `keras_tuner.Tuner`.
        is_worker: bool, whether this process is a distributed worker (whose
            oracle lives in the chief; nothing is changed then).
    """
    check_version()
    if is_worker or not _is_local(tuner.project_dir):
        return
    oracle = tuner.oracle
    needed = (
        (oracle, "_get_oracle_fname"),
        (oracle, "_get_trial_dir"),
        (oracle, "_save_trial"),
        (tuner, "_get_tuner_fname"),
    )
    if not all(callable(getattr(owner, name, None)) for owner, name in needed):
        return  # another KerasTuner (check_version warned): its own writes

    def save_oracle():
        run_files.write_json(
            oracle._get_oracle_fname(), oracle.get_state(), indent=None
        )

    def save_trial(trial):
        path = os.path.join(oracle._get_trial_dir(trial.trial_id), "trial.json")
        run_files.write_json(path, trial.get_state(), indent=None)

    def save_tuner():
        save_oracle()
        run_files.write_json(
            tuner._get_tuner_fname(), tuner.get_state(), indent=None
        )

    oracle.save = save_oracle
    oracle._save_trial = save_trial
    tuner.save = save_tuner
    if isinstance(oracle, keras_tuner.oracles.GridSearchOracle):
        _restore_grid_queue(oracle)
    if not os.path.exists(tuner._get_tuner_fname()):
        tuner.save()


def _restore_grid_queue(oracle) -> None:
    """Rebuilds `GridSearchOracle`'s unsaved queue from the reloaded trials.

    `_ordered_ids` holds the trials sorted by their combination and
    `_populate_next` the trials whose next combination may be untried;
    replaying every ended trial finds the same next combination as the
    uninterrupted search (tried ones are skipped by `populate_space`).
    """
    if not all(
        hasattr(oracle, name)
        for name in ("_ordered_ids", "_populate_next", "_compare")
    ):
        return
    if not oracle.start_order or oracle._ordered_ids._memory:
        return

    def compare(a, b):
        return oracle._compare(
            oracle.trials[a].hyperparameters.values,
            oracle.trials[b].hyperparameters.values,
        )

    for trial_id in sorted(
        oracle.start_order, key=functools.cmp_to_key(compare)
    ):
        oracle._ordered_ids.insert(trial_id)  # appended at the end
    oracle._populate_next = list(oracle.end_order)


class TensorBoardRuns:
    """A tuner mixin: each trial's TensorBoard run, under every backend.

    KerasTuner 1.4's `Tuner._configure_tensorboard_dir` points each
    callback named `TensorBoard` at `<log_dir>/<trial_id>/execution<i>`
    and adds TensorBoard's HParams callback, under the TensorFlow backend
    only. Here the same is done under every backend (both write with
    `tf.summary`), the HParams session group is named
    `<tensorboard_group>/<trial_id>` when `tensorboard_group` is set, and
    the callbacks of `tensorboard_callbacks(trial, run_dir)` are added.
    """

    tensorboard_group = ""

    def tensorboard_callbacks(self, trial, run_dir: str) -> list:
        """More callbacks for a trial's TensorBoard run. None here."""
        return []

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        tensorboards = [c for c in callbacks if is_tensorboard(c)]
        if not tensorboards:
            return  # nor import TensorFlow (under another backend)
        from keras_tuner.src.engine import tuner_utils
        from tensorboard.plugins.hparams import api as hparams_api

        group = "/".join(filter(None, (self.tensorboard_group, trial.trial_id)))
        for callback in tensorboards:
            run_dir = tensorboard_run_dir(
                callback.log_dir, trial.trial_id, execution
            )
            callback.log_dir = run_dir
            hparams = tuner_utils.convert_hyperparams_to_hparams(
                trial.hyperparameters, hparams_api
            )
            callbacks.append(
                hparams_api.KerasCallback(run_dir, hparams, trial_id=group)
            )
            callbacks.extend(self.tensorboard_callbacks(trial, run_dir))


def tensorboard_run_dir(log_dir, trial_id: str, execution: int = 0) -> str:
    """A trial's TensorBoard run folder, as KerasTuner 1.4 names it."""
    return os.path.join(str(log_dir), str(trial_id), f"execution{execution}")
