"""Babysitting the learning process: sanity checks and CS231n's studies.

CS231n is Stanford's course Convolutional Neural Networks for Visual
Recognition; its "Training Neural Networks" lectures are the checklist,
the rules of thumb and the studies this package turns into code.

`diagnose()` checks the forward and backward pass of a compiled model
before (or during) training and says what to change.

The init study is the initialization study of `run_init_study()`; the
optimizer study, `run_optimizer_study()`, compares the Keras optimizers on
2-D surfaces (`surfaces.py`) and on a data set.
"""

from keras_training_kit.babysitting.diagnose import Diagnosis
from keras_training_kit.babysitting.diagnose import diagnose
from keras_training_kit.babysitting.init_study import CONFIGURATIONS
from keras_training_kit.babysitting.init_study import run_init_study
from keras_training_kit.babysitting.optimizer_study import PROBLEMS
from keras_training_kit.babysitting.optimizer_study import STUDY_OPTIMIZERS
from keras_training_kit.babysitting.optimizer_study import OptimizerStudy
from keras_training_kit.babysitting.optimizer_study import descend
from keras_training_kit.babysitting.optimizer_study import run_optimizer_study
from keras_training_kit.babysitting.sanity_check import SanityCheckReport
from keras_training_kit.babysitting.sanity_check import sanity_check
from keras_training_kit.babysitting.surfaces import LOCAL_MINIMUM
from keras_training_kit.babysitting.surfaces import RAVINE
from keras_training_kit.babysitting.surfaces import SADDLE
from keras_training_kit.babysitting.surfaces import SURFACES
from keras_training_kit.babysitting.surfaces import Surface

# The public API, in the order of its page of the API reference.
__all__ = [
    "diagnose",
    "Diagnosis",
    "sanity_check",
    "SanityCheckReport",
    "run_init_study",
    "CONFIGURATIONS",
    "run_optimizer_study",
    "OptimizerStudy",
    "descend",
    "PROBLEMS",
    "STUDY_OPTIMIZERS",
    "Surface",
    "SURFACES",
    "RAVINE",
    "SADDLE",
    "LOCAL_MINIMUM",
]
