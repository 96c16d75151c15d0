"""`run_optimizer_study`: CS231n's comparison of the Keras optimizers.

The optimizers run on the 2-D surfaces of `surfaces.py` (a ravine, a
saddle, a local minimum beside the global one) and train a small MLP on a
data set, each at the learning rate its own LR range test suggests.
"""

import csv
import dataclasses
import itertools
import logging
import math
import os

import keras
import numpy as np

from keras_training_kit import run_files
from keras_training_kit.babysitting.surfaces import SURFACES
from keras_training_kit.optimizers import OPTIMIZERS
from keras_training_kit.optimizers import build_optimizer
from keras_training_kit.validation import check_int
from keras_training_kit.validation import check_widths

logger = logging.getLogger(__name__)

# CS231n's six, in its order (AdamW adds weight decay to Adam).
STUDY_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
"""The optimizers the study compares by default, in the order of the CS231n
lecture: names of `keras_training_kit.optimizers.build_optimizer`.
"""
PROBLEMS = (*SURFACES, "dataset")
"""The study's problems: the names of `SURFACES`, then `"dataset"` (a small
model trained on a data set).
"""
CSV_COLUMNS = ("problem", "optimizer", "step", "loss")


def descend(surface, optimizer: str, steps: int = 100) -> np.ndarray:
    """Runs a Keras optimizer on a 2-D surface; returns the path it takes.

    The point is a 2-element `keras.Variable` started at `surface.start`;
    each step feeds the surface's analytic gradient there to
    `optimizer.apply_gradients`, so the update is Keras' own (no gradient
    tape: any backend).

    Args:
        surface: a `Surface` (see `keras_training_kit.babysitting.surfaces`).
        optimizer: str, a name for `build_optimizer`, built with
            `surface.learning_rate`.
        steps: int >= 1, the number of updates. Defaults to `100`.

    Returns:
        A float64 array of shape `(steps + 1, 2)`: the start, then the
        point after each update.

    Example:

    >>> from keras_training_kit.babysitting.surfaces import RAVINE
    >>> descend(RAVINE, "sgd", steps=1)[1].round(3).tolist()
    [-3.948, -0.3]
    """
    check_int("steps", steps)
    point = keras.Variable(
        np.asarray(surface.start, dtype="float32"), name="point"
    )
    instance = build_optimizer(optimizer, surface.learning_rate)
    path = [np.asarray(surface.start, dtype="float64")]
    for _ in range(steps):
        x, y = keras.ops.convert_to_numpy(point)
        gradient = np.asarray(surface.gradient(x, y), dtype="float32")
        instance.apply_gradients(
            [(keras.ops.convert_to_tensor(gradient), point)]
        )
        path.append(keras.ops.convert_to_numpy(point).astype("float64"))
    return np.stack(path)


