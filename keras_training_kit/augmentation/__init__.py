"""A label-aware `tf.data` augmentation pipeline over Keras' random layers."""
