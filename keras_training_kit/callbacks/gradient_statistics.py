"""`GradientStatistics`: per-layer gradient statistics in `model.fit`.

The backward half of `ActivationStatistics`: at the same scheduled steps
(`SampledStatistics`, `sampling_schedule`) the compiled loss is
differentiated on a fixed probe batch with targets (`GradientProbe`: the
backend's autodiff, training mode, no variable written), in micro-batches
so that the gradient noise scale can be estimated; the figures go to the
same writers (CSV, TensorBoard) and figures, and the diagnostics' one
rule set (`diagnostics.rules`, as in `diagnose`) turns them into
findings, once per kind and layer.
"""

import functools
import logging
import math
import time

import keras

from keras_training_kit.callbacks import activation_writers
from keras_training_kit.callbacks.sampled_statistics import SampledStatistics
from keras_training_kit.diagnostics import probe_data as probe_data_lib
from keras_training_kit.diagnostics import rules
from keras_training_kit.diagnostics import taps as taps_lib
from keras_training_kit.diagnostics.gradient_probe import shared_probe
from keras_training_kit.diagnostics.kernel_updates import KernelUpdates
from keras_training_kit.diagnostics.noise_scale import noise_scale
from keras_training_kit.diagnostics.noise_scale import two_batch_estimates
from keras_training_kit.diagnostics.training_state import current_learning_rate
from keras_training_kit.plotting.activation_curves import plot_activation_curves
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

logger = logging.getLogger(__name__)

MODEL = "model"
_PANELS = ("gradient_norm", "backprop_std", "update_ratio", "noise_scale")


