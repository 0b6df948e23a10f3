"""``tf.contrib``: the parts TF1 tutorials import (``contrib.rnn``, ``contrib.layers``), following
TF 1.15's documentation (no TF 2.x has contrib)."""
from graphflow.tf1.contrib import distributions, framework, layers, learn, rnn, seq2seq, slim

__all__ = ["distributions", "framework", "layers", "learn", "rnn", "seq2seq", "slim"]
