"""Babysitting the learning process: sanity checks and the lecture's studies.

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
from keras_training_kit.diagnostics.rules import BANDS
from keras_training_kit.diagnostics.rules import Finding
