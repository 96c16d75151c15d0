"""Hyperparameter search: hypermodels, coarse-to-fine, LR range test, reports.

The hypermodels are KerasTuner hypermodels; the pruners decide as Optuna's.
"""

from keras_training_kit.tuning.coarse_to_fine import coarse_to_fine_search
from keras_training_kit.tuning.coarse_to_fine import narrow_ranges
from keras_training_kit.tuning.hypermodel import TrainingHyperModel
from keras_training_kit.tuning.hypermodel import log_grid
from keras_training_kit.tuning.lr_finder import LRFinder
from keras_training_kit.tuning.lr_finder import LRFinderResult
from keras_training_kit.tuning.lr_suggestions import SUGGESTIONS
from keras_training_kit.tuning.lr_suggestions import suggest_learning_rate
from keras_training_kit.tuning.lr_suggestions import suggest_learning_rates
from keras_training_kit.tuning.progress import TrialProgress
from keras_training_kit.tuning.pruners import PRUNERS
from keras_training_kit.tuning.pruners import MedianPruner
from keras_training_kit.tuning.pruners import PruningHistory
from keras_training_kit.tuning.pruners import SuccessiveHalvingPruner
from keras_training_kit.tuning.pruners import make_pruner
from keras_training_kit.tuning.report import format_results
from keras_training_kit.tuning.report import read_results_csv
from keras_training_kit.tuning.report import results_table
from keras_training_kit.tuning.report import write_results_csv
from keras_training_kit.tuning.search import STRATEGIES
from keras_training_kit.tuning.search import search
from keras_training_kit.tuning.search_result import EdgeOfRangeWarning
from keras_training_kit.tuning.search_result import SearchResult
from keras_training_kit.tuning.search_result import check_edges
from keras_training_kit.tuning.trials import SearchError
from keras_training_kit.tuning.tuners import make_objective
from keras_training_kit.tuning.tuners import make_tuner

# The public API, in the order of its page of the API reference.
__all__ = [
    "TrainingHyperModel",
    "log_grid",
    "search",
    "STRATEGIES",
    "SearchResult",
    "SearchError",
    "EdgeOfRangeWarning",
    "check_edges",
    "coarse_to_fine_search",
    "narrow_ranges",
    "make_tuner",
    "make_objective",
    "make_pruner",
    "PRUNERS",
    "MedianPruner",
    "SuccessiveHalvingPruner",
    "PruningHistory",
    "TrialProgress",
    "LRFinder",
    "LRFinderResult",
    "suggest_learning_rate",
    "suggest_learning_rates",
    "SUGGESTIONS",
    "results_table",
    "format_results",
    "write_results_csv",
    "read_results_csv",
]
