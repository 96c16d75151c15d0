"""Maxout and ParametricELU networks, initialized with Kaiming/Xavier and LSUV.

Trains two small MLPs on the embedded digits data set for a few epochs:
a maxout network from `build_mlp(activation="maxout")` initialized with
LSUV, and a PELU network with Kaiming-initialized kernels.

    python examples/maxout_lsuv.py
"""

import keras
import numpy as np

from keras_training_kit.data import load_dataset
from keras_training_kit.initializers import KaimingNormal
from keras_training_kit.initializers import calculate_gain
from keras_training_kit.initializers import lsuv_initialize
from keras_training_kit.layers import ParametricELU
from keras_training_kit.models import build_mlp
from keras_training_kit.models import compile_classifier

keras.utils.set_random_seed(0)
data = load_dataset("digits", seed=0)
train = data.train.batch(64)
validation = data.validation.batch(256)
probe = np.concatenate([x for x, _ in data.train.batch(256).take(1)])

# Maxout: Dense(128 * 3) -> Maxout(128), twice; then LSUV on a probe batch.
maxout_net = build_mlp(
    data.input_shape,
    data.num_classes,
    (128, 128),
    activation="maxout",
    maxout_pieces=3,
)
for entry in lsuv_initialize(maxout_net, probe, seed=0):
    print(
        f"LSUV {entry['layer']:16} {entry['iterations']} rescalings, "
        f"output std {entry['std']:.3f}"
    )

# ParametricELU with a Kaiming kernel (the gain of an ELU-like unit ~ ReLU's).
print("gain(relu) =", calculate_gain("relu"))
inputs = keras.Input(data.input_shape)
x = keras.layers.Flatten()(inputs)
for units in (128, 128):
    x = keras.layers.Dense(units, kernel_initializer=KaimingNormal(seed=units))(
        x
    )
    x = ParametricELU()(x)
pelu_net = keras.Model(inputs, keras.layers.Dense(data.num_classes)(x))

for name, model in (
    ("maxout + LSUV", maxout_net),
    ("PELU + Kaiming", pelu_net),
):
    compile_classifier(model, optimizer="adam", learning_rate=1e-3)
    history = model.fit(train, validation_data=validation, epochs=5, verbose=0)
    print(
        f"{name}: validation accuracy {history.history['val_accuracy'][-1]:.3f}"
    )
