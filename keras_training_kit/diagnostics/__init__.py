"""What measures a model: taps, reductions, probes, and the one rule set.

The statistics callbacks (`keras_training_kit.callbacks`) and `diagnose`
(`keras_training_kit.babysitting`) measure a model with the probes here
and judge the figures with the rules here (`rules.py`: `BANDS`, `find`,
`Finding`); this package imports neither of them.
"""

# Keras first: its import registers the package's classes, whose modules
# import the probes below (`registration.py`).
import keras  # noqa: F401

from keras_training_kit.diagnostics.activation_probe import ActivationProbe
from keras_training_kit.diagnostics.findings import Figures
from keras_training_kit.diagnostics.gradient_probe import GradientProbe
from keras_training_kit.diagnostics.noise_scale import noise_scale
from keras_training_kit.diagnostics.noise_scale import two_batch_estimates
from keras_training_kit.diagnostics.probe_data import first_examples
from keras_training_kit.diagnostics.rules import BANDS
from keras_training_kit.diagnostics.rules import KINDS
from keras_training_kit.diagnostics.rules import Finding
from keras_training_kit.diagnostics.rules import find

# The public API, in the order of its page of the API reference.
__all__ = [
    "Finding",
    "Figures",
    "find",
    "BANDS",
    "KINDS",
    "ActivationProbe",
    "GradientProbe",
    "first_examples",
    "noise_scale",
    "two_batch_estimates",
]
