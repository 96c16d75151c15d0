import os

import matplotlib.image
import numpy as np
import pytest
import tensorflow as tf

from keras_training_kit.augmentation import AugmentationPipeline
from keras_training_kit.augmentation import preview


def _dataset(channels):
    images = (
        np.random.default_rng(0).random((6, 8, 8, channels)).astype("float32")
    )
    return tf.data.Dataset.from_tensor_slices(
        (images, np.arange(6, dtype="int32"))
    )


@pytest.mark.parametrize("channels", [1, 3])
def test_writes_a_png_grid(tmp_path, channels):
    path = os.path.join(tmp_path, "preview.png")
    pipeline = AugmentationPipeline(translation=0.25, mixup=0.5, num_classes=6)
    assert (
        preview(
            pipeline, _dataset(channels), path, num_examples=3, num_versions=2
        )
        == path
    )
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 50 and image.shape[1] > 50


def test_bad_counts_raise(tmp_path):
    with pytest.raises(ValueError, match="`num_examples` must be an int >= 1"):
        preview(
            AugmentationPipeline(),
            _dataset(1),
            str(tmp_path / "p.png"),
            num_examples=0,
        )


def test_captions_say_the_label_and_the_mixing_weights():
    import numpy as np

    from keras_training_kit.augmentation.preview import _caption

    assert _caption(np.int32(3)) == "label 3"
    assert _caption(np.array([0.0, 0.0, 1.0])) == "label 2"
    assert _caption(np.array([0.3, 0.0, 0.7])) == "mix 2: 0.70\n+ 0: 0.30"
