"""Augment the digits set: preview, train with `tf.data`, or in the model.

The same job as `ktk augment-preview --preset digits` followed by
`ktk train --model cnn --augment digits`, in Python.
Run: python examples/augmentation.py
"""

import time

import keras

from keras_training_kit.augmentation import AugmentationPipeline
from keras_training_kit.augmentation import preview
from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn
from keras_training_kit.models import compile_classifier

keras.utils.set_random_seed(0)
data = load_dataset("digits", validation_split=0.1, seed=0)

# 1. Look before training.
pipeline = AugmentationPipeline.from_preset("digits")
print(
    "preview:",
    preview(
        pipeline,
        data.train,
        "runs/example-augmentation-"
        f"{time.strftime('%Y%m%d-%H%M%S')}/preview.png",
    ),
)

# 2. Augment in tf.data (CPU workers, parallel, seeded); evaluation data is
#    only batched.
train = pipeline.apply(data.train.cache(), 32, seed=0)
validation = pipeline.apply(data.validation, 256, training=False)
test = pipeline.apply(data.test, 256, training=False)
model = compile_classifier(
    build_cnn(data.input_shape, data.num_classes, filters=(32, 64))
)
model.fit(train, validation_data=validation, epochs=15, verbose=2)
print(
    "tf.data augmentation, test accuracy: "
    f"{model.evaluate(test, verbose=0)[1]:.4f}"
)

# 3. MixUp mixes one-hot labels: train with a categorical loss.
mixup = AugmentationPipeline.from_preset(
    "digits", mixup=0.2, num_classes=data.num_classes
)
images, labels = next(iter(mixup.apply(data.train, 8, seed=0)))
print("mixed labels (rows sum to 1):", labels.numpy().round(2)[:2])

# 4. Or inside the model, on the accelerator, active only in `fit`.
inputs = keras.Input(data.input_shape)
outputs = build_cnn(data.input_shape, data.num_classes, filters=(32, 64))(
    pipeline.as_layer(seed=0)(inputs)
)
in_model = compile_classifier(keras.Model(inputs, outputs))
in_model.fit(
    data.train.cache().shuffle(2048, seed=0).batch(32), epochs=15, verbose=0
)
print(
    "in-model augmentation, test accuracy: "
    f"{in_model.evaluate(test, verbose=0)[1]:.4f}"
)