class GradientStatistics(SampledStatistics):
    """Records per-layer gradient statistics on a fixed probe batch.

    At step 0, every `every_n_steps` training steps (or on an automatic
    interval costing about `max_overhead` of the training time), at epoch
    ends (as `ActivationStatistics` samples them) and at the end of `fit`,
    the model's compiled loss (`model.compute_loss`,
    regularization included) is differentiated on a fixed probe batch
    with targets, in training mode as `fit` runs it, by the backend's
    own autodiff (TensorFlow, JAX or PyTorch); every variable is read
    through a `keras.StatelessScope`, so BatchNormalization statistics and
    seed generators are untouched and watching never changes training.
    The probe's traced step is shared (`gradient_probe.shared_probe`): a
    new instance on the same model, or after `diagnose`, or on a fresh
    model of the same architecture, traces nothing again.
    The probe is cut into micro-batches of `micro_batch_size`. Per
    monitored layer (layer `"model"` for the model-level figures):

    - `gradient_norm`, `gradient_std` (layers with a kernel): the norm and
      the std of the kernel's gradient of the mean loss over the probe;
    - `backprop_std`: the std of the gradient of the per-example loss with
      respect to the layer's output (the backpropagated signal; it does
      not shrink with the number of examples), averaged over the
      micro-batches;
    - `update_ratio` (layers with a kernel): `||W_s - W_{s-1}|| /
      ||W_{s-1}||`, the last optimizer update (with gradient accumulation
      too), as in `ActivationStatistics` (NaN without a copy of the kernel
      one update before);
    - `model`: `loss` (the probe's compiled loss), `global_gradient_norm`
      and `noise_scale`, McCandlish et al. (2018)'s `B_simple = tr(Sigma)
      / |G|^2` in examples: each sample gives their unbiased two-batch
      estimates of `|G|^2` and `tr(Sigma)` from the micro-batches and the
      whole probe, and the ratio of their sums over the last
      `noise_scale_window` samples is recorded (a ratio of one small
      sample's estimates is mostly noise). NaN while the summed `|G|^2`
      is not positive.

    Each sample is judged by the diagnostics' one rule set
    (`keras_training_kit.diagnostics.rules`, the bands of `BANDS`, which
    `bands` overrides), as `diagnose` judges its figures: vanishing or
    exploding backpropagated gradients (first to last hidden monitored
    layer), an update ratio outside the band, and, with `batch_size`, a
    training batch far below the noise scale (only when the noise scale
    is below the probe's examples, the most it can tell). Each kind and
    layer is reported once, kept in `findings` and logged (its advice in
    `warnings`).

    Args:
        probe_data: the probe examples with targets: a tuple `(x, y[,
            sample_weight])` of arrays, a `tf.data.Dataset` of such
            elements (batched or not, e.g. the validation split) or any
            other iterable of such batches; the first `probe_size`
            examples are used.
        layers: `None` (every layer with a kernel or an activation), a
            regex matched in full against layer names, or a list of layer
            names. Defaults to `None`.
        every_n_steps: int >= 1 or `None` (an automatic interval, as in
            `ActivationStatistics`). Defaults to `None`.
        log_dir: str or `None`, TensorBoard log folder (needs the
            `tensorboard` package; tags `gradients/<layer>/<metric>`).
            Defaults to `None`.
        csv_path: str or `None`, the long-format CSV file (`step, layer,
            metric, value`). Defaults to `None`.
        probe_size: int >= 2, examples in the probe batch. Defaults to
            `256`.
        micro_batch_size: int >= 1, the examples of each micro-batch (the
            small batch of the noise-scale estimate); `probe_size` must
            hold at least two. Defaults to `32`.
        batch_size: int or `None`, the training batch per step (the
            model's optimizer gives any gradient accumulation), compared
            with the noise scale; `None` skips that finding. Defaults to
            `None`.
        training_examples: int or `None`, the training set's size: the
            batch-size advice never exceeds it. Defaults to `None`.
        noise_scale_window: int >= 1, the samples whose estimates are
            summed for `noise_scale`. Defaults to `10`.
        max_overhead: float in (0, 1), the target cost of sampling with
            `every_n_steps=None`. Defaults to `0.02`.
        bands: dict overriding entries of
            `keras_training_kit.diagnostics.BANDS`. Defaults to `None`.
        append: bool, append to an existing `csv_path` (a resumed run).
            Defaults to `False`.
        jit_compile: bool, compile the probe with XLA under TensorFlow.
            Defaults to `False`.

    Attributes:
        steps: list of int, the sampled training steps.
        history: dict `{layer: {metric: [value per sample]}}`.
        findings: list of `keras_training_kit.diagnostics.Finding`.
        warnings: list of str, the messages logged for them.
        sample_interval: int or `None`, the interval in use.

    Raises:
        ValueError: for an invalid argument; at the start of `fit`, for
            probe data without targets, a model without a compiled loss,
            or a `layers` selection that matches no layer.

    Example:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8,)),
    ...     keras.layers.Dense(16, activation="relu", name="hidden"),
    ...     keras.layers.Dense(3, name="out")])
    >>> model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(
    ...     from_logits=True))
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 8)).astype("float32")
    >>> y = rng.integers(0, 3, 64)
    >>> stats = GradientStatistics((x, y), every_n_steps=4, probe_size=64,
    ...                            micro_batch_size=16)
    >>> _ = model.fit(x, y, batch_size=8, epochs=1, verbose=0,
    ...               callbacks=[stats])
    >>> stats.steps, sorted(stats.history["hidden"])
    ([0, 4, 8], ['backprop_std', 'gradient_norm', 'gradient_std', \
'update_ratio'])
    >>> sorted(stats.history["model"])
    ['global_gradient_norm', 'loss', 'noise_scale']
    """

    def __init__(
        self,
        probe_data,
        layers: str | list | None = None,
        every_n_steps: int | None = None,
        log_dir: str | None = None,
        csv_path: str | None = None,
        *,
        probe_size: int = 256,
        micro_batch_size: int = 32,
        batch_size: int | None = None,
        training_examples: int | None = None,
        noise_scale_window: int = 10,
        max_overhead: float = 0.02,
        bands: dict | None = None,
        append: bool = False,
        jit_compile: bool = False,
    ):
        if probe_data is None:
            raise ValueError(
                "`probe_data` must hold examples with targets, `(x, y)` or "
                "a dataset of `(x, y)` (e.g. validation data). Received: "
                "probe_data=None"
            )
        taps_lib.check_layer_selection(layers)
        check_int("every_n_steps", every_n_steps, allow_none=True)
        check_int("probe_size", probe_size, minimum=2)
        check_int("micro_batch_size", micro_batch_size)
        check_int("batch_size", batch_size, allow_none=True)
        check_int("training_examples", training_examples, allow_none=True)
        check_int("noise_scale_window", noise_scale_window)
        check_float(
            "max_overhead",
            max_overhead,
            0,
            1,
            include_low=False,
            include_high=False,
        )
        if probe_size < 2 * micro_batch_size:
            raise ValueError(
                "`probe_size` must hold at least two micro-batches (the "
                "noise scale compares them with the whole probe). Received: "
                f"probe_size={probe_size}, micro_batch_size={micro_batch_size}"
            )
        super().__init__(every_n_steps, max_overhead)
        self.probe_data = probe_data
        self.layers = (
            list(layers) if isinstance(layers, (list, tuple)) else layers
        )
        self.log_dir = log_dir
        self.csv_path = csv_path
        self.probe_size = probe_size
        self.micro_batch_size = micro_batch_size
        self.batch_size = batch_size
        self.training_examples = training_examples
        self.noise_scale_window = noise_scale_window
        self.bands = None if bands is None else dict(bands)
        self._bands = rules.check_bands(bands)
        self.append = append
        self.jit_compile = jit_compile

    # ------------------------------------------------------------------
    # The sampled probe (`SampledStatistics` runs the hooks)
    # ------------------------------------------------------------------

    def _begin(self):
        model = self.model
        x, y, sample_weight = probe_data_lib.probe_examples(
            model, self.probe_data, self.probe_size
        )
        # The probe traced for this model before (`diagnose`, an earlier
        # callback) is re-used.
        self._probe = shared_probe(
            model, self.layers, jit_compile=self.jit_compile
        )
        count = len(keras.tree.flatten(x)[0])
        micro = self.micro_batch_size
        if count < 2 * micro:
            raise ValueError(
                "`probe_data` must hold at least two micro-batches of "
                f"`micro_batch_size={micro}` examples. Received: {count} "
                "examples"
            )
        self._batches = [
            tuple(
                (
                    None
                    if part is None
                    else keras.tree.map_structure(
                        lambda a: keras.ops.convert_to_tensor(a[s : s + micro]),
                        part,
                    )
                )
                for part in (x, y, sample_weight)
            )
            for s in range(0, count - micro + 1, micro)
        ]
        trainable = self._probe.model.trainable_variables
        indices = [i for i in self._probe.kernel_index if i is not None]
        self._kernel_names = [
            name
            for name, i in zip(self._probe.names, self._probe.kernel_index)
            if i is not None
        ]
        self._updates = KernelUpdates([trainable[i] for i in indices])
        self._summarize = _summarizer(tuple(indices))
        self._estimates = []
        self._warm_cost = None
        self._output_layer = taps_lib.output_layer_name(model)
        return activation_writers.open_writers(
            self.csv_path,
            self.log_dir,
            self.append,
            self._iterations(),
            owner="GradientStatistics",
            prefix="gradients",
        )

    def _warm_probe_cost(self):
        # Measured in the first sample (its calls after the traced one):
        # no extra probe run.
        return self._warm_cost

    def _snapshot(self):
        self._updates.snapshot()

    def _measure(self):
        """The figures of the probe's micro-batches, as NumPy values.

        Returns:
            `(losses, backprop, kernels, big, small)`: per micro-batch its
            loss and its layers' backprop stds, the mean gradient's kernel
            rows, its squared norm, and the micro-batches' mean squared
            norm.
        """
        runs = [self._probe.backward(*self._batches[0])]
        if self._warm_cost is None:
            # The first call traced the step; the others are warm.
            keras.ops.convert_to_numpy(runs[0][0])
            start = time.perf_counter()
        runs += [self._probe.backward(*batch) for batch in self._batches[1:]]
        kernels, big = self._summarize([grads for _, grads, _, _ in runs])
        kernels = keras.ops.convert_to_numpy(kernels).astype("float64")
        if self._warm_cost is None:
            warm = len(runs) - 1
            seconds = time.perf_counter() - start
            self._warm_cost = seconds * len(runs) / warm
        losses = [float(keras.ops.convert_to_numpy(r[0])) for r in runs]
        backprop = [
            keras.ops.convert_to_numpy(r[2]).astype("float64") for r in runs
        ]
        small = sum(
            float(keras.ops.convert_to_numpy(r[3]).astype("float64").sum())
            for r in runs
        )
        return losses, backprop, kernels, float(big), small / len(runs)

    def _record(self, step):
        losses, backprop, kernels, big, small = self._measure()
        ratios = self._updates.ratios()
        if not self._update_ratios_valid(step):
            ratios = ratios * float("nan")
        estimate = two_batch_estimates(
            small,
            big,
            self.micro_batch_size,
            self.micro_batch_size * len(losses),
        )
        self._estimates = (self._estimates + [estimate])[
            -self.noise_scale_window :
        ]
        noise = noise_scale(self._estimates)
        sample = {}
        kernel_rows = dict(zip(self._kernel_names, range(len(kernels))))
        for k, name in enumerate(self._probe.names):
            signals = [float(b[k]) for b in backprop]
            record = {}
            if name in kernel_rows:
                row = kernel_rows[name]
                record["gradient_norm"] = float(kernels[row, 0])
                record["gradient_std"] = float(kernels[row, 1])
            record["backprop_std"] = (
                float("nan")
                if not self._probe.has_signal[k]
                else sum(signals) / len(signals)
            )
            if name in kernel_rows:
                record["update_ratio"] = float(ratios[kernel_rows[name]])
            sample[name] = record
        sample[MODEL] = {
            "loss": sum(losses) / len(losses),
            "global_gradient_norm": math.sqrt(max(big, 0.0)),
            "noise_scale": noise,
        }
        self._report(rules.find(self._figures(step, sample), self._bands))
        self._store(step, sample)

    def _figures(self, step, sample):
        """The rules' view of one sample."""

        def value(record, key):
            v = record.get(key)
            return v if v is not None and math.isfinite(v) else None

        rows = [
            {
                "layer": name,
                "backprop_std": value(record, "backprop_std"),
                "update_ratio": value(record, "update_ratio"),
            }
            for name, record in sample.items()
            if name != MODEL
        ]
        count = self.micro_batch_size * len(self._batches)
        return rules.Figures(
            layers=rows,
            examples=count,
            step=step or None,
            trained=step > 0,
            noise_scale=value(sample[MODEL], "noise_scale"),
            noise_examples=count,
            batch_size=self.batch_size,
            gradient_accumulation_steps=self._lead,
            training_examples=self.training_examples,
            learning_rate=current_learning_rate(
                getattr(self.model, "optimizer", None)
            ),
            peak_learning_rate=getattr(self, "_peak_learning_rate", None),
            activation=taps_lib.first_activation(self._probe.layers),
            output_layer=self._output_layer,
        )

    # ------------------------------------------------------------------
    # Outputs
    # ------------------------------------------------------------------

    @staticmethod
    def read_csv(path: str) -> tuple:
        """Loads a CSV written with `csv_path` back into `(steps, history)`."""
        return activation_writers.read_csv(path)

    def save_figures(self, directory: str) -> list:
        """Draws `gradient_curves.png` into `directory`.

        One panel per figure over training (log scales): the kernels'
        gradient norms, the backpropagated std, the update ratio, one line
        per layer, and the model's noise scale.

        Args:
            directory: str, the output folder.

        Returns:
            The list of paths written.
        """
        import os

        path = os.path.join(directory, "gradient_curves.png")
        return [
            plot_activation_curves(
                self.steps,
                self.history,
                path,
                metrics=_PANELS,
                title="Gradients over training (probe batch, training mode)",
                log_scale=_PANELS,
            )
        ]

    def get_config(self):
        """The settings, without `probe_data`.

        Callbacks are not saved with models, and this one is not
        registered for saving: its probe data (arrays, a dataset, a
        generator) does not serialize. A copy takes the probe data again:
        `GradientStatistics(probe_data, **stats.get_config())`.
        """
        return {
            "layers": self.layers,
            "every_n_steps": self.every_n_steps,
            "log_dir": self.log_dir,
            "csv_path": self.csv_path,
            "probe_size": self.probe_size,
            "micro_batch_size": self.micro_batch_size,
            "batch_size": self.batch_size,
            "training_examples": self.training_examples,
            "noise_scale_window": self.noise_scale_window,
            "max_overhead": self.max_overhead,
            "bands": self.bands,
            "append": self.append,
            "jit_compile": self.jit_compile,
        }


@functools.lru_cache(maxsize=64)
def _summarizer(indices):
    """The mean gradient's kernel norms and stds, and its squared norm.

    Eager: a few hundred ops per sample, against a trace of ~0.25 s on 2
    CPU cores that the first fit of a process would pay.
    """
    ops = keras.ops

    def summarize(micro_gradients):
        count = len(micro_gradients)
        mean = [
            ops.cast(sum(grads), "float32") / count
            for grads in zip(*micro_gradients)
        ]
        rows = [
            ops.stack(
                [ops.sqrt(ops.sum(ops.square(mean[i]))), ops.std(mean[i])]
            )
            for i in indices
        ]
        rows = ops.stack(rows) if rows else ops.zeros((0, 2))
        return rows, sum(ops.sum(ops.square(g)) for g in mean)

    return summarize
