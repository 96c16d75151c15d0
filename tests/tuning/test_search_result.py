import keras_tuner
import pytest

from keras_training_kit.tuning import EdgeOfRangeWarning
from keras_training_kit.tuning import check_edges
from keras_training_kit.tuning.search_result import best_values
from keras_training_kit.tuning.search_result import tied_best_values


def test_edge_of_range_warning_fires_at_both_edges_only():
    ranges = {"learning_rate": (1e-5, 1e-1), "l2": (1e-6, 1e-2)}
    with pytest.warns(
        EdgeOfRangeWarning, match="upper 10%.*widen the range above"
    ):
        messages = check_edges({"learning_rate": 0.05, "l2": 1e-4}, ranges)
    assert len(messages) == 1 and "learning_rate" in messages[0]
    with pytest.warns(EdgeOfRangeWarning, match="`l2`.*lower 10%"):
        check_edges({"learning_rate": 1e-3, "l2": 2e-6}, ranges)
    # 10^-4.5 is in the middle of the learning-rate range in log space but at
    # 0.3% of it on a linear scale: no warning.
    assert (
        check_edges({"learning_rate": 10**-3.0, "l2": 10**-4.0}, ranges) == []
    )
    with pytest.raises(ValueError, match="`fraction`.*Received: fraction=0.7"):
        check_edges({}, ranges, fraction=0.7)


def test_no_edge_warning_when_the_best_score_ties_into_the_range(recwarn):
    # A grid whose l2 values 1e-6 to 1e-4 tie at 0.9514, 1e-6 taken.
    tuner = _Tuner([0.9514, 0.9514, 0.9514, 0.93, 0.9, 0.5], "max", l2=True)
    ranges = {"l2": (1e-6, 1e-1)}
    tied = tied_best_values([tuner])
    assert best_values([tuner]) == {"l2": 1e-6}
    assert tied == {"l2": [1e-6, 1e-5, 1e-4]}
    assert check_edges({"l2": 1e-6}, ranges, tied_values=tied) == []
    assert not recwarn.list
    # Ties all in the edge band still warn: the optimum may lie beyond.
    with pytest.warns(EdgeOfRangeWarning, match="`l2`=1e-06 is in the lower"):
        check_edges({"l2": 1e-6}, ranges, tied_values={"l2": [1e-6, 1.5e-6]})


class _Tuner:
    def __init__(self, scores, direction, l2=False):
        trials = {}
        for trial_id, score in enumerate(scores):
            hp = keras_tuner.HyperParameters()
            hp.Fixed(
                "l2" if l2 else "learning_rate",
                10.0 ** -(6 - trial_id) if l2 else 10.0**-trial_id,
            )
            hp.Fixed("tuner/epochs", 2)
            trial = keras_tuner.engine.trial.Trial(
                hp, trial_id=str(trial_id), status="COMPLETED"
            )
            trial.score = score
            trials[str(trial_id)] = trial
        self.oracle = type(
            "Oracle",
            (),
            {
                "trials": trials,
                "objective": keras_tuner.Objective("val_metric", direction),
            },
        )()


@pytest.mark.parametrize("direction, best_trial", [("max", 1), ("min", 2)])
def test_best_values_follow_the_objective_direction(direction, best_trial):
    best = best_values([_Tuner([0.5, 0.9, 0.1], direction)])
    # The searched values only: KerasTuner's `tuner/...` bookkeeping is left
    # out.
    assert best == {"learning_rate": 10.0**-best_trial}
