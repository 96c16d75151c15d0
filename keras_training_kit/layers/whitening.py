"""`Whitening`: center, standardize, PCA, PCA-whitening and ZCA as a layer."""

import itertools
import logging
import math

import keras
import numpy as np

from keras_training_kit.layers.streaming_covariance import StreamingCovariance
from keras_training_kit.layers.streaming_covariance import feature_batches
from keras_training_kit.layers.whitening_statistics import join_float64
from keras_training_kit.layers.whitening_statistics import split_float64
from keras_training_kit.layers.whitening_statistics import whitening_transform
from keras_training_kit.saving import register
from keras_training_kit.validation import check_bool
from keras_training_kit.validation import check_choice
from keras_training_kit.validation import check_float
from keras_training_kit.validation import check_int

logger = logging.getLogger(__name__)

MODES = ("center", "standardize", "pca", "pca_whiten", "zca")


@register
class Whitening(keras.layers.Layer):
    """A preprocessing layer that centers, standardizes or whitens features.

    The layer learns the mean and the covariance (ddof=1) of its inputs with
    `adapt()`, which streams the data batch by batch and never holds the data
    set in memory, then transforms each example by one of:

    - `"center"`: `x - mean`;
    - `"standardize"`: `(x - mean) / sqrt(variance + epsilon)`;
    - `"pca"`: the coordinates of `x - mean` on the top `n_components`
      principal axes (decorrelated, variance = eigenvalue);
    - `"pca_whiten"`: the same coordinates divided by
      `sqrt(eigenvalue + epsilon)` (unit variance, like scikit-learn's
      `PCA(whiten=True)`);
    - `"zca"`: the whitened coordinates rotated back to the input space
      (`U diag(1 / sqrt(eigenvalue + epsilon)) U^T (x - mean)`), the output
      keeping the input's shape.

    Features are all non-batch axes flattened (`H * W * C` values for an
    image), or with `per_channel=True` the last axis only, the statistics
    then being pooled over every other axis (what Keras 2's
    `ImageDataGenerator(featurewise_center=True,
    featurewise_std_normalization=True)` computed for images; with `"zca"`
    it decorrelates the color channels).

    Statistics are float64-accurate on every backend (TensorFlow, JAX,
    PyTorch) and at any batch size: each batch is copied to the host and
    its co-moment accumulated in float64 NumPy, one BLAS SYRK per chunk of
    rows (`StreamingCovariance`).
    `finalize_state()` does one float64 symmetric eigendecomposition on the
    host. `count`, `mean` and `covariance` are non-trainable float32
    weights holding the rounded statistics, and `count_residual`,
    `mean_residual` and `covariance_residual` their rounding residuals
    (together about 48 bits, also under JAX, where float64 weights would
    be float32), so an adapted layer saves and reloads with its model. The
    layer computes in float32 (also under a `mixed_float16` policy).

    Args:
        mode: str, one of `"center"`, `"standardize"`, `"pca"`,
            `"pca_whiten"`, `"zca"`. Defaults to `"zca"`.
        n_components: `None` (all components), an int in `[1, features]`,
            or a float in `(0, 1)`: the smallest number of components that
            explains that fraction of the variance. Used by `"pca"`,
            `"pca_whiten"` and `"zca"`. Defaults to `None`.
        epsilon: float >= 0, added to each eigenvalue (or variance) before
            the square root; it bounds the gain of low-variance directions.
            Defaults to `1e-5`.
        per_channel: bool, statistics over the last axis only, pooled over
            every other axis. Defaults to `False`.
        mean: optional array of shape `(features,)`, a known mean; must be
            given together with `covariance`, and then `adapt()` is not
            needed. Defaults to `None`.
        covariance: optional array of shape `(features, features)`, a known
            covariance (ddof=1). Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`, ...). The dtype
            defaults to `"float32"` whatever the global policy.

    Call arguments:
        inputs: a tensor of shape `(batch, *feature_shape)`.

    Returns:
        The transformed tensor: the input's shape for `"center"`,
        `"standardize"` and `"zca"`; `(batch, n_components)` for `"pca"` and
        `"pca_whiten"` (`(..., n_components)` with `per_channel=True`).

    Raises:
        ValueError: for an invalid option, NaN/Inf values in `adapt()` data
            (with their count and batch index), a call before `adapt()`, a
            feature count different from the adapted one, or
            `n_components` larger than the feature count.

    Example:

    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(500, 6)).astype("float32")
    >>> layer = Whitening(mode="pca_whiten", n_components=3)
    >>> layer.adapt(x)
    >>> tuple(layer(x).shape)
    (500, 3)
    >>> layer.explained_variance_ratio.shape
    (3,)

    References:
        - Chan, Golub, LeVeque, "Algorithms for computing the sample
          variance: analysis and recommendations", 1983 (shifted data).
        - Kessy, Lewin, Strimmer, "Optimal whitening and decorrelation",
          2018.
    """

    def __init__(
        self,
        mode: str = "zca",
        n_components: int | float | None = None,
        epsilon: float = 1e-5,
        per_channel: bool = False,
        mean=None,
        covariance=None,
        **kwargs,
    ):
        if kwargs.get("dtype") is None:
            # Statistics and transforms need float32 even under mixed_float16.
            kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        check_choice("mode", mode, MODES)
        if n_components is not None:
            is_int = isinstance(n_components, int) and not isinstance(
                n_components, bool
            )
            is_fraction = (
                isinstance(n_components, float) and 0 < n_components < 1
            )
            if not ((is_int and n_components >= 1) or is_fraction):
                raise ValueError(
                    "`n_components` must be None, a positive int or a float in "
                    f"(0, 1). Received: n_components={n_components!r}"
                )
        check_float("epsilon", epsilon, 0)
        check_bool("per_channel", per_channel)
        if (mean is None) != (covariance is None):
            raise ValueError(
                "`mean` and `covariance` must be given together. Received: "
                f"mean is None={mean is None}, "
                f"covariance is None={covariance is None}"
            )
        if mean is not None:
            mean = np.asarray(mean, dtype="float64")
            covariance = np.asarray(covariance, dtype="float64")
            d = mean.size
            if mean.ndim != 1 or covariance.shape != (d, d):
                raise ValueError(
                    "`mean` must have shape (features,) and `covariance` shape "
                    f"(features, features). Received: mean.shape={mean.shape}, "
                    f"covariance.shape={covariance.shape}"
                )
        self.mode = mode
        self.n_components = n_components
        self.epsilon = float(epsilon)
        self.per_channel = per_channel
        self.input_mean = mean
        self.input_covariance = covariance
        self._build_input_shape = None
        self._feature_shape = None
        self._num_features = None
        self._kept = None
        self._transform = None

    # ------------------------------------------------------------------ build

    def build(self, input_shape):
        feature_shape = tuple(input_shape[1:])
        if self.per_channel:
            feature_shape = feature_shape[-1:]
        if not feature_shape or any(d is None for d in feature_shape):
            raise ValueError(
                "`Whitening` needs inputs with known non-batch dimensions (the "
                f"features). Received: input_shape={tuple(input_shape)}"
            )
        d = math.prod(feature_shape)
        if self.input_mean is not None and self.input_mean.size != d:
            raise ValueError(
                f"The given `mean` has {self.input_mean.size} features but the "
                f"inputs have {d}. Received: input_shape={tuple(input_shape)}"
            )
        if isinstance(self.n_components, int) and self.n_components > d:
            raise ValueError(
                f"`n_components` must be at most the number of features ({d}). "
                f"Received: n_components={self.n_components}"
            )
        self._build_input_shape = tuple(input_shape)
        self._feature_shape = tuple(input_shape[1:])
        self._num_features = d
        # Each float64 statistic is a float32 pair (see
        # `whitening_statistics`): the rounded value, then its residual.
        shapes = {"count": (), "mean": (d,), "covariance": (d, d)}
        self._statistics = {
            (name, part): self.add_weight(
                name=name + part,
                shape=shape,
                dtype="float32",
                initializer="zeros",
                trainable=False,
            )
            for part in ("", "_residual")
            for name, shape in shapes.items()
        }
        self.count = self._statistics["count", ""]
        self.adapted_mean = self._statistics["mean", ""]
        self.adapted_covariance = self._statistics["covariance", ""]
        if self.input_mean is not None:
            # Any count >= 2 marks the statistics as usable.
            self._assign_statistics(
                count=2.0,
                mean=self.input_mean,
                covariance=self.input_covariance,
            )
        self.built = True
        self.finalize_state()

    # ------------------------------------------------------------------ adapt

    def adapt(
        self, data, batch_size: int | None = None, steps: int | None = None
    ):
        """Computes the mean and covariance of `data`, streaming it.

        Args:
            data: a NumPy array or tensor of examples, a `tf.data.Dataset`
                (of examples or `(examples, labels)`), or any iterable of
                batches. A dataset is taken as batched unless `batch_size`
                is given, in which case it is batched with it.
            batch_size: int, the examples per step for arrays and tensors
                (defaults to `8192`), or the batch size applied to an
                unbatched dataset. Defaults to `None`.
            steps: int, the maximum number of batches to read. Defaults to
                `None` (all of `data`).

        Raises:
            ValueError: NaN or Inf values in a batch (with their count and
                the batch index), an empty `data`, fewer than 2 samples, or
                a feature count different from the layer's.
        """
        check_int("batch_size", batch_size, allow_none=True)
        check_int("steps", steps, allow_none=True)
        batches = iter(feature_batches(data, batch_size, steps))
        first = next(batches, None)
        if first is None:
            raise ValueError(
                "`adapt()` received no data. Received: data with 0 batches"
            )
        if not self.built:
            self.build((None,) + tuple(first.shape)[1:])
        d = self._num_features
        statistics = StreamingCovariance(d)
        for index, batch in enumerate(itertools.chain([first], batches)):
            self._check_batch_shape(tuple(batch.shape), index)
            statistics.update(batch)
        covariance = statistics.covariance()
        n = statistics.count
        if n < d and self.mode in ("pca", "pca_whiten", "zca"):
            logger.warning(
                "Whitening.adapt: %d samples for %d features: the covariance "
                "is "
                "rank-deficient and `epsilon`=%g decides the scale of the "
                "directions without variance.",
                int(n),
                d,
                self.epsilon,
            )
        self._assign_statistics(
            count=n, mean=statistics.mean, covariance=covariance
        )
        self.finalize_state()

    def _assign_statistics(self, **values):
        for name, value in values.items():
            high, low = split_float64(value)
            self._statistics[name, ""].assign(high)
            self._statistics[name, "_residual"].assign(low)

    def _float64_statistic(self, name):
        return join_float64(
            self._statistics[name, ""].numpy(),
            self._statistics[name, "_residual"].numpy(),
        )

    def _check_batch_shape(self, shape, index):
        expected = (
            self._feature_shape[-1:]
            if self.per_channel
            else self._feature_shape
        )
        got = shape[-1:] if self.per_channel else shape[1:]
        if len(shape) < 2 or tuple(got) != tuple(expected):
            raise ValueError(
                f"`adapt()` batch {index} has examples of shape {shape[1:]}, "
                "but "
                f"the layer was built for {self._feature_shape} "
                f"({self._num_features} features"
                f"{' per channel' if self.per_channel else ''}). Received: "
                f"batch shape {shape}"
            )

    # --------------------------------------------------------------- finalize

    def finalize_state(self):
        """Derives the transform from the adapted statistics (one `eigh`).

        In float64 on the host, from the float64 statistics; the matrices
        the layer applies are then rounded to float32.
        """
        if not self.built or self._float64_statistic("count") < 2:
            # `_kept` may hold the size restored by `build_from_config`.
            self._transform = None
            return
        mean = self._float64_statistic("mean")
        transform = whitening_transform(
            self.mode,
            self._float64_statistic("covariance"),
            self.epsilon,
            self.n_components,
        )
        self._mean_np = mean
        self._variance = transform["variance"]
        self._eigenvalues = transform["eigenvalues"]
        self._eigenvectors = transform["eigenvectors"]
        self._kept = transform["kept"]
        self._transform = tuple(
            (
                None
                if value is None
                else keras.ops.convert_to_tensor(value.astype("float32"))
            )
            for value in (mean, transform["forward"], transform["backward"])
        )

    # ------------------------------------------------------------------- call

    def _require_adapted(self):
        if self._transform is None:
            raise ValueError(
                "`Whitening` has no statistics yet: call `layer.adapt(data)` "
                "first, or pass `mean=` and `covariance=` to the constructor. "
                f"Received: layer {self.name!r} with built={self.built}"
            )

    def _check_call_shape(self, shape, inverse):
        reduced = self.mode in ("pca", "pca_whiten")
        if inverse and reduced:
            got, expected = shape[-1:], (self._kept,)
        elif self.per_channel:
            got, expected = shape[-1:], self._feature_shape[-1:]
        else:
            got, expected = shape[1:], self._feature_shape
        if all(g is not None for g in got) and math.prod(got) != math.prod(
            expected
        ):
            what = "outputs" if inverse else "features"
            raise ValueError(
                f"`Whitening` {'produces' if inverse else 'was adapted on'} "
                f"{math.prod(expected)} {what} but received inputs with "
                f"{math.prod(got)}. Received: inputs.shape={tuple(shape)}"
            )

    def _apply(self, inputs, inverse):
        ops = keras.ops
        self._require_adapted()
        self._check_call_shape(tuple(inputs.shape), inverse)
        x = ops.cast(inputs, "float32")
        mean, forward, backward = self._transform
        matrix = backward if inverse else forward
        reduced = self.mode in ("pca", "pca_whiten")
        width = self._kept if (inverse and reduced) else self._num_features
        flat = ops.reshape(x, (-1, width))
        if self.mode == "center":
            out = flat + mean if inverse else flat - mean
        elif self.mode == "standardize":
            out = flat * matrix + mean if inverse else (flat - mean) * matrix
        elif inverse:
            out = ops.matmul(flat, matrix) + mean
        else:
            out = ops.matmul(flat - mean, matrix)
        if self.per_channel:
            return ops.reshape(
                out, (-1,) + tuple(x.shape[1:-1]) + (out.shape[-1],)
            )
        if reduced and not inverse:
            return out
        return ops.reshape(out, (-1,) + self._feature_shape)

    def call(self, inputs):
        return self._apply(inputs, inverse=False)

    def inverse(self, x):
        """Maps outputs of the layer back to the input space.

        Exact for `"center"`, `"standardize"` and full-rank `"pca"`,
        `"pca_whiten"`, `"zca"`; with fewer components, the reconstruction
        from the kept components (scikit-learn's `inverse_transform`).

        Args:
            x: a tensor of the layer's output shape.

        Returns:
            A float32 tensor of the input shape.
        """
        return self._apply(x, inverse=True)

    def compute_output_shape(self, input_shape):
        if self.mode in ("center", "standardize", "zca"):
            return tuple(input_shape)
        if self._kept is None:
            if isinstance(self.n_components, int):
                self._kept = self.n_components
            elif self.n_components is None and self._num_features is not None:
                self._kept = self._num_features
            else:
                raise ValueError(
                    "With a fractional `n_components`, the output size is "
                    "known only after `adapt()`: adapt the layer before "
                    "calling it on symbolic inputs. Received: "
                    f"n_components={self.n_components}"
                )
        if self.per_channel:
            return tuple(input_shape[:-1]) + (self._kept,)
        return (input_shape[0], self._kept)

    # -------------------------------------------------------------- statistics

    def _statistic(self, name):
        self._require_adapted()
        if self.mode in ("center", "standardize") and name != "mean":
            raise ValueError(
                f"`{name}` exists only for the 'pca', 'pca_whiten' and 'zca' "
                f"modes. Received: mode={self.mode!r}"
            )
        k = self._kept
        if name == "mean":
            return self._mean_np.copy()
        if name == "components":
            return self._eigenvectors[:, :k].T.copy()
        if name == "explained_variance":
            return self._eigenvalues[:k].copy()
        return self._eigenvalues[:k] / self._variance.sum()

    @property
    def mean(self):
        """The feature means, shape `(features,)` (float64)."""
        return self._statistic("mean")

    @property
    def components(self):
        """The principal axes as rows, shape `(n_components, features)`."""
        return self._statistic("components")

    @property
    def explained_variance(self):
        """The variance (ddof=1) along each kept component."""
        return self._statistic("explained_variance")

    @property
    def explained_variance_ratio(self):
        """Each kept component's fraction of the total variance."""
        return self._statistic("explained_variance_ratio")

    # ----------------------------------------------------------- serialization

    def load_own_variables(self, store):
        if len(store.keys()) == 3:
            # A file of an earlier 0.1.0 build: float64 count, mean and
            # covariance, without the float32 pairs; loaded as they are.
            self._assign_statistics(
                count=store["0"], mean=store["1"], covariance=store["2"]
            )
        else:
            super().load_own_variables(store)
        self.finalize_state()

    def get_build_config(self):
        if self._build_input_shape is not None:
            # The resolved component count fixes the output shape before the
            # weights load (a fractional `n_components` depends on the data).
            return {"input_shape": self._build_input_shape, "kept": self._kept}

    def build_from_config(self, config):
        if config:
            self._kept = config.get("kept")
            self.build(config["input_shape"])

    def get_config(self):
        config = {
            "mode": self.mode,
            "n_components": self.n_components,
            "epsilon": self.epsilon,
            "per_channel": self.per_channel,
            "mean": (
                None if self.input_mean is None else self.input_mean.tolist()
            ),
            "covariance": (
                None
                if self.input_covariance is None
                else self.input_covariance.tolist()
            ),
        }
        base_config = super().get_config()
        return {**base_config, **config}
