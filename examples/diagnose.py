"""When the loss does not go down: `diagnose` a model, apply the advice.

Eight sigmoid layers on digits: the backpropagated gradient shrinks ~1e5x
on its way to the first layer, so the first layers barely learn. The
diagnosis says so and its finding carries the fix as `build_mlp`
arguments (`finding.fix`); the model rebuilt with it has no finding, and a
few epochs of each show the difference.

    python examples/diagnose.py            # or: ktk diagnose --model mlp ...
"""

import keras

from keras_training_kit.babysitting import diagnose
from keras_training_kit.cli.diagnose import examples
from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_mlp
from keras_training_kit.models import compile_classifier
from keras_training_kit.plotting import plot_diagnosis

data = load_dataset("digits", seed=0)
x, y = examples(data, 1024)
x_train, y_train = x[:896], y[:896]
x_val, y_val = x[896:], y[896:]

options = dict(activation="sigmoid")
for name in ("broken", "fixed"):
    keras.utils.set_random_seed(0)
    model = compile_classifier(
        build_mlp(data.input_shape, data.num_classes, (128,) * 8, **options)
    )
    diagnosis = diagnose(model, x_train, y_train, batch_size=32)
    print(f"--- {name}: {options}")
    print(diagnosis)
    print(plot_diagnosis(diagnosis.to_dict(), f"diagnosis_{name}.png", name))
    model.fit(x_train, y_train, batch_size=32, epochs=5, verbose=0)
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    print(f"{name}: validation accuracy after 5 epochs {accuracy:.3f}\n")
    if diagnosis.findings:
        # {"activation": "relu", "kernel_initializer": "he_normal"}
        options = {**options, **diagnosis.findings[0].fix}