@dataclasses.dataclass
class OptimizerStudy:
    """The losses, paths and learning rates of an optimizer study.

    On a 2-D surface step 0 is the start and step `k` the loss after `k`
    updates. On the data set step `k` (from 1) is the loss of the `k`-th
    training batch, from the forward pass of its own update
    (`train_on_batch`), as in the LR range test.

    Attributes:
        problems: list of str, the problems in order: surface names and the
            data set's name.
        optimizers: list of str, the optimizer names in order.
        losses: dict `{problem: {optimizer: [loss per step]}}`.
        paths: dict `{surface name: {optimizer: [[x, y] per step]}}`.
        learning_rates: dict `{problem: {optimizer: float}}`: the surface's
            learning rate, or on the data set the one the optimizer's LR
            range test suggested.
        dataset: str or `None`, the problem that is the data set.
    """

    problems: list
    optimizers: list
    losses: dict
    paths: dict
    learning_rates: dict
    dataset: str | None = None

    def rows(self) -> list:
        """Returns the `(problem, optimizer, step, loss)` rows of the CSV."""
        rows = []
        for problem in self.problems:
            first = 1 if problem == self.dataset else 0
            for optimizer in self.optimizers:
                for step, loss in enumerate(
                    self.losses[problem][optimizer], start=first
                ):
                    rows.append((problem, optimizer, step, loss))
        return rows

    def final_loss(self, problem: str, optimizer: str) -> float:
        """The loss at the end: the last step's on a surface.

        On the data set a single batch is noisy: it is the mean loss of the
        last tenth of the steps (at least one).
        """
        losses = self.losses[problem][optimizer]
        if problem != self.dataset:
            return float(losses[-1])
        return float(np.mean(losses[-max(1, len(losses) // 10) :]))

    def winner(self, problem: str) -> str:
        """The optimizer with the lowest `final_loss` (NaN never wins)."""

        def key(optimizer):
            loss = self.final_loss(problem, optimizer)
            return loss if math.isfinite(loss) else math.inf

        return min(self.optimizers, key=key)

    def step_lengths(self, problem: str, optimizer: str) -> np.ndarray:
        """The Euclidean length of each update on a surface."""
        path = np.asarray(self.paths[problem][optimizer])
        return np.linalg.norm(np.diff(path, axis=0), axis=1)

    def to_csv(self, path: str) -> str:
        """Writes the rows to `path` atomically (creating its folder).

        Returns:
            `path`.
        """
        folder = os.path.dirname(os.fspath(path))
        if folder:
            os.makedirs(folder, exist_ok=True)
        with run_files.atomic_path(path) as temporary:
            with open(temporary, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(CSV_COLUMNS)
                writer.writerows(self.rows())
        return path

    def to_json(self, path: str) -> str:
        """Writes the paths and learning rates to `path` as JSON; returns it.

        With the CSV's losses they are all the figure needs: the contours
        come from the surfaces (`SURFACES[name].grid()`).
        """
        return run_files.write_json(
            path,
            {
                "problems": self.problems,
                "optimizers": self.optimizers,
                "dataset": self.dataset,
                "paths": self.paths,
                "learning_rates": self.learning_rates,
            },
            indent=None,
        )

    def summary(self) -> str:
        """A text table: final loss per optimizer and problem, the winners.

        The data set adds a column with each optimizer's learning rate from
        its range test; the last row gives the surfaces' learning rates.
        """
        columns = []  # (header, {optimizer: text}, winner, learning rate)
        for problem in self.problems:
            cells = {
                name: f"{self.final_loss(problem, name):.3g}"
                for name in self.optimizers
            }
            if problem == self.dataset:
                columns.append((problem, cells, self.winner(problem), "-"))
                rates = {
                    name: f"{rate:.3g}"
                    for name, rate in self.learning_rates[problem].items()
                }
                columns.append((f"{problem} lr", rates, "", "range test"))
            else:
                rate = self.learning_rates[problem][self.optimizers[0]]
                columns.append(
                    (problem, cells, self.winner(problem), f"{rate:g}")
                )
        labels = ["final loss", *self.optimizers, "winner", "learning rate"]
        table = [labels] + [
            [header, *(cells[name] for name in self.optimizers), win, rate]
            for header, cells, win, rate in columns
        ]
        widths = [max(len(text) for text in column) for column in table]
        lines = []
        for i in range(len(labels)):
            cells = [column[i] for column in table]
            line = cells[0].ljust(widths[0]) + "".join(
                f"  {text:>{width}}"
                for text, width in zip(cells[1:], widths[1:])
            )
            lines.append(line)
        return "\n".join(lines)

    def figure_data(self) -> dict:
        """The keyword arguments of `plotting.plot_optimizer_study`."""
        contours, titles = {}, {}
        for problem in self.problems:
            if problem == self.dataset:
                titles[problem] = f"{problem}: MLP, each at its range-test lr"
                continue
            surface = SURFACES[problem]
            xs, ys, values = surface.grid()
            contours[problem] = {
                "x": xs,
                "y": ys,
                "values": values,
                "minimum": surface.minimum,
            }
            titles[problem] = (
                f"{problem}: f = {surface.formula}, "
                f"lr {surface.learning_rate:g}"
            )
        rates = self.learning_rates.get(self.dataset, {})
        return {
            "losses": self.losses,
            "paths": self.paths,
            "contours": contours,
            "titles": titles,
            "learning_rates": {self.dataset: rates} if self.dataset else {},
        }


def _check_names(option, values, allowed):
    names = list(values) if not isinstance(values, str) else [values]
    unknown = [name for name in names if name not in allowed]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(
            f"`{option}` must be a non-empty list of distinct names from "
            f"{tuple(allowed)}. Received: {option}={values!r}"
        )
    return names


def run_optimizer_study(
    problems: list | None = None,
    optimizers: list | None = None,
    *,
    steps: int = 100,
    dataset=None,
    train_steps: int = 200,
    batch_size: int = 32,
    lr_test_steps: int = 100,
    hidden_units: tuple = (64,),
    seed: int = 0,
) -> OptimizerStudy:
    """Compares Keras optimizers on 2-D surfaces and on a data set.

    On each surface (`"ravine"`, `"saddle"`, `"local_minimum"`) every
    optimizer starts at the surface's fixed point with the surface's one
    learning rate and takes `steps` steps (see `descend`). On the data set
    (`"dataset"`) every optimizer trains the same MLP
    (`build_mlp(hidden_units)`, the same initial weights, seeded by
    `seed`): first its LR range test
    (`keras_training_kit.tuning.LRFinder`, `lr_test_steps` steps; the
    weights are restored afterwards) picks its learning rate, then it takes
    `train_steps` `train_on_batch` steps over the same batches in the same
    order.

    With the defaults CS231n's effects show on the surfaces: SGD
    zig-zags across the ravine (y changes sign every step) and is slow
    along it, momentum, Nesterov and Adam reach a far lower loss; at the
    saddle SGD stalls where momentum and the adaptive methods escape; on
    the local minimum momentum and Nesterov roll through to the global
    minimum and the others stop in the local one; AdaGrad's steps shrink.

    Args:
        problems: list of names from `PROBLEMS`, or `None` for the three
            surfaces, plus `"dataset"` when `dataset` is given. Defaults to
            `None`.
        optimizers: list of `build_optimizer` names, or `None` for
            `STUDY_OPTIMIZERS` (sgd, momentum, nesterov, adagrad, rmsprop,
            adam). Defaults to `None`.
        steps: int >= 1, the steps on each surface. Defaults to `100`.
        dataset: a `keras_training_kit.data.DatasetSplits` (from
            `load_dataset`) or `None`; required by `"dataset"`. Defaults to
            `None`.
        train_steps: int >= 1, the training steps on the data set. Defaults
            to `200`.
        batch_size: int >= 1, the data set's batch size. Defaults to `32`.
        lr_test_steps: int >= 2, the steps of each LR range test. Defaults
            to `100`.
        hidden_units: int or tuple of ints, the MLP's hidden widths.
            Defaults to `(64,)`.
        seed: int, seeds the MLP's weights and the batches' order. Defaults
            to `0`.

    Returns:
        An `OptimizerStudy`.

    Raises:
        ValueError: for an unknown problem or optimizer, a bad count, or
            `"dataset"` without a `dataset`.
        RuntimeError: when an LR range test finds no finite loss.

    Example:

    >>> study = run_optimizer_study(["ravine"], ["sgd", "adam"], steps=20)
    >>> study.rows()[0]
    ('ravine', 'sgd', 0, 5.8)
    >>> study.winner("ravine")
    'adam'
    """
    if problems is None:
        problems = list(SURFACES) + (["dataset"] if dataset else [])
    problems = _check_names("problems", problems, PROBLEMS)
    optimizers = _check_names(
        "optimizers",
        STUDY_OPTIMIZERS if optimizers is None else optimizers,
        OPTIMIZERS,
    )
    for option, value, minimum in (
        ("steps", steps, 1),
        ("train_steps", train_steps, 1),
        ("batch_size", batch_size, 1),
        ("lr_test_steps", lr_test_steps, 2),
    ):
        check_int(option, value, minimum=minimum)
    hidden_units = check_widths("hidden_units", hidden_units)
    if "dataset" in problems and dataset is None:
        raise ValueError(
            "`dataset` must be a loaded data set (`load_dataset`) when "
            f"`problems` holds 'dataset'. Received: dataset=None, "
            f"problems={problems!r}"
        )
    study = OptimizerStudy([], optimizers, {}, {}, {})
    for problem in problems:
        if problem == "dataset":
            study.dataset = dataset.name
            study.problems.append(dataset.name)
            study.losses[dataset.name], study.learning_rates[dataset.name] = (
                _train_on_dataset(
                    dataset,
                    optimizers,
                    train_steps=train_steps,
                    batch_size=batch_size,
                    lr_test_steps=lr_test_steps,
                    hidden_units=hidden_units,
                    seed=seed,
                )
            )
            continue
        surface = SURFACES[problem]
        study.problems.append(problem)
        study.losses[problem], study.paths[problem] = {}, {}
        study.learning_rates[problem] = {}
        for name in optimizers:
            path = descend(surface, name, steps)
            study.paths[problem][name] = path.tolist()
            study.losses[problem][name] = [
                float(v) for v in surface.value(path[:, 0], path[:, 1])
            ]
            study.learning_rates[problem][name] = surface.learning_rate
            logger.debug(
                "%s, %s: final loss %.3g",
                problem,
                name,
                study.losses[problem][name][-1],
            )
    return study


def _train_on_dataset(
    data,
    optimizers,
    *,
    train_steps,
    batch_size,
    lr_test_steps,
    hidden_units,
    seed,
):
    """Each optimizer's batch losses and range-test learning rate."""
    from keras_training_kit.data import batched_splits
    from keras_training_kit.models import build_mlp
    from keras_training_kit.models import compile_classifier
    from keras_training_kit.tuning import LRFinder

    def batches():  # a new pipeline with the same seed: the same order
        return batched_splits(data, batch_size, seed=seed)[0]

    # Materialized once: every optimizer trains on exactly these batches.
    train = list(itertools.islice(batches().repeat(), train_steps))
    keras.utils.set_random_seed(seed)
    initial = build_mlp(data.input_shape, data.num_classes, hidden_units)
    initial_weights = initial.get_weights()
    losses, rates = {}, {}
    for name in optimizers:
        model = build_mlp(data.input_shape, data.num_classes, hidden_units)
        model.set_weights(initial_weights)
        compile_classifier(model, optimizer=name)
        result = LRFinder(model, num_steps=lr_test_steps).find(batches())
        rate = result.suggested_learning_rate
        if rate is None:
            raise RuntimeError(
                f"The LR range test of {name!r} on {data.name!r} found no "
                "finite loss, so it suggests no learning rate."
            )
        model = compile_classifier(
            build_mlp(data.input_shape, data.num_classes, hidden_units),
            optimizer=name,
            learning_rate=rate,
        )
        model.set_weights(initial_weights)
        losses[name] = [
            float(model.train_on_batch(x, y, return_dict=True)["loss"])
            for x, y in train
        ]
        rates[name] = rate
        logger.debug(
            "%s, %s at lr %.3g: last loss %.3g",
            data.name,
            name,
            rate,
            losses[name][-1],
        )
    return losses, rates
