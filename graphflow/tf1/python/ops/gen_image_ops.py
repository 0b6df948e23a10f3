"""``from tensorflow.python.ops import gen_image_ops``: graphflow's tf.image functions under TF1's
generated-op module (``resize_bilinear``, ``decode_jpeg``...)."""
from graphflow.tf1.python._view import view

view(__name__, 'image', '')
