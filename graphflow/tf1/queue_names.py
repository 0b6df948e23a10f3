"""The queue-based input pipeline's names at TF1's top level (tf.FIFOQueue, tf.TextLineReader,
tf.decode_csv...)."""
TOP_LEVEL: dict[str, object] = {}
