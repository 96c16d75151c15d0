"""The gradients of a model's compiled loss by each backend's own autodiff.

The references the gradient tests compare with: `tf.GradientTape`,
`jax.grad` of `stateless_compute_loss`, and PyTorch's `backward`.
"""

import keras
import numpy as np


def reference_gradients(model, x, y):
    """The gradients of the compiled loss by the backend's autodiff."""
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, y, model(x, training=True))
        return [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]
    if name == "jax":
        import jax

        def loss_fn(trainable, non_trainable):
            y_pred, _ = model.stateless_call(
                trainable, non_trainable, x, training=True
            )
            loss, _ = model.stateless_compute_loss(
                trainable, non_trainable, [], x, y, y_pred
            )
            return loss

        grads = jax.grad(loss_fn)(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
        )
        return [np.asarray(g) for g in grads]
    import torch

    model.zero_grad()
    loss = model.compute_loss(
        x, torch.as_tensor(y), model(torch.as_tensor(x), training=True)
    )
    loss.backward()
    return [v.value.grad.numpy() for v in model.trainable_variables]
