"""Every matplotlib figure of the package, drawn from plain data.

Each `plot_x(..., path)` saves the `matplotlib.figure.Figure` that its
sibling `x_figure(...)` draws, so the figure can be checked or changed
before it is written.
"""

from keras_training_kit.plotting.activation_curves import (
    activation_curves_figure,
)
from keras_training_kit.plotting.activation_curves import plot_activation_curves
from keras_training_kit.plotting.activation_figures import (
    activation_histogram_rows,
)
from keras_training_kit.plotting.activation_figures import (
    save_activation_figures,
)
from keras_training_kit.plotting.activation_histograms import (
    activation_histograms_figure,
)
from keras_training_kit.plotting.activation_histograms import histogram
from keras_training_kit.plotting.activation_histograms import (
    plot_activation_histograms,
)
from keras_training_kit.plotting.augmentation_grid import (
    augmentation_grid_figure,
)
from keras_training_kit.plotting.augmentation_grid import plot_augmentation_grid
from keras_training_kit.plotting.curves import plot_training_curves
from keras_training_kit.plotting.curves import training_curves_figure
from keras_training_kit.plotting.diagnosis import diagnosis_figure
from keras_training_kit.plotting.diagnosis import plot_diagnosis
from keras_training_kit.plotting.init_study import init_study_figure
from keras_training_kit.plotting.init_study import plot_init_study
from keras_training_kit.plotting.lr_finder import lr_finder_figure
from keras_training_kit.plotting.lr_finder import plot_lr_finder
from keras_training_kit.plotting.optimizer_study import optimizer_study_figure
from keras_training_kit.plotting.optimizer_study import plot_optimizer_study
from keras_training_kit.plotting.search_scatter import plot_search_scatter
from keras_training_kit.plotting.search_scatter import search_scatter_figure
from keras_training_kit.plotting.whitening import image_rows_figure
from keras_training_kit.plotting.whitening import plot_image_rows
from keras_training_kit.plotting.whitening import plot_whitening_stages
from keras_training_kit.plotting.whitening import whitening_stages_figure

# The public API, in the order of its page of the API reference.
__all__ = [
    "plot_training_curves",
    "training_curves_figure",
    "plot_activation_histograms",
    "activation_histograms_figure",
    "histogram",
    "plot_activation_curves",
    "activation_curves_figure",
    "save_activation_figures",
    "activation_histogram_rows",
    "plot_diagnosis",
    "diagnosis_figure",
    "plot_init_study",
    "init_study_figure",
    "plot_optimizer_study",
    "optimizer_study_figure",
    "plot_lr_finder",
    "lr_finder_figure",
    "plot_search_scatter",
    "search_scatter_figure",
    "plot_augmentation_grid",
    "augmentation_grid_figure",
    "plot_whitening_stages",
    "whitening_stages_figure",
    "plot_image_rows",
    "image_rows_figure",
]
