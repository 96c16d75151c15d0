"""Initializers: gain table, Kaiming/Xavier, LSUV, patch-whitening kernels."""
