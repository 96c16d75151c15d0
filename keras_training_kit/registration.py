"""Makes `import keras_training_kit` register every serializable class.

A model saved with the package's layers, initializers or augmentation layers
must load with `keras.saving.load_model(path)` after a plain
`import keras_training_kit`. Importing Keras (and with it TensorFlow) in
`import keras_training_kit` would make `ktk --help` pay seconds for it, so
the modules that register classes are imported as soon as Keras is: at once
when it already is, otherwise right after the first `import keras` of the
process finishes.
"""

import importlib
import importlib.abc
import importlib.util
import sys

# The modules whose import registers the package's serializable classes.
MODULES = (
    "keras_training_kit.layers",
    "keras_training_kit.initializers",
    "keras_training_kit.augmentation",
    "keras_training_kit.callbacks",
    "keras_training_kit.schedules",
)


def register_all() -> None:
    """Imports every module that registers serializable classes."""
    for name in MODULES:
        importlib.import_module(name)


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Finds `keras` like the other finders and registers after it loads."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_register(module):
            exec_module(module)
            register_all()

        # The loader is this spec's own object: only this import is changed.
        spec.loader.exec_module = exec_and_register
        return spec


def register_when_keras_is_imported() -> None:
    """Registers now if Keras is imported, else right after it is."""
    if "keras" in sys.modules:
        register_all()
    elif not any(isinstance(f, _AfterKerasImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
