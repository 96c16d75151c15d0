"""Every matplotlib figure of the package, drawn from plain data."""

from keras_training_kit.plotting.activation_curves import plot_activation_curves
from keras_training_kit.plotting.activation_histograms import histogram
from keras_training_kit.plotting.activation_histograms import (
    plot_activation_histograms,
)
from keras_training_kit.plotting.augmentation_grid import plot_augmentation_grid
from keras_training_kit.plotting.curves import plot_training_curves
from keras_training_kit.plotting.diagnosis import plot_diagnosis
from keras_training_kit.plotting.init_study import plot_init_study
from keras_training_kit.plotting.lr_finder import plot_lr_finder
from keras_training_kit.plotting.optimizer_study import plot_optimizer_study
from keras_training_kit.plotting.search_scatter import plot_search_scatter
from keras_training_kit.plotting.whitening import plot_image_rows
from keras_training_kit.plotting.whitening import plot_whitening_stages
