"""``tf.contrib.legacy_seq2seq`` (TF 1.15): sequence-to-sequence models over static lists of
steps (``seq2seq``) and their losses (``loss``). TF's module path
``tf.contrib.legacy_seq2seq.python.ops.seq2seq`` names this package (graphflow/public_paths.py)."""
from graphflow.tf1.contrib.legacy_seq2seq.loss import model_with_buckets, sequence_loss, sequence_loss_by_example
from graphflow.tf1.contrib.legacy_seq2seq.seq2seq import (
    attention_decoder,
    basic_rnn_seq2seq,
    embedding_attention_decoder,
    embedding_attention_seq2seq,
    embedding_rnn_decoder,
    embedding_rnn_seq2seq,
    embedding_tied_rnn_seq2seq,
    one2many_rnn_seq2seq,
    rnn_decoder,
    tied_rnn_seq2seq,
)

__all__ = ["attention_decoder", "basic_rnn_seq2seq", "embedding_attention_decoder", "embedding_attention_seq2seq",
           "embedding_rnn_decoder", "embedding_rnn_seq2seq", "embedding_tied_rnn_seq2seq", "model_with_buckets",
           "one2many_rnn_seq2seq", "rnn_decoder", "sequence_loss", "sequence_loss_by_example", "tied_rnn_seq2seq"]
