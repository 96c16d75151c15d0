"""Callbacks for `model.fit`: activation statistics and babysitting guards."""
