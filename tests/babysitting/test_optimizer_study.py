import csv

import numpy as np
import pytest

from keras_training_kit.babysitting import PROBLEMS
from keras_training_kit.babysitting import STUDY_OPTIMIZERS
from keras_training_kit.babysitting import descend
from keras_training_kit.babysitting import run_optimizer_study
from keras_training_kit.babysitting.surfaces import LOCAL_MINIMUM
from keras_training_kit.babysitting.surfaces import RAVINE
from keras_training_kit.babysitting.surfaces import SADDLE
from keras_training_kit.cli import optimizer_study as cli_module


@pytest.fixture(scope="module")
def study():
    return run_optimizer_study(steps=100)


def test_one_sgd_step_is_the_closed_form_update():
    path = descend(RAVINE, "sgd", steps=1)
    start = np.asarray(RAVINE.start)
    expected = start - RAVINE.learning_rate * np.asarray(
        RAVINE.gradient(*start)
    )
    np.testing.assert_allclose(path[0], start)
    np.testing.assert_allclose(path[1], expected, rtol=1e-6)


def test_sgd_zig_zags_across_the_ravine_and_loses_to_momentum_and_adam(
    study,
):
    path = np.asarray(study.paths["ravine"]["sgd"])
    y_steps = np.diff(path[:11, 1])
    # Every one of the first ten steps in y reverses the one before.
    assert np.all(np.sign(y_steps[1:]) != np.sign(y_steps[:-1]))
    # Along the ravine it is slow: x is still far from 0 after 100 steps.
    assert abs(path[-1, 0]) > 1.0
    sgd = study.final_loss("ravine", "sgd")
    for name in ("momentum", "nesterov", "adam"):
        assert study.final_loss("ravine", name) < sgd / 100


def test_sgd_stalls_at_the_saddle_while_momentum_and_adam_escape(study):
    def escape(name):
        path = np.asarray(study.paths["saddle"][name])
        return abs(path[-1, 1] - path[0, 1]), np.linalg.norm(path[-1] - path[0])

    sgd_escape, sgd_moved = escape("sgd")
    assert sgd_escape < 0.2  # y stays near the saddle (from 1e-3)...
    assert study.final_loss("saddle", "sgd") > 0.2  # ...at f(0, 0) = 0.25
    for name in ("momentum", "adam"):
        y_escape, moved = escape(name)
        assert y_escape > 0.9 and moved > sgd_moved
        assert study.final_loss("saddle", name) < 1e-3


def test_momentum_rolls_through_the_local_minimum_sgd_stops_in_it(study):
    for name, x in (("sgd", 1.0), ("momentum", -1.5), ("nesterov", -1.5)):
        end = study.paths["local_minimum"][name][-1]
        assert end[0] == pytest.approx(x, abs=0.05)
    assert study.winner("local_minimum") in ("momentum", "nesterov")


def test_adagrad_steps_shrink_on_the_ravine(study):
    lengths = study.step_lengths("ravine", "adagrad")
    assert lengths[-1] < lengths[0] / 10
    # Monotonically-ish: each tenth of the run steps shorter than the last.
    tenths = lengths.reshape(10, -1).mean(axis=1)
    assert np.all(np.diff(tenths) < 0)


def test_rows_and_csv(study, tmp_path):
    path = study.to_csv(str(tmp_path / "study.csv"))
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    assert header == ["problem", "optimizer", "step", "loss"]
    assert len(rows) == 3 * 6 * 101
    assert rows[0] == ["ravine", "sgd", "0", str(RAVINE.value(*RAVINE.start))]
    assert {row[0] for row in rows} == {"ravine", "saddle", "local_minimum"}
    assert study.learning_rates["saddle"]["adam"] == SADDLE.learning_rate
    assert study.losses["local_minimum"]["sgd"][0] == pytest.approx(
        LOCAL_MINIMUM.value(*LOCAL_MINIMUM.start)
    )


def test_summary_names_the_winners(study):
    lines = study.summary().splitlines()
    assert lines[0].split() == ["final", "loss", *study.problems]
    assert lines[-2].split()[1:] == [study.winner(p) for p in study.problems]
    assert lines[-1].split()[2:] == ["0.13", "0.05", "0.02"]


def test_dataset_every_optimizer_from_the_same_weights_and_batches():
    from keras_training_kit.data import load_dataset

    study = run_optimizer_study(
        ["dataset"],
        ["sgd", "adam"],
        dataset=load_dataset("digits"),
        train_steps=30,
        lr_test_steps=100,
        hidden_units=(32,),
    )
    assert study.problems == ["digits"] and study.dataset == "digits"
    losses = study.losses["digits"]
    assert [len(v) for v in losses.values()] == [30, 30]
    # The same initial weights and first batch: the same first loss.
    assert losses["sgd"][0] == pytest.approx(losses["adam"][0], rel=1e-5)
    for name in ("sgd", "adam"):
        assert 1e-4 < study.learning_rates["digits"][name] < 1, study.summary()
        assert np.mean(losses[name][-5:]) < losses[name][0], study.summary()
    assert study.rows()[0][:3] == ("digits", "sgd", 1)
    assert "digits lr" in study.summary()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"problems": ["ravine", "bowl"]}, "Received: problems="),
        ({"optimizers": ["adam", "foo"]}, "Received: optimizers="),
        ({"steps": 0}, "Received: steps=0"),
        ({"problems": ["dataset"]}, "Received: dataset=None"),
        ({"lr_test_steps": 1}, "Received: lr_test_steps=1"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_optimizer_study(**kwargs)


def test_cli_names_match_the_library():
    assert cli_module.PROBLEMS == PROBLEMS
    assert cli_module.STUDY_OPTIMIZERS == STUDY_OPTIMIZERS


def test_the_saved_files_hold_the_figures_data(study, tmp_path):
    import json

    from keras_training_kit import run_files

    study.to_csv(str(tmp_path / "new" / "study.csv"))
    study.to_json(str(tmp_path / "study.json"))
    with open(tmp_path / "study.json") as f:
        saved = json.load(f)
    assert saved["paths"] == study.paths
    assert saved["learning_rates"] == study.learning_rates
    rows = run_files.read_csv_rows(str(tmp_path / "new" / "study.csv"))
    losses = [float(r["loss"]) for r in rows if r["optimizer"] == "adam"]
    assert losses[:101] == study.losses["ravine"]["adam"]
