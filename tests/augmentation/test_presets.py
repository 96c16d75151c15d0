import pytest

from keras_training_kit.augmentation import PRESETS
from keras_training_kit.augmentation import AugmentationPipeline
from keras_training_kit.augmentation import get_preset


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds(name):
    pipeline = AugmentationPipeline.from_preset(name, num_classes=10)
    assert pipeline.is_identity == (name == "none")


def test_digit_presets_never_flip_and_cifar10_does():
    for name in ("digits", "mnist"):
        options = get_preset(name)
        assert not options.get("horizontal_flip") and not options.get(
            "vertical_flip"
        )
        assert options["translation"] > 0 and options["rotation"] > 0
    assert get_preset("cifar10") == {
        "horizontal_flip": True,
        "translation": 0.125,
        "cutout": 0.25,
    }
    assert get_preset("cifar10_mixup")["mixup"] > 0


def test_get_preset_returns_a_copy_and_rejects_unknown_names():
    get_preset("digits")["rotation"] = 0.4
    assert get_preset("digits")["rotation"] == 0.03
    with pytest.raises(ValueError, match="Received: name='svhn'"):
        get_preset("svhn")
