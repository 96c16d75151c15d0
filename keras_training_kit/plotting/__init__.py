"""Every matplotlib figure of the package, drawn from plain data."""

from keras_training_kit.plotting.curves import plot_training_curves
