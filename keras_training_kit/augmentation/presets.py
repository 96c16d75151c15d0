"""Named option sets for `AugmentationPipeline.from_preset`."""

import copy

# Each preset maps `AugmentationPipeline` options to values.
PRESETS = {
    # No augmentation: `apply` only shuffles and batches.
    "none": {},
    # Handwritten digits: small shifts, rotations and stretches; no flips,
    # which would turn some digits into others (2/5, 6/9).
    "digits": {"translation": 0.1, "rotation": 0.03, "zoom": 0.1},
    # Natural 32x32 images: the classic flip + "pad 4 and crop" + Cutout.
    "cifar10": {"horizontal_flip": True, "translation": 0.125, "cutout": 0.25},
    # The same with MixUp (labels become one-hot mixtures).
    "cifar10_mixup": {
        "horizontal_flip": True,
        "translation": 0.125,
        "cutout": 0.25,
        "mixup": 0.2,
    },
}
"""The augmentation presets by name, each a dict of `AugmentationPipeline`
options (`AugmentationPipeline.from_preset(name)`, `get_preset(name)`,
`ktk train --augment NAME`).
"""
PRESETS["mnist"] = PRESETS["digits"]


def get_preset(name: str) -> dict:
    """Returns a copy of the options of the preset `name`.

    Args:
        name: str, one of `"none"`, `"digits"`, `"mnist"`, `"cifar10"`,
            `"cifar10_mixup"`.

    Returns:
        A dict of `AugmentationPipeline` keyword options.

    Raises:
        ValueError: for an unknown name.

    Example:

    >>> get_preset("cifar10")["cutout"]
    0.25
    """
    if name not in PRESETS:
        raise ValueError(
            f"`name` must be one of {sorted(PRESETS)}. Received: name={name!r}"
        )
    return copy.deepcopy(PRESETS[name])
