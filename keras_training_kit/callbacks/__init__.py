"""Callbacks for `model.fit`: activation and gradient statistics, guards."""

from keras_training_kit.callbacks.activation_statistics import (
    ActivationStatistics,
)
from keras_training_kit.callbacks.divergence_guard import DivergenceGuard
from keras_training_kit.callbacks.gradient_statistics import GradientStatistics
from keras_training_kit.callbacks.learning_rate_logger import LearningRateLogger
from keras_training_kit.callbacks.overfitting_monitor import OverfittingMonitor

# The public API, in the order of its page of the API reference.
__all__ = [
    "ActivationStatistics",
    "GradientStatistics",
    "DivergenceGuard",
    "OverfittingMonitor",
    "LearningRateLogger",
]
