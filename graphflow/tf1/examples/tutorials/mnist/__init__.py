"""``tensorflow.examples.tutorials.mnist``: ``input_data`` (MNIST from local files) and ``mnist``
(the tutorial's two-hidden-layer model)."""
