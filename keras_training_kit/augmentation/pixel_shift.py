"""`RandomPixelShift`: the deprecated name of `RandomShiftFlipCutout`."""

import warnings

from keras_training_kit.augmentation.shift_flip_cutout import (
    RandomShiftFlipCutout,
)
from keras_training_kit.saving import register


@register
class RandomPixelShift(RandomShiftFlipCutout):
    """Deprecated: use `RandomShiftFlipCutout`, the same layer.

    `RandomPixelShift` is the name earlier 0.1.0 builds gave the layer,
    which also flips and cuts out. This class is registered under that name
    (`keras_training_kit>RandomPixelShift`), so models saved with it load
    (as `RandomPixelShift`, and save again under it); constructing it warns.

    Example:

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     layer = RandomPixelShift(0.125, seed=1)
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(
            "`RandomPixelShift` is deprecated: use `RandomShiftFlipCutout` "
            "(the same layer, named after what it does).",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)
