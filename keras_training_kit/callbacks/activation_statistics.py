"""`ActivationStatistics`: per-layer activation statistics in `model.fit`.

The callback's hooks, its sampling steps and its warnings. The jobs it
composes live in their own modules: the tap model and the probe batch
(`activation_taps`), the on-device statistics (`activation_reductions`),
when to sample (`sampling_schedule`), the CSV and TensorBoard writers
(`activation_writers`) and the figures (`plotting.activation_figures`).
"""

import logging

import keras

from keras_training_kit.callbacks import activation_writers
from keras_training_kit.callbacks.sampled_statistics import SampledStatistics
from keras_training_kit.diagnostics import rules
from keras_training_kit.diagnostics import taps as taps_lib
from keras_training_kit.diagnostics.activation_probe import ActivationProbe
from keras_training_kit.diagnostics.training_state import current_learning_rate
from keras_training_kit.plotting.activation_figures import (
    activation_histogram_rows,
)
from keras_training_kit.plotting.activation_figures import (
    save_activation_figures,
)
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

logger = logging.getLogger(__name__)


def _check_update_ratio_range(value):
    if value is None:
        return
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not 0 <= value[0] < value[1]
    ):
        raise ValueError(
            "`update_ratio_range` must be None or a pair (low, high) with "
            f"0 <= low < high. Received: update_ratio_range={value!r}"
        )


