"""``tf.contrib``: the parts TF1 tutorials import (``contrib.rnn``, ``contrib.layers``), following
TF 1.15's documentation (no TF 2.x has contrib)."""
from graphflow.tf1.contrib import (
                                   data,
                                   distributions,
                                   framework,
                                   keras,
                                   layers,
                                   learn,
                                   legacy_seq2seq,
                                   rnn,
                                   seq2seq,
                                   slim,
                                   training,
)

__all__ = ["data", "distributions", "framework", "keras", "layers", "learn", "legacy_seq2seq", "rnn", "seq2seq",
           "slim", "training"]
