"""``from tensorflow.python.platform import gfile, tf_logging, app, flags``: graphflow's."""
