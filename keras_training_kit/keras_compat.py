"""The Keras behaviour the package relies on beyond its documented API.

The only module of the package that depends on how Keras works inside.
Written and tested against Keras 3.15 (`TESTED_VERSIONS`); on another
version it warns once and carries on. `tests/test_keras_compat.py` fails
when Keras changes one of these:

1. `keras.random` functions given a `keras.random.SeedGenerator` as `seed`
   call only its `next()` and use the returned `(2,)` tensor as a stateless
   seed; Keras' random image layers pass the `seed` of
   `get_random_transformation` through to them. `BatchSeed` is such a
   generator without the state variable (see its docstring for why).
2. `keras.layers.CutMix.get_random_transformation` returns a dict whose
   `"batch_masks"` are the pasted pixels and whose `"mix_weight"` is the
   weight `transform_labels` gives the original labels.
   `weight_cutmix_by_pixels` rewrites that weight.
3. Keras optimizers read their hyperparameters (`SGD.momentum`,
   `Adam.beta_1`) as attributes inside the compiled update, so a tracked
   `keras.Variable` put there is read at run time on every backend; SGD
   also asks `momentum != 0` in Python, which `HyperparameterVariable`
   answers without a tensor. `untrack_optimizer_variable` takes such a
   variable out of `optimizer.variables` again (private
   `_untrack_variable`), so a saved optimizer has its usual variables.
4. A learning-rate schedule is evaluated at the optimizer's batch count
   (private `_iterations`), which `optimizer.iterations` divides by
   `gradient_accumulation_steps`; `optimizer_steps` reads it, so a
   momentum cycle follows the learning rate.
"""

import keras
from keras import ops

from keras_training_kit.version_check import check_tested_version

TESTED_VERSIONS = ("3.15",)


def check_version(version: str | None = None) -> bool:
    """Whether Keras' version is one this module was tested on.

    Warns once per process when it is not.

    Args:
        version: str or `None`, the version to check. Defaults to `None`
            (`keras.__version__`).

    Returns:
        Whether the version was tested.

    Example:

    >>> check_version("3.15.0")
    True
    """
    return check_tested_version(
        "keras_training_kit's augmentation and momentum cycling",
        "Keras",
        version or keras.__version__,
        TESTED_VERSIONS,
        "It may fail or, for CutMix, mix labels by the box area rather than "
        "the pasted pixels, or OneCycleMomentum may not change the momentum.",
    )


class BatchSeed(keras.random.SeedGenerator):
    """Feeds Keras' random layers stateless seeds derived from one tensor.

    Keras' layers draw randomness from a `SeedGenerator`, whose state is a
    variable: updated from parallel `tf.data` map calls, it would make the
    batches depend on thread timing. Each mapped batch instead gets a seed
    tensor (from a seeded `tf.data.Dataset.random` stream), and the k-th
    draw in the traced graph gets `seed + [0, k]`.
    `SeedGenerator.__init__` is not called on purpose: it creates the state
    variable this class replaces; `keras.random` only calls `next()`.

    Args:
        seed: a `(2,)` integer tensor, list or array.

    Example:

    >>> seed = BatchSeed([3, 0])
    >>> keras.random.uniform((2,), seed=seed).shape
    TensorShape([2])
    """

    def __init__(self, seed):
        check_version()
        self._seed = ops.cast(seed, "int64")
        self._draws = 0

    def next(self, ordered=True):
        self._draws += 1
        return self._seed + ops.convert_to_tensor([0, self._draws], "int64")


def weight_cutmix_by_pixels(transformation: dict) -> dict:
    """Makes a `CutMix` transformation weight labels by the pasted pixels.

    Keras weights CutMix labels by the continuous box area, but the mask
    covers whole pixels (off by up to a row and a column): this sets the
    weight of the original labels to the fraction of pixels kept.

    Args:
        transformation: dict, returned by
            `keras.layers.CutMix.get_random_transformation`.

    Returns:
        The same dict, its `"mix_weight"` replaced.

    Example:

    >>> import numpy as np
    >>> cutmix = keras.layers.CutMix(seed=0)
    >>> t = cutmix.get_random_transformation(np.ones((4, 8, 8, 1)))
    >>> weight_cutmix_by_pixels(t)["mix_weight"].shape
    TensorShape([4])
    """
    check_version()
    pasted = ops.mean(
        ops.cast(transformation["batch_masks"][..., 0], "float32"),
        axis=(1, 2),
    )
    transformation["mix_weight"] = 1.0 - pasted
    return transformation


class HyperparameterVariable(keras.Variable):
    """A scalar variable that stands in for an optimizer's float option.

    `keras.optimizers.SGD` decides in Python whether it keeps momentum
    slots (`if self.momentum != 0`); a plain variable would answer with a
    tensor, which a compiled step cannot branch on. This one answers
    comparisons with Python numbers from its first value (a cycled momentum
    never crosses 0), and is otherwise a `keras.Variable`.

    Args:
        value: float, the first value.
        name: str, the variable's name.

    Example:

    >>> momentum = HyperparameterVariable(0.9, name="momentum")
    >>> momentum != 0
    True
    """

    def __init__(self, value: float, name: str):
        check_version()
        super().__init__(
            float(value), dtype="float32", trainable=False, name=name
        )
        self._first_value = float(value)

    def __ne__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return self._first_value != other
        return super().__ne__(other)

    def __eq__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return self._first_value == other
        return super().__eq__(other)


def optimizer_steps(optimizer) -> int:
    """The batches `optimizer` has seen: the step its schedule is given.

    Args:
        optimizer: a `keras.optimizers.Optimizer`.

    Returns:
        An int; `optimizer.iterations` times the gradient accumulation
        steps, plus the batches of an unfinished accumulation.

    Example:

    >>> optimizer_steps(keras.optimizers.SGD(gradient_accumulation_steps=2))
    0
    """
    check_version()
    return int(keras.ops.convert_to_numpy(optimizer._iterations))


def untrack_optimizer_variable(optimizer, variable) -> None:
    """Removes `variable` from `optimizer.variables`.

    Args:
        optimizer: a `keras.optimizers.Optimizer` that tracks `variable`.
        variable: a `keras.Variable` assigned to one of its attributes.

    Example:

    >>> optimizer = keras.optimizers.Adam()
    >>> optimizer.beta_1 = HyperparameterVariable(0.9, name="beta_1")
    >>> untrack_optimizer_variable(optimizer, optimizer.beta_1)
    >>> len(optimizer.variables)
    2
    """
    check_version()
    optimizer._untrack_variable(variable)
