"""`ktk train`'s defaults in Python: the CNN to >= 99% on digits in seconds.

Batch normalization whose running statistics settle within a short run
(`batch_norm_momentum=0.9`), Adam with a one-cycle schedule peaking at 5e-3
(and its beta_1 cycled), 5 epochs of batches of 64 on the whole training
split: the same job as `ktk train`.
Run: python examples/train_digits.py
"""

import keras

from keras_training_kit.data import load_dataset
from keras_training_kit.models import build_cnn
from keras_training_kit.models import compile_classifier
from keras_training_kit.optimizers import build_optimizer
from keras_training_kit.schedules import OneCycle
from keras_training_kit.schedules import OneCycleMomentum

EPOCHS, BATCH_SIZE, PEAK = 5, 64, 5e-3

keras.utils.set_random_seed(0)
data = load_dataset("digits", validation_split=0.0, seed=0)
train = data.train.cache().shuffle(2048, seed=0).batch(BATCH_SIZE).prefetch(-1)
test = data.test.batch(256)

model = build_cnn(
    data.input_shape,
    data.num_classes,
    normalization="batch",
    batch_norm_momentum=0.9,
)
schedule = OneCycle(PEAK, EPOCHS * int(train.cardinality()))
compile_classifier(model, optimizer=build_optimizer("adam", schedule))
model.fit(
    train,
    epochs=EPOCHS,
    shuffle=False,  # `train` shuffles itself
    callbacks=[OneCycleMomentum(schedule)],
    verbose=2,
)
loss, accuracy = model.evaluate(test, verbose=0)
print(f"test accuracy: {accuracy:.4f}")
