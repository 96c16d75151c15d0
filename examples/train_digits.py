"""Train a CNN with batch normalization and dropout on the embedded digits set.

The same job as `ktk train --normalization batch --dropout 0.2`, in Python.
Run: python examples/train_digits.py
"""

import keras

from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn
from keras_training_kit.models import compile_classifier

keras.utils.set_random_seed(0)
data = load_dataset("digits", validation_split=0.1, seed=0)
train = data.train.cache().shuffle(2048, seed=0).batch(32).prefetch(-1)
validation = data.validation.batch(256)
test = data.test.batch(256)

model = build_cnn(
    data.input_shape,
    data.num_classes,
    filters=(32, 64),
    normalization="batch",
    dropout=0.2,
    l2=1e-4,
)
compile_classifier(model, optimizer="adam", learning_rate=1e-3)
model.fit(train, validation_data=validation, epochs=20, verbose=2)
loss, accuracy = model.evaluate(test, verbose=0)
print(f"test accuracy: {accuracy:.4f}")
