import json
import math
import os

import pytest

from keras_training_kit.data import load_dataset
from keras_training_kit.tuning import TrainingHyperModel
from keras_training_kit.tuning import narrow_ranges
from keras_training_kit.tuning import search


def test_narrow_ranges_around_the_best_values():
    ranges = {"learning_rate": (1e-5, 1e-1), "l2": (1e-6, 1e-2)}
    narrowed = narrow_ranges(
        {"learning_rate": [1e-3, 3e-3], "l2": [1e-4]}, ranges, margin=0.1
    )
    low, high = narrowed["learning_rate"]
    # Padded by 10% of the 4-decade log width (0.4 decade) on each side.
    assert math.isclose(math.log10(low), -3.4) and math.isclose(
        math.log10(high), math.log10(3e-3) + 0.4
    )
    low, high = narrowed["l2"]
    assert math.isclose(math.log10(low), -4.4) and math.isclose(
        math.log10(high), -3.6
    )


def test_narrow_ranges_clips_and_keeps_unknown():
    ranges = {"learning_rate": (1e-5, 1e-1), "l2": (1e-6, 1e-2)}
    narrowed = narrow_ranges({"learning_rate": [0.09]}, ranges, margin=0.25)
    assert narrowed["learning_rate"][1] == pytest.approx(1e-1)
    assert narrowed["l2"] == ranges["l2"]
    with pytest.raises(ValueError, match="`margin`.*Received: margin=-1"):
        narrow_ranges({}, ranges, margin=-1)


def test_coarse_to_fine_narrows_around_top_trials_and_resumes(tmp_path):
    data = load_dataset("digits", validation_split=0.2)
    train = data.train.take(256).batch(128)
    validation = data.validation.take(128).batch(128)
    hypermodel = TrainingHyperModel(
        "mlp",
        data.input_shape,
        data.num_classes,
        learning_rate=(1e-4, 1.0),
        l2=(1e-6, 1e-2),
        builder_kwargs={"hidden_units": (8,)},
    )
    options = dict(
        strategy="coarse-to-fine", epochs=1, top_k=2, directory=str(tmp_path)
    )
    result = search(hypermodel, train, validation, max_trials=2, **options)
    first, second = result.ranges
    assert first == {"learning_rate": (1e-4, 1.0), "l2": (1e-6, 1e-2)}
    stage1 = [
        r for r in result.rows if r["stage"] == 1 and r["status"] == "completed"
    ]
    top = sorted(stage1, key=lambda r: -r["best_val_accuracy"])[:2]
    for name in ("learning_rate", "l2"):
        low, high = second[name]
        assert first[name][0] <= low < high <= first[name][1]
        assert math.log10(high / low) < math.log10(
            first[name][1] / first[name][0]
        )
        # The top-2 values of stage 1 lie inside the narrowed range ...
        assert all(low <= r[name] <= high for r in top)
        # ... and so does every stage-2 trial.
        assert all(
            low <= r[name] <= high for r in result.rows if r["stage"] == 2
        )
    stage2 = [r for r in result.rows if r["stage"] == 2]
    assert len(stage2) == 2 and all(r["epochs_run"] == 2 for r in stage2)
    saved = json.load(open(os.path.join(tmp_path, "stage_ranges.json")))
    assert saved[1]["learning_rate"] == pytest.approx(
        list(second["learning_rate"])
    )
    # Resuming with one more trial per stage keeps the four finished trials
    # and the stage-2 ranges.
    more = search(hypermodel, train, validation, max_trials=3, **options)
    assert len(more.rows) == 6
    # Tuples of two floats per name (`pytest.approx` takes no nested dicts).
    assert more.ranges[1].keys() == second.keys()
    for name, bounds in second.items():
        assert more.ranges[1][name] == pytest.approx(bounds)
    old = {(r["stage"], r["trial"]): r["learning_rate"] for r in result.rows}
    new = {(r["stage"], r["trial"]): r["learning_rate"] for r in more.rows}
    assert all(new[key] == value for key, value in old.items())


def test_coarse_to_fine_refuses_distributed_mode(monkeypatch, tmp_path):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    hypermodel = TrainingHyperModel("mlp", (4,), 2)
    with pytest.raises(ValueError, match="distributed"):
        search(
            hypermodel, None, strategy="coarse-to-fine", directory=str(tmp_path)
        )
