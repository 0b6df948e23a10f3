"""``tensorflow.examples``: the modules TF1's tutorials import (``tutorials.mnist``)."""
