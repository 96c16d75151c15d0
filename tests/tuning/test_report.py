import keras_tuner
import pytest

from keras_training_kit.tuning import format_results
from keras_training_kit.tuning import read_results_csv
from keras_training_kit.tuning import results_table
from keras_training_kit.tuning import write_results_csv


class _Tuner:
    """A stand-in with the `oracle.trials` and objective the report reads."""

    def __init__(self, trials, objective="val_accuracy", direction="max"):
        self.oracle = type(
            "Oracle",
            (),
            {
                "trials": {t.trial_id: t for t in trials},
                "objective": keras_tuner.Objective(objective, direction),
            },
        )()


def _trial(
    trial_id,
    values,
    accuracies,
    diverged=0.0,
    status="COMPLETED",
    metric="val_accuracy",
):
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    trial = keras_tuner.engine.trial.Trial(hp, trial_id=trial_id, status=status)
    for step, accuracy in enumerate(accuracies):
        trial.metrics.update(metric, accuracy, step=step)
    trial.metrics.update("diverged", diverged)
    trial.metrics.update("epochs_run", float(len(accuracies)))
    return trial


@pytest.fixture
def rows():
    stage1 = _Tuner(
        [
            _trial(
                "0",
                {"learning_rate": 1e-3, "l2": 1e-4, "tuner/epochs": 2},
                [0.5, 0.7],
            ),
            _trial(
                "1", {"learning_rate": 1.0, "l2": 1e-2}, [0.1], diverged=1.0
            ),
        ]
    )
    stage2 = _Tuner(
        [
            _trial(
                "0",
                {"learning_rate": 2e-3, "l2": 1e-5, "dropout": 0.5},
                [0.8, 0.75],
            ),
            _trial(
                "1", {"learning_rate": 5e-3, "l2": 1e-5}, [], status="RUNNING"
            ),
        ]
    )
    return results_table([stage1, stage2])


def test_results_table(rows):
    assert [(r["stage"], r["trial"], r["status"]) for r in rows] == [
        (1, 0, "completed"),
        (1, 1, "diverged"),
        (2, 0, "completed"),
        (2, 1, "running"),
    ]
    assert rows[0]["best_val_accuracy"] == pytest.approx(0.7)
    assert rows[2]["best_val_accuracy"] == pytest.approx(0.8)
    assert rows[0]["epochs_run"] == 2 and rows[3]["best_val_accuracy"] is None
    assert "tuner/epochs" not in rows[0]


def test_csv_round_trip_and_text(rows, tmp_path):
    path = write_results_csv(rows, str(tmp_path / "out" / "results.csv"))
    header = open(path).readline().strip().split(",")
    assert header == [
        "stage",
        "trial",
        "learning_rate",
        "l2",
        "dropout",
        "best_val_accuracy",
        "epochs_run",
        "status",
    ]
    back = read_results_csv(path)
    assert back[1]["status"] == "diverged" and back[1]["learning_rate"] == 1.0
    assert back[2]["dropout"] == 0.5 and back[0]["dropout"] is None
    text = format_results(rows).splitlines()
    assert text[0].split()[0] == "stage" and len(text) == 5
    # Best first, unscored last.
    assert text[1].split()[-1] == "completed" and "0.8" in text[1]
    assert text[-1].split()[-1] == "running"


def test_a_loss_objective_is_minimized_in_the_table_and_the_text():
    def trial(trial_id, losses):
        return _trial(
            trial_id,
            {"learning_rate": 1e-3, "l2": 1e-4},
            losses,
            metric="val_loss",
        )

    tuner = _Tuner(
        [trial("0", [0.9, 0.5, 0.6]), trial("1", [0.4, 0.3])],
        objective="val_loss",
        direction="min",
    )
    rows = results_table([tuner])
    assert [r["best_val_loss"] for r in rows] == pytest.approx([0.5, 0.3])
    assert "best_val_accuracy" not in rows[0]
    text = format_results(rows).splitlines()
    assert text[0].split()[-3] == "best_val_loss"
    # Lowest loss first (a loss table sorted like accuracies would be
    # worst first).
    assert [line.split()[1] for line in text[1:]] == ["1", "0"]
    descending = format_results(rows, direction="max").splitlines()
    assert [line.split()[1] for line in descending[1:]] == ["0", "1"]
    with pytest.raises(
        ValueError, match="`direction`.*Received: direction='up'"
    ):
        format_results(rows, direction="up")
