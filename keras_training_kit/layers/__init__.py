"""Layers Keras lacks: Maxout, ParametricELU, Whitening."""
