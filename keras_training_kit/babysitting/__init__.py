"""Babysitting the learning process: sanity checks and the init study.

The init study is the initialization study of `run_init_study()`.
"""

from keras_training_kit.babysitting.init_study import CONFIGURATIONS
from keras_training_kit.babysitting.init_study import run_init_study
from keras_training_kit.babysitting.sanity_check import SanityCheckReport
from keras_training_kit.babysitting.sanity_check import sanity_check
