"""Hyperparameter search: KerasTuner hypermodels, coarse-to-fine, LR range test, reports."""
