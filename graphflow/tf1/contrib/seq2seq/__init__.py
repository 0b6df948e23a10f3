"""``tf.contrib.seq2seq`` (TF 1.15): decoders run by ``dynamic_decode`` as one native loop, the
helpers that feed them, attention, beam search, and ``sequence_loss``."""
# ruff: noqa: F401, I001
from graphflow.tf1.contrib.seq2seq.decoder import Decoder, dynamic_decode
from graphflow.tf1.contrib.seq2seq.loss import sequence_loss
from graphflow.tf1.contrib.seq2seq.helper import (CustomHelper, GreedyEmbeddingHelper, Helper, InferenceHelper,
                                                   SampleEmbeddingHelper, ScheduledEmbeddingTrainingHelper,
                                                   ScheduledOutputTrainingHelper, TrainingHelper)
from graphflow.tf1.contrib.seq2seq.basic_decoder import BasicDecoder, BasicDecoderOutput
from graphflow.tf1.contrib.seq2seq.attention_wrapper import (AttentionMechanism, AttentionWrapper,
                                                              AttentionWrapperState, BahdanauAttention,
                                                              LuongAttention, hardmax, safe_cumprod)
from graphflow.tf1.contrib.seq2seq.beam_search_decoder import (BeamSearchDecoder, BeamSearchDecoderOutput,
                                                                BeamSearchDecoderState, FinalBeamSearchDecoderOutput,
                                                                tile_batch)
from graphflow.tf1.contrib.seq2seq.beam_search_ops import gather_tree
