"""Babysitting the learning process: sanity checks and the initialization study."""