class ActivationStatistics(SampledStatistics):
    """Records per-layer activation statistics on a fixed probe batch.

    At step 0, every `every_n_steps` training steps (or on an automatic
    interval), at epoch ends (all of them with a fixed interval; with an
    automatic one, those at most half an interval before its next sample)
    and at the end of `fit`, one compiled forward pass (the backend's
    compiler: `tf.function`, optionally XLA, `jax.jit`, or eager PyTorch)
    runs the model in inference mode on a fixed probe batch and returns
    the outputs of all the monitored layers at once; they are reduced on
    the device and only the small statistics tensor comes back to the
    host. Per layer:

    - `mean`, `std`: of all the layer's output values;
    - `zero_fraction`: the fraction of exact zeros;
    - `dead_fraction`: the fraction of units (last axis: features or
      channels) that are zero for every example of the probe batch;
    - `saturated_fraction` (tanh/sigmoid layers only): `|a| > 0.99` for
      tanh, `a < 0.01 or a > 0.99` for sigmoid;
    - `update_ratio` (layers with a kernel): `||W_s - W_{s-1}|| /
      ||W_{s-1}||`, the relative change of the kernel in the last optimizer
      update before the sample (CS231n's rule of thumb: about 1e-3).
      The kernel is copied on the device one update before each scheduled
      sample (one step, or the optimizer's `gradient_accumulation_steps`);
      samples without that copy (the first one, or an epoch end when the
      number of steps per epoch is unknown) record NaN;
    - a histogram of `bins` equal bins between the output's min and max
      (`histogram`, `histogram_min`, `histogram_max`; a constant output
      gets the range `value +- 0.5`, as in `np.histogram`).

    Results go to `history`, to TensorBoard (`log_dir`: scalars
    `activations/<layer>/<metric>` and histograms
    `activations/<layer>/histogram`), and to a long-format CSV
    (`csv_path`: `step, layer, metric, value`; histogram bins as metrics
    `histogram_0`, `histogram_1`, ...), which `read_csv` loads back. Each
    sample is judged by the diagnostics' one rule set
    (`keras_training_kit.diagnostics.rules`, as `diagnose` and
    `GradientStatistics` judge theirs): dead units, saturated units, a
    collapsed std and an update ratio outside the band, in the hidden
    layers (the update ratio in every kernel layer). Each kind and layer
    is reported once: kept in `findings` (with its fix as Python
    arguments) and logged (its advice in `warnings`).

    It runs under the TensorFlow, JAX and PyTorch backends. TensorBoard
    (`log_dir`) needs the `tensorboard` package (without it a warning is
    logged once and the rest is still written), a `tf.data.Dataset` as
    `probe_data` TensorFlow. The probe is traced once per architecture: a
    new instance on a model probed just before (the next `fit` in a
    notebook), or on a fresh model of the same architecture (a fresh model
    per fit, a search's trials), re-uses its traced function
    (`diagnostics.probe_cache`).

    Sequential, functional, nested (sub-models are flattened as
    `"submodel/layer"`) and multi-input models work, as do mixed precision
    and `tf.distribute` strategies (the probe reads the model's variables
    outside the replica context). For a subclassed model pass `probe_model`.

    Args:
        layers: `None` (every layer with a kernel or an activation), a regex
            matched in full against layer names, or a list of layer names.
            Defaults to `None`.
        every_n_steps: int >= 1 or `None`. A fixed interval samples at the
            multiples of `n`. With `None` the interval is chosen after the
            first steps, and re-tuned with the measured cost of each sample,
            so that sampling costs about `max_overhead` of the training time
            (step time measured between two device syncs; a sample counted
            twice for its after-effect on the next steps); it counts from
            the last sample of any kind, and an epoch end is sampled only
            when the next sample is at most half an interval away (it moves
            there), so short epochs add no samples beyond the budget. The
            end of `fit` is always sampled. Defaults to `None`.
        probe_data: the probe inputs: an array, a list/dict of arrays for
            several inputs, a tuple `(x, y[, sample_weight])` or a
            `tf.data.Dataset` (batched or not, e.g. the validation split) or
            any other iterable of batches (a generator, a PyTorch
            `DataLoader`), of which the first `probe_size` examples are
            used. With `None`, a seeded standard normal batch of
            `probe_size` examples (CS231n's `randn` probe). Defaults
            to `None`.
        log_dir: str or `None`, TensorBoard log folder (needs the
            `tensorboard` package). Defaults to `None`.
        csv_path: str or `None`, the long-format CSV file. Defaults to
            `None`.
        probe_size: int >= 1, examples in the probe batch. Defaults to `256`.
        bins: int >= 1, histogram bins. Defaults to `30`.
        max_overhead: float in (0, 1), the target cost of the probe relative
            to training when `every_n_steps=None`. Defaults to `0.02`.
        dead_threshold: float or `None`, this instance's band for dead
            units (a fraction of a layer's units); `None` keeps
            `BANDS["dead"]` (0.5). Defaults to `None`.
        saturation_threshold: float or `None`, this instance's band for
            saturated tanh/sigmoid outputs; `None` keeps
            `BANDS["saturated"]` (0.5). Defaults to `None`.
        std_threshold: float or `None`, this instance's band for a
            collapsed activation std; `None` keeps `BANDS["collapsed"]`
            (1e-3). Defaults to `None`.
        update_ratio_range: `(low, high)` or `None`, this instance's band
            for the update ratio; `None` keeps `BANDS["update_ratio"]`
            ((1e-6, 0.3): CS231n's ~1e-3 is SGD's, Adam's step is
            about `lr * sqrt((fan_in + fan_out) / 2)` of the weights).
            Defaults to `None`.
        append: bool, append to an existing `csv_path` instead of
            overwriting it. Defaults to `False`.
        jit_compile: bool, compile the probe with XLA (under TensorFlow;
            JAX always does, PyTorch runs it eagerly). Defaults to `False`.
        probe_model: `None` or a functional `keras.Model` sharing the
            trained model's layers, probed instead of the trained model (for
            subclassed models). Not serialized. Defaults to `None`.
        seed: int, seed of the normal probe batch. Defaults to `0`.

    Attributes:
        steps: list of int, the training steps at which samples were taken
            (0 is before training).
        history: dict `{layer: {metric: [value per sample]}}`; `histogram`
            holds count arrays.
        findings: list of `keras_training_kit.diagnostics.Finding`.
        warnings: list of str, the messages logged for them.
        sample_interval: int or `None`, the interval in use.

    Raises:
        ValueError: for an invalid argument, a `layers` selection that
            matches no layer, or a model whose intermediate outputs cannot be
            reached (at the start of `fit`).

    Example:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((8,)),
    ...     keras.layers.Dense(16, activation="tanh", name="hidden"),
    ...     keras.layers.Dense(2, name="out")])
    >>> model.compile("sgd", "mse")
    >>> x = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
    >>> stats = ActivationStatistics(every_n_steps=4, probe_data=x[:32])
    >>> _ = model.fit(x, x[:, :2], batch_size=8, epochs=1, verbose=0,
    ...               callbacks=[stats])
    >>> stats.steps
    [0, 4, 8]
    >>> sorted(stats.history["hidden"])[:3]
    ['dead_fraction', 'histogram', 'histogram_max']
    """

    def __init__(
        self,
        layers: str | list | None = None,
        every_n_steps: int | None = None,
        probe_data=None,
        log_dir: str | None = None,
        csv_path: str | None = None,
        *,
        probe_size: int = 256,
        bins: int = 30,
        max_overhead: float = 0.02,
        dead_threshold: float | None = None,
        saturation_threshold: float | None = None,
        std_threshold: float | None = None,
        update_ratio_range: tuple | None = None,
        append: bool = False,
        jit_compile: bool = False,
        probe_model=None,
        seed: int = 0,
    ):
        taps_lib.check_layer_selection(layers)
        check_int("every_n_steps", every_n_steps, allow_none=True)
        check_int("probe_size", probe_size)
        check_int("bins", bins)
        for name, value in (
            ("max_overhead", max_overhead),
            ("dead_threshold", dead_threshold),
            ("saturation_threshold", saturation_threshold),
        ):
            if value is not None:
                check_float(
                    name, value, 0, 1, include_low=False, include_high=False
                )
        if std_threshold is not None:
            check_float("std_threshold", std_threshold, 0)
        _check_update_ratio_range(update_ratio_range)
        if probe_model is not None and not isinstance(probe_model, keras.Model):
            raise TypeError(
                "`probe_model` must be None or a functional keras.Model. "
                f"Received: probe_model={probe_model!r}"
            )
        super().__init__(every_n_steps, max_overhead)
        self.layers = (
            list(layers) if isinstance(layers, (list, tuple)) else layers
        )
        self.probe_data = probe_data
        self.log_dir = log_dir
        self.csv_path = csv_path
        self.probe_size = probe_size
        self.bins = bins
        self.dead_threshold = dead_threshold
        self.saturation_threshold = saturation_threshold
        self.std_threshold = std_threshold
        self.update_ratio_range = (
            None if update_ratio_range is None else tuple(update_ratio_range)
        )
        overrides = {
            "dead": dead_threshold,
            "saturated": saturation_threshold,
            "collapsed": std_threshold,
            "update_ratio": self.update_ratio_range,
        }
        self._bands = rules.check_bands(
            {k: v for k, v in overrides.items() if v is not None}
        )
        self.append = append
        self.jit_compile = jit_compile
        self.probe_model = probe_model
        self.seed = seed
        self._probe = None

    # ------------------------------------------------------------------
    # The sampled probe (`SampledStatistics` runs the hooks)
    # ------------------------------------------------------------------

    def _begin(self):
        self._probe = ActivationProbe(
            self.probe_model or self.model,
            self.layers,
            self.probe_data,
            self.probe_size,
            self.seed,
            self.bins,
            self.jit_compile,
        )
        self._activation = taps_lib.first_activation(self._probe.layers)
        self._output_layer = taps_lib.output_layer_name(
            self.probe_model or self.model
        )
        return activation_writers.open_writers(
            self.csv_path,
            self.log_dir,
            self.append,
            self._iterations(),
            owner="ActivationStatistics",
            prefix="activations",
        )

    def _probe_once(self):
        self._probe()

    def _snapshot(self):
        self._probe.snapshot()

    def _record(self, step):
        records, ratios = self._probe()
        if not self._update_ratios_valid(step):
            # The kernels were not copied right before this step.
            ratios = dict.fromkeys(ratios, float("nan"))
        sample = {}
        for name, record in zip(self._probe.names, records):
            counts = record.pop("histogram")
            low = record.pop("histogram_min")
            high = record.pop("histogram_max")
            if name in ratios:
                record["update_ratio"] = ratios[name]
            record.update(histogram_min=low, histogram_max=high)
            sample[name] = {**record, "histogram": counts}
        self._report(rules.find(self._figures(step, sample), self._bands))
        self._store(step, sample)

    def _figures(self, step, sample):
        """The rules' view of one sample."""
        rows = [
            {
                "layer": name,
                "activation_std": record["std"],
                "dead_fraction": record["dead_fraction"],
                "saturated_fraction": record.get("saturated_fraction"),
                "update_ratio": record.get("update_ratio"),
            }
            for name, record in sample.items()
        ]
        return rules.Figures(
            layers=rows,
            examples=self._probe.examples,
            step=step or None,
            trained=step > 0,
            learning_rate=current_learning_rate(
                getattr(self.model, "optimizer", None)
            ),
            peak_learning_rate=getattr(self, "_peak_learning_rate", None),
            activation=self._activation,
            output_layer=self._output_layer,
        )

    # ------------------------------------------------------------------
    # Outputs
    # ------------------------------------------------------------------

    @staticmethod
    def read_csv(path: str) -> tuple:
        """Loads a CSV written with `csv_path` back into `(steps, history)`.

        Args:
            path: str, the CSV file.

        Returns:
            `(steps, history)` in the form of the callback's `steps` and
            `history` attributes.
        """
        return activation_writers.read_csv(path)

    def histogram_rows(self, steps: list | None = None) -> dict:
        """Returns the rows `plotting.plot_activation_histograms` draws.

        Args:
            steps: list of sampled steps, or `None` for the first, a middle
                and the last sample. Defaults to `None`.

        Returns:
            `{"step s": [{"counts", "edges"} per layer]}`.
        """
        return activation_histogram_rows(self.steps, self.history, steps)

    def save_figures(self, directory: str) -> list:
        """Draws the per-layer histogram grid and the curves to PNGs.

        Writes `activation_histograms.png` (one row per sampled step, one
        panel per layer) and `activation_curves.png` (mean, std and dead
        fraction per layer over training) into `directory`.

        Args:
            directory: str, the output folder.

        Returns:
            The list of paths written.
        """
        return save_activation_figures(self.steps, self.history, directory)

    def get_config(self):
        """The settings, without `probe_data` and `probe_model`.

        Callbacks are not saved with models, and this one is not
        registered for saving: its probe data (arrays, a dataset, a
        generator) does not serialize. A copy takes the probe data again:
        `ActivationStatistics(probe_data=x, **stats.get_config())`.
        """
        return {
            "layers": self.layers,
            "every_n_steps": self.every_n_steps,
            "log_dir": self.log_dir,
            "csv_path": self.csv_path,
            "probe_size": self.probe_size,
            "bins": self.bins,
            "max_overhead": self.max_overhead,
            "dead_threshold": self.dead_threshold,
            "saturation_threshold": self.saturation_threshold,
            "std_threshold": self.std_threshold,
            "update_ratio_range": (
                None
                if self.update_ratio_range is None
                else list(self.update_ratio_range)
            ),
            "append": self.append,
            "jit_compile": self.jit_compile,
            "seed": self.seed,
        }
