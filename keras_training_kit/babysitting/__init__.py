"""Babysitting the learning process: sanity checks and the initialization study."""

from keras_training_kit.babysitting.init_study import CONFIGURATIONS
from keras_training_kit.babysitting.init_study import run_init_study
from keras_training_kit.babysitting.sanity_check import SanityCheckReport
from keras_training_kit.babysitting.sanity_check import sanity_check
