"""``from tensorflow.python.ops import rnn_cell_impl``: the recurrent cells under TF1's internal
module, and its check that an object can be run as a cell."""
from __future__ import annotations

from graphflow.tf1.python._view import view

view(__name__, 'nn.rnn_cell')


def assert_like_rnncell(cell_name: object, cell: object) -> None:
    """Raise TypeError unless ``cell`` has what a cell needs: ``output_size``, ``state_size``,
    ``zero_state`` and a call."""
    missing = [a for a in ("output_size", "state_size", "zero_state") if not hasattr(cell, a)]
    if not callable(cell):
        missing.append("__call__")
    if missing:
        raise TypeError(f"The argument {cell_name!r} ({cell}) is not an RNNCell: it lacks {', '.join(missing)}")
