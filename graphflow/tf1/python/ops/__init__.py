"""``tensorflow.python.ops``: the internal op modules TF1 scripts import from (``from
tensorflow.python.ops import math_ops``), as views of graphflow's public namespace."""
