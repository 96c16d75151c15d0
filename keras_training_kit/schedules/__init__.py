"""Learning-rate schedules: Keras' own by name, plus one-cycle."""

from keras_training_kit.schedules.build import SCHEDULES
from keras_training_kit.schedules.build import build_schedule
from keras_training_kit.schedules.one_cycle import OneCycle
from keras_training_kit.schedules.one_cycle_momentum import OneCycleMomentum
from keras_training_kit.schedules.warmup import LinearWarmup

# The public API, in the order of its page of the API reference.
__all__ = [
    "build_schedule",
    "SCHEDULES",
    "OneCycle",
    "OneCycleMomentum",
    "LinearWarmup",
]
