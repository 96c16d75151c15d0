"""`RandomShiftFlipCutout`: whole-pixel shifts, flips and Cutout in one
gather of pixels."""

import keras
from keras import ops

from keras_training_kit.augmentation.cutout import hole_axes
from keras_training_kit.augmentation.random_image_layer import RandomImageLayer
from keras_training_kit.saving import register
from keras_training_kit.validation import check_bool
from keras_training_kit.validation import check_float

_FILL_MODES = ("constant", "reflect")


@register
class RandomShiftFlipCutout(RandomImageLayer):
    """Shifts images by whole pixels, flips them and cuts out one square.

    Every image of a batch gets its own vertical and horizontal shift, drawn
    uniformly from `[-max, max]` pixels where `max = round(factor * size)`,
    and, if asked, a left-right and/or upside-down flip with probability
    1/2 each, and one square hole (Cutout, as `RandomCutout`) cut after the
    shift. This is "pad and random crop" without the padding: the source
    pixel of every output pixel is computed per image, and the whole batch
    moves in one gather of pixels; uncovered pixels and the hole read one
    fill pixel appended after the batch. The result is exact (no
    interpolation blur) and keeps values in range.

    Keras' `RandomTranslation` resamples every pixel bilinearly through a
    projective transform, and `RandomFlip` and `RandomErasing` each make
    their own pass over the batch; one gather replaces all three when the
    shifts are whole pixels (the `"cifar10"` preset of
    `AugmentationPipeline`; the README's Throughput paragraph has the
    measurements).

    Args:
        factor: float in `[0, 1)` or a `(height, width)` pair of floats, the
            largest shift as a fraction of the image's height and width.
        horizontal_flip: bool, also flip left-right with probability 1/2.
            Defaults to `False`.
        vertical_flip: bool, also flip upside-down with probability 1/2.
            Defaults to `False`.
        cutout: float in `[0, 1]`, the side of one square hole per image
            (a fraction of the image side, centre uniform over the image,
            as `RandomCutout`), filled with `fill_value`, cut after the
            shift; `0` cuts nothing. Defaults to `0.0`.
        fill_mode: str, `"constant"` (fill with `fill_value`) or
            `"reflect"` (mirror the border, `d c b a | a b c d`, as
            Keras' `RandomTranslation`). Defaults to `"constant"`.
        fill_value: float, the value of uncovered pixels with
            `fill_mode="constant"`, and of the hole. Defaults to `0.0`.
        seed: int or `None`, seed of the layer's `SeedGenerator`. Defaults
            to `None`.

    Call arguments:
        images: a batch of images `(batch, height, width, channels)`.
        training: bool, transform only when `True`. Defaults to `True`.

    Returns:
        The transformed images, same shape and dtype.

    Raises:
        ValueError: for a `factor`, `cutout`, `fill_mode` or flip outside
            what is allowed.

    Example:

    >>> import numpy as np
    >>> layer = RandomShiftFlipCutout(
    ...     0.125, horizontal_flip=True, cutout=0.25, seed=1)
    >>> layer(np.ones((2, 32, 32, 3), "float32")).shape
    TensorShape([2, 32, 32, 3])

    References:
        - [DeVries & Taylor, 2017](https://arxiv.org/abs/1708.04552)
    """

    def __init__(
        self,
        factor: float,
        horizontal_flip: bool = False,
        vertical_flip: bool = False,
        cutout: float = 0.0,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        shift = check_float(
            "factor", factor, 0.0, 1.0, include_high=False, pair=True
        )
        self.height_factor, self.width_factor = (
            shift if isinstance(shift, tuple) else (shift, shift)
        )
        self.factor = factor
        self.horizontal_flip = check_bool("horizontal_flip", horizontal_flip)
        self.vertical_flip = check_bool("vertical_flip", vertical_flip)
        self.cutout = check_float(
            "cutout", cutout, 0.0, 1.0, note=" (0 cuts nothing)"
        )
        if fill_mode not in _FILL_MODES:
            raise ValueError(
                f"`fill_mode` must be one of {_FILL_MODES}. "
                f"Received: fill_mode={fill_mode!r}"
            )
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)

    def _max_shifts(self, images):
        height, width = images.shape[-3], images.shape[-2]
        return (
            int(round(self.height_factor * height)),
            int(round(self.width_factor * width)),
        )

    def get_random_transformation(self, images, training=True, seed=None):
        """Draws per-image shifts `dy`, `dx`, flips `flip_y`, `flip_x` and
        hole centres `centers` (fractions of height and width)."""
        if not training:
            return None
        seed = seed or self.seed_generator
        max_dy, max_dx = self._max_shifts(images)
        batch = ops.shape(images)[0]
        unit = keras.random.uniform((batch, 6), seed=seed)
        spans = ops.convert_to_tensor(
            [2 * max_dy + 1, 2 * max_dx + 1], "float32"
        )
        shifts = ops.cast(ops.floor(unit[:, :2] * spans), "int32")
        return {
            "dy": shifts[:, 0] - max_dy,
            "dx": shifts[:, 1] - max_dx,
            "flip_y": ops.logical_and(self.vertical_flip, unit[:, 2] < 0.5),
            "flip_x": ops.logical_and(self.horizontal_flip, unit[:, 3] < 0.5),
            "centers": unit[:, 4:],
        }

    def _sources(self, size, shifts, flips):
        """Source index of each output position, and whether it is inside."""
        source = ops.arange(size, dtype="int32")[None, :] - shifts[:, None]
        inside = ops.logical_and(source >= 0, source < size)
        if self.fill_mode == "reflect":
            # d c b a | a b c d | d c b a (shifts are smaller than `size`).
            source = ops.where(source < 0, -source - 1, source)
            source = ops.where(source >= size, 2 * size - 1 - source, source)
        source = ops.clip(source, 0, size - 1)
        # Flip first, then shift: the shifted position reads the mirror.
        return ops.where(flips[:, None], size - 1 - source, source), inside

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        max_dy, max_dx = self._max_shifts(images)
        if (max_dy, max_dx) == (0, 0) and not (
            self.horizontal_flip or self.vertical_flip or self.cutout
        ):
            return images
        height, width, channels = images.shape[-3:]
        batch = ops.shape(images)[0]
        rows, inside_rows = self._sources(
            height, transformation["dy"], transformation["flip_y"]
        )
        cols, inside_cols = self._sources(
            width, transformation["dx"], transformation["flip_x"]
        )
        # The source of output pixel (b, i, j) in the batch's flat pixels is
        # starts[b, i] + cols[b, j]; `fill` (one past the last pixel) is the
        # appended fill pixel. Uncovered rows and columns (and the hole's
        # columns in the hole's rows) get `fill`, so the sum is >= `fill`
        # exactly where the fill value belongs: a `minimum` makes it `fill`.
        # Everything but the sum and the gather is (batch, side)-sized.
        fill = batch * height * width
        starts = (
            ops.arange(batch, dtype="int32")[:, None] * height + rows
        ) * width
        filled = self.fill_mode == "constant" and (max_dy, max_dx) != (0, 0)
        if filled:
            starts = ops.where(inside_rows, starts, fill)
            cols = ops.where(inside_cols, cols, fill)
        if self.cutout:
            hole_rows, hole_cols = hole_axes(
                transformation["centers"], self.cutout, height, width
            )
            cols = ops.where(
                hole_rows[:, :, None],
                ops.where(hole_cols, fill, cols)[:, None, :],
                cols[:, None, :],
            )
        else:
            cols = cols[:, None, :]
        index = starts[:, :, None] + cols
        pixels = ops.reshape(images, (-1, channels))
        if filled or self.cutout:
            index = ops.minimum(index, fill)
            pixels = ops.concatenate(
                [
                    pixels,
                    ops.full((1, channels), self.fill_value, images.dtype),
                ],
                axis=0,
            )
        moved = ops.take(pixels, ops.reshape(index, (-1,)), axis=0)
        return ops.reshape(moved, (-1, height, width, channels))

    def get_config(self):
        config = {
            "factor": self.factor,
            "horizontal_flip": self.horizontal_flip,
            "vertical_flip": self.vertical_flip,
            "cutout": self.cutout,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
        }
        return {**super().get_config(), **config}
