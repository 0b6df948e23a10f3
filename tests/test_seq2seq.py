"""``tf.contrib.seq2seq``'s decoding loop, helpers and BasicDecoder (TF 1.15's behaviour): what
``dynamic_decode`` computes equals the same cell and output layer unrolled step by step with
plain ops (outputs, final state, lengths, gradients), and the helpers feed and finish rows as
TF1's do."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.contrib import seq2seq
from tests.harness import TARGETS, check_gradient

RS = np.random.RandomState(5)
B, T, V, E, H = 3, 5, 7, 4, 6
IDS = RS.randint(0, V, (B, T))
LENGTHS = np.array([5, 3, 1], np.int32)


def _model(scale: float = 1.0) -> tuple[Any, ...]:
    emb = gf.get_variable("emb", initializer=RS.randn(V, E) * scale)
    cell = gf.nn.rnn_cell.GRUCell(H, dtype=gf.float64)
    proj = gf.layers.Dense(V, name="out")
    return emb, cell, proj


def _unrolled(cell: Any, proj: Any, inputs: list[Any], state: Any) -> tuple[list[Any], Any]:
    """The cell and output layer called once a step, in Python: the same maths as the loop."""
    outs = []
    for x in inputs:
        h, state = cell(x, state)
        outs.append(proj(h))
    return outs, state


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("impute", [False, True])
def test_training_decoder_equals_the_unrolled_cell(impute: bool, device: str) -> None:
    with gf.Graph().as_default():
        emb, cell, proj = _model()
        ids = gf.placeholder(gf.int32, [None, T])
        lengths = gf.placeholder(gf.int32, [None])
        inputs = gf.nn.embedding_lookup(emb, ids)
        init = cell.zero_state(gf.shape(ids)[0], gf.float64)
        decoder = seq2seq.BasicDecoder(cell, seq2seq.TrainingHelper(inputs, lengths), init, output_layer=proj)
        out, state, seq_lengths = seq2seq.dynamic_decode(decoder, impute_finished=impute)
        assert out.rnn_output.shape.as_list() == [None, None, V] and out.sample_id.dtype == gf.int32
        steps = gf.unstack(inputs, T, axis=1)
        ref_outs, _ = _unrolled(cell, proj, steps, init)
        ref = gf.stack(ref_outs, 1)
        mask = gf.sequence_mask(lengths, T, dtype=gf.float64)[:, :, None]
        ref_masked = ref * mask if impute else ref
        # the final state: each row's state at its length (impute) or at the loop's last step
        states = [init]
        s = init
        for x in steps:
            _, s = cell(x, s)
            states.append(s)
        ref_state = gf.gather_nd(gf.stack(states, 1), gf.stack([gf.range(gf.shape(ids)[0]),
                                                                lengths if impute else
                                                                gf.fill([gf.shape(ids)[0]], gf.reduce_max(lengths))], 1))
        loss = gf.reduce_sum(out.rnn_output ** 2 * mask) + gf.reduce_sum(state ** 3)
        ref_loss = gf.reduce_sum(ref_masked[:, :T] ** 2 * mask) + gf.reduce_sum(ref_state ** 3)
        variables = gf.trainable_variables()
        grads, ref_grads = gf.gradients(loss, variables), gf.gradients(ref_loss, variables)
        with gf.Session(device=device) as sess:
            sess.run(gf.global_variables_initializer())
            got, want = sess.run([(out, state, seq_lengths, grads), (ref_masked, ref_state, ref_grads)],
                                 {ids: IDS, lengths: LENGTHS})
    (o, st, sl, g), (r, rs, rg) = got, want
    np.testing.assert_array_equal(sl, LENGTHS)
    assert o.rnn_output.shape == (B, LENGTHS.max(), V)
    np.testing.assert_allclose(o.rnn_output, r[:, :LENGTHS.max()], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(o.sample_id, np.argmax(o.rnn_output, -1))
    np.testing.assert_allclose(st, rs, rtol=1e-12)
    for a, b_ in zip(g, rg):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b_), rtol=1e-10, atol=1e-12)
    assert [v.name for v in variables] == ["emb:0", "decoder/gru_cell/gates/kernel:0", "decoder/gru_cell/gates/bias:0",
                                           "decoder/gru_cell/candidate/kernel:0",
                                           "decoder/gru_cell/candidate/bias:0", "decoder/out/kernel:0",
                                           "decoder/out/bias:0"]


class _ConstantCell(gf.nn.rnn_cell.RNNCell):
    """h' = tanh(x W + h U) with constant weights (central differences run no initializer)."""

    def __init__(self) -> None:
        super().__init__()
        self.w, self.u = gf.constant(RS.randn(2, 3)), gf.constant(RS.randn(3, 3) * 0.5)

    @property
    def state_size(self) -> int:
        return 3

    @property
    def output_size(self) -> int:
        return 3

    def call(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        h = gf.tanh(gf.matmul(inputs, self.w) + gf.matmul(state, self.u))
        return h, h


def test_decoder_gradient_matches_central_differences() -> None:
    """float64 central differences through the loop: inputs [B, T, E] to the decoded outputs."""
    def fn(x: Any) -> Any:
        cell = _ConstantCell()
        helper = seq2seq.TrainingHelper(x, gf.constant([3, 2]))
        out, state, _ = seq2seq.dynamic_decode(seq2seq.BasicDecoder(cell, helper, cell.zero_state(2, gf.float64)),
                                               impute_finished=True)
        return gf.reduce_sum(out.rnn_output * gf.sin(out.rnn_output)) + gf.reduce_sum(state)
    with gf.Graph().as_default():
        check_gradient(fn, [RS.randn(2, 3, 2)])


def _greedy(maximum_iterations: int, end_token: int, impute: bool = False) -> tuple[Any, ...]:
    emb, cell, proj = _model(scale=3.0)
    start = gf.placeholder(gf.int32, [None])
    init = cell.zero_state(gf.shape(start)[0], gf.float64)
    helper = seq2seq.GreedyEmbeddingHelper(emb, start, end_token)
    out, _, lengths = seq2seq.dynamic_decode(seq2seq.BasicDecoder(cell, helper, init, output_layer=proj),
                                             maximum_iterations=maximum_iterations, impute_finished=impute)
    # unrolled: feed back the argmax for maximum_iterations steps, finishing nothing
    x, s, ref = gf.nn.embedding_lookup(emb, start), init, []
    for _ in range(maximum_iterations):
        h, s = cell(x, s)
        logits = proj(h)
        ref.append(logits)
        x = gf.nn.embedding_lookup(emb, gf.cast(gf.argmax(logits, -1), gf.int32))
    return start, out, lengths, gf.stack(ref, 1)


def test_greedy_decoding_finishes_rows_at_the_end_token() -> None:
    starts = np.arange(6, dtype=np.int32)
    with gf.Graph().as_default():
        gf.set_random_seed(1)
        start, out, lengths, ref = _greedy(8, end_token=2)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            o, ln, r = sess.run([out, lengths, ref], {start: starts})
    ids = np.argmax(r, -1)
    is_end = ids == 2
    first = np.where(is_end.any(1), is_end.argmax(1) + 1, 8)  # a row's length: its first end token, inclusive
    np.testing.assert_array_equal(ln, first)
    assert len(set(first.tolist())) > 1, "the case should finish rows at different steps"
    steps = first.max()
    assert o.sample_id.shape == (6, steps)
    np.testing.assert_array_equal(o.sample_id, ids[:, :steps])  # finished rows go on (impute_finished=False)
    np.testing.assert_allclose(o.rnn_output, r[:, :steps], rtol=1e-12)


def test_maximum_iterations_and_impute_finished_with_greedy_decoding() -> None:
    with gf.Graph().as_default():
        gf.set_random_seed(1)
        start, out, lengths, ref = _greedy(3, end_token=2, impute=True)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            o, ln, r = sess.run([out, lengths, ref], {start: np.arange(6, dtype=np.int32)})
    ids = np.argmax(r, -1)
    is_end = ids == 2
    first = np.where(is_end.any(1), is_end.argmax(1) + 1, 3)
    np.testing.assert_array_equal(ln, first)
    assert o.rnn_output.shape == (6, 3, V)
    live = np.arange(3)[None, :] < first[:, None]
    np.testing.assert_allclose(o.rnn_output[live], r[live], rtol=1e-12)
    assert not o.rnn_output[~live].any() and not o.sample_id[~live].any()  # zeros past a row's end


def test_sampling_and_scheduled_helpers() -> None:
    """Near-zero temperature samples the argmax; scheduled sampling at probability 0 is teacher
    forcing (sample ids -1), at probability 1 it feeds back every row's sample."""
    with gf.Graph().as_default():
        gf.set_random_seed(2)
        emb, cell, proj = _model(scale=3.0)
        start = gf.constant(np.arange(4, dtype=np.int32))
        init = cell.zero_state(4, gf.float64)
        greedy = seq2seq.GreedyEmbeddingHelper(emb, start, V + 1)  # an end token never drawn: runs 4 steps
        sample = seq2seq.SampleEmbeddingHelper(emb, start, V + 1, softmax_temperature=1e-9, seed=4)
        outs = [seq2seq.dynamic_decode(seq2seq.BasicDecoder(cell, h, init, proj), maximum_iterations=4)[0]
                for h in (greedy, sample)]
        ids = gf.constant(IDS[:, :4].repeat(2, 0)[:4])
        inputs = gf.nn.embedding_lookup(emb, ids)
        lens = gf.constant([4, 4, 2, 3])
        teacher = seq2seq.TrainingHelper(inputs, lens)
        never = seq2seq.ScheduledEmbeddingTrainingHelper(inputs, lens, emb, 0.0, seed=1)
        always = seq2seq.ScheduledEmbeddingTrainingHelper(inputs, lens, emb, gf.constant([1.0, 1.0, 1.0, 1.0]),
                                                          seed=1)
        sched = [seq2seq.dynamic_decode(seq2seq.BasicDecoder(cell, h, init, proj))[0] for h in (teacher, never, always)]
        # with probability 1 the next input is the embedding of the sampled id: unrolled from the sample ids
        x, s, ref = inputs[:, 0], init, []
        for t in range(4):
            h, s = cell(x, s)
            ref.append(proj(h))
            if t < 3:
                x = gf.nn.embedding_lookup(emb, sched[2].sample_id[:, t])
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            (g, smp), (tch, nev, alw), r = sess.run([outs, sched, gf.stack(ref, 1)])
    np.testing.assert_array_equal(smp.sample_id, g.sample_id)
    np.testing.assert_allclose(nev.rnn_output, tch.rnn_output, rtol=1e-12)
    assert (nev.sample_id == -1).all() and (alw.sample_id >= 0).all() and (alw.sample_id < V).all()
    np.testing.assert_allclose(alw.rnn_output, r, rtol=1e-12)


def test_output_and_inference_helpers_feed_outputs_back() -> None:
    """ScheduledOutputTrainingHelper at probability 1 and InferenceHelper both feed each step's
    outputs to the next: the same as the unrolled loop doing so."""
    with gf.Graph().as_default():
        cell = gf.nn.rnn_cell.BasicRNNCell(E, dtype=gf.float64)
        x0 = gf.constant(RS.randn(2, 3, E))
        init = cell.zero_state(2, gf.float64)
        scheduled = seq2seq.ScheduledOutputTrainingHelper(x0, [3, 3], 1.0)
        inference = seq2seq.InferenceHelper(lambda o: o, [E], gf.float64, x0[:, 0],
                                            end_fn=lambda s: gf.reduce_all(gf.abs(s) > 10.0, -1))
        outs = [seq2seq.dynamic_decode(seq2seq.BasicDecoder(cell, h, init), maximum_iterations=3)[0].rnn_output
                for h in (scheduled, inference)]
        x, s, ref = x0[:, 0], init, []
        for _ in range(3):
            x, s = cell(x, s)
            ref.append(x)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            a, b, r = sess.run(outs + [gf.stack(ref, 1)])
    np.testing.assert_allclose(a, r, rtol=1e-12)
    np.testing.assert_allclose(b, r, rtol=1e-12)


def test_custom_helper() -> None:
    with gf.Graph().as_default():
        cell = gf.nn.rnn_cell.BasicRNNCell(2, dtype=gf.float64)
        x = gf.constant(np.ones((3, 2)))
        helper = seq2seq.CustomHelper(lambda: (gf.constant([False, False, False]), x),
                                      lambda time, outputs, state: gf.cast(gf.argmax(outputs, -1), gf.int32),
                                      lambda time, outputs, state, sample_ids: (gf.fill([3], time >= 1), outputs,
                                                                                state))
        with pytest.raises(ValueError, match="after initialize"):
            helper.batch_size
        out, _, lengths = seq2seq.dynamic_decode(seq2seq.BasicDecoder(cell, helper, cell.zero_state(3, gf.float64)))
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            o, ln = sess.run([out, lengths])
    np.testing.assert_array_equal(ln, [2, 2, 2])
    assert o.rnn_output.shape == (3, 2, 2)


def test_bad_arguments_say_what_was_expected() -> None:
    with gf.Graph().as_default():
        cell = gf.nn.rnn_cell.BasicRNNCell(2)
        x = gf.zeros([3, 4, 2])
        with pytest.raises(ValueError, match="sequence_length to be a vector"):
            seq2seq.TrainingHelper(x, [[1, 2, 3]])
        with pytest.raises(ValueError, match="start_tokens must be a vector"):
            seq2seq.GreedyEmbeddingHelper(gf.zeros([5, 2]), [[1]], 0)
        with pytest.raises(ValueError, match="end_token must be a scalar"):
            seq2seq.GreedyEmbeddingHelper(gf.zeros([5, 2]), [1], [0])
        with pytest.raises(TypeError, match="Helper"):
            seq2seq.BasicDecoder(cell, "helper", cell.zero_state(3, gf.float32))
        with pytest.raises(TypeError, match="expects a Decoder"):
            seq2seq.dynamic_decode(cell)
        with pytest.raises(ValueError, match="sampling_probability must be a scalar or a vector"):
            seq2seq.ScheduledEmbeddingTrainingHelper(x, [4, 4, 4], gf.zeros([5, 2]), [[0.5]])


def test_a_decoder_written_against_tf1s_internal_modules() -> None:
    """A custom Decoder as TF1-era speech projects write theirs: imported from
    ``tensorflow.contrib.seq2seq.python.ops``, checking its cell and output layer with
    ``rnn_cell_impl`` and ``layers.base``, sizing outputs with ``tensor_shape`` and the layer's
    ``_compute_output_shape``, and an extra output per step."""
    import collections

    from graphflow.contrib.seq2seq.python.ops import decoder
    from graphflow.contrib.seq2seq.python.ops import helper as helper_py
    from graphflow.python.framework import ops, tensor_shape
    from graphflow.python.layers import base as layers_base
    from graphflow.python.ops import rnn_cell_impl
    from graphflow.python.util import nest

    Out = collections.namedtuple("Out", ("rnn_output", "stop", "sample_id"))

    class StopDecoder(decoder.Decoder):
        def __init__(self, cell: Any, helper: Any, initial_state: Any, output_layer: Any) -> None:
            rnn_cell_impl.assert_like_rnncell("cell", cell)
            assert isinstance(helper, helper_py.Helper) and isinstance(output_layer, layers_base.Layer)
            self.cell, self.helper, self.initial, self.layer = cell, helper, initial_state, output_layer
            self.stop = gf.layers.Dense(1, name="stop")

        @property
        def batch_size(self) -> Any:
            return self.helper.batch_size

        def _size(self) -> Any:
            shapes = nest.map_structure(lambda s: tensor_shape.TensorShape([None]).concatenate(s), self.cell.output_size)
            return nest.map_structure(lambda s: s[1:], self.layer._compute_output_shape(shapes))

        @property
        def output_size(self) -> Any:
            return Out(self._size(), tensor_shape.TensorShape([1]), self.helper.sample_ids_shape)

        @property
        def output_dtype(self) -> Any:
            return Out(nest.flatten(self.initial)[0].dtype, gf.float64, self.helper.sample_ids_dtype)

        def initialize(self, name: Any = None) -> Any:
            return self.helper.initialize() + (self.initial,)

        def step(self, time: Any, inputs: Any, state: Any, name: Any = None) -> Any:
            with ops.name_scope(name, "StopDecoderStep", (time, inputs, state)):
                out, cell_state = self.cell(inputs, state)
                stop = gf.sigmoid(self.stop(out))
                out = self.layer(out)
                ids = self.helper.sample(time=time, outputs=out, state=cell_state)
                finished, nxt, nstate = self.helper.next_inputs(time=time, outputs=out, state=cell_state,
                                                                sample_ids=ids)
            return Out(out, stop, ids), nstate, nxt, finished

    lengths = np.array([4, 2, 3], np.int32)
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 4, 2])
        cell = gf.nn.rnn_cell.LSTMCell(5, dtype=gf.float64)
        helper = seq2seq.TrainingHelper(x, lengths)
        dec = StopDecoder(cell, helper, cell.zero_state(gf.shape(x)[0], gf.float64), gf.layers.Dense(2, name="proj"))
        outs, _, seq_lengths = seq2seq.dynamic_decode(dec, impute_finished=True, maximum_iterations=10)
        assert outs.stop.shape.as_list() == [3, None, 1]  # (the batch: the lengths given)
        loss = gf.reduce_mean((outs.rnn_output - x) ** 2) + gf.reduce_mean(outs.stop)
        train = gf.train.AdamOptimizer(0.02).minimize(loss)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            xv = RS.randn(3, 4, 2)
            losses = [sess.run([loss, train], {x: xv})[0] for _ in range(30)]
            o, sl = sess.run([outs, seq_lengths], {x: xv})
    assert losses[-1] < 0.7 * losses[0], losses
    np.testing.assert_array_equal(sl, lengths)
    assert o.rnn_output.shape == (3, 4, 2) and o.stop.shape == (3, 4, 1)
    past = np.arange(4)[None, :] >= lengths[:, None]
    assert not o.stop[past].any() and (o.stop[~past] > 0).all()  # impute_finished: zeros past each row's end
