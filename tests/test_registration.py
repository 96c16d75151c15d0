"""`import keras_training_kit` alone makes the package's models loadable."""

import os
import subprocess
import sys

import pytest

_SAVE = """
import importlib, json, pkgutil, sys
import keras
import keras_training_kit
from keras_training_kit import augmentation, initializers, layers
# Every module of the package: whatever registers a class is in the registry.
prefix = "keras_training_kit."
for info in pkgutil.walk_packages(keras_training_kit.__path__, prefix):
    importlib.import_module(info.name)
objects = keras.saving.get_custom_objects()
names = sorted(k for k in objects if k.startswith("keras_training_kit>"))
model = keras.Sequential([
    keras.Input((8, 8, 1)),
    augmentation.RandomPixelShift(0.1, seed=1),
    keras.layers.Flatten(),
    keras.layers.Dense(
        8, kernel_initializer=initializers.KaimingNormal("relu")
    ),
    layers.Maxout(4),
    layers.ParametricELU(),
    keras.layers.Dense(3, kernel_initializer=initializers.XavierUniform()),
])
model.save(sys.argv[1])
print(json.dumps(names))
"""

_LOAD = """
import json, sys
{imports}
objects = keras.saving.get_custom_objects()
names = sorted(k for k in objects if k.startswith("keras_training_kit>"))
model = keras.saving.load_model(sys.argv[1])
print(json.dumps([names, [type(layer).__name__ for layer in model.layers]]))
"""


def _python(code, *args):
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    import json

    path = str(tmp_path_factory.mktemp("model") / "model.keras")
    return path, json.loads(_python(_SAVE, path))


@pytest.mark.parametrize(
    "imports",
    [
        "import keras_training_kit\nimport keras",
        "import keras\nimport keras_training_kit",
    ],
)
def test_every_class_is_registered_after_importing_the_package(saved, imports):
    import json

    path, all_names = saved
    assert "keras_training_kit>Maxout" in all_names and len(all_names) >= 10
    names, layers = json.loads(_python(_LOAD.format(imports=imports), path))
    assert names == all_names
    assert layers == [
        "RandomPixelShift",
        "Flatten",
        "Dense",
        "Maxout",
        "ParametricELU",
        "Dense",
    ]


def test_the_optimizers_module_imports_first():
    # As a process's first import, `optimizers` imports Keras, whose import
    # hook registers the package's classes, which import `models.compile`,
    # which needs `optimizers` (a cycle that once found it half-made).
    code = "from keras_training_kit.optimizers import build_optimizer\nprint(1)"
    assert _python(code) == "1"
