"""tf.contrib.seq2seq's attention (TF 1.15): Bahdanau (plain, normalized) and Luong (plain,
scaled) mechanisms and AttentionWrapper, stepped in a Python loop and inside dynamic_rnn, against
the same maths in numpy from the session's variable values (memory masking, attention layer or
none, output_attention False, alignment history, several mechanisms); TF1's variable names;
float64 gradients against central differences; clear errors on bad inputs.

Few graphs on purpose (each compiles native code): one graph holds every configuration, one
the gradient check."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.tf1.contrib.seq2seq.attention_wrapper import (
    AttentionWrapper,
    AttentionWrapperState,
    BahdanauAttention,
    LuongAttention,
    hardmax,
    safe_cumprod,
)
from tests.harness import CUDA_PASS, TARGETS
from tests.tolerances import GRAD, GRAD_DELTA, value_tol

B, T, D, X, H, STEPS = 2, 4, 3, 3, 6, 3  # batch, memory time, memory depth, input depth, cell units, steps
LENGTHS = [4, 2]
RS = np.random.RandomState(7)
MEMORY = RS.standard_normal((B, T, D))
INPUTS = RS.standard_normal((B, STEPS, X))

# tag: (mechanisms as (kind, normalize/scale, num_units, masked), attention_layer_size, output_attention, history)
CONFIGS: dict[str, tuple[list[tuple[str, bool, int, bool]], Any, bool, bool]] = {
    "a": ([("bahdanau", False, 5, True)], 7, True, True),
    "b": ([("bahdanau", True, 5, False)], None, False, False),
    "c": ([("luong", False, H, True)], 5, True, False),
    "d": ([("luong", True, H, True)], None, False, True),
    "e": ([("bahdanau", True, 4, True), ("luong", True, H, True)], [4, 3], True, True),
}
DYNAMIC = ([("bahdanau", True, 5, True)], 4, True, False)  # run by dynamic_rnn
# run by dynamic_rnn with sequence lengths: finished rows emit zeros and keep their state, while the
# step count and the alignment history (no rows to keep) go on, as TF1's dynamic_rnn does
DYNAMIC_LENGTHS = ([("luong", False, H, True)], None, True, True)
RNN_LENGTHS = [3, 2]


def _mechanism(kind: str, flag: bool, units: int, masked: bool, memory: gf.Tensor) -> Any:
    lengths = LENGTHS if masked else None
    if kind == "bahdanau":
        return BahdanauAttention(units, memory, memory_sequence_length=lengths, normalize=flag, dtype=gf.float64)
    return LuongAttention(units, memory, memory_sequence_length=lengths, scale=flag, dtype=gf.float64)


def _wrapper(config: tuple, memory: gf.Tensor) -> AttentionWrapper:
    specs, layer_size, output_attention, history = config
    mechs = [_mechanism(*s, memory) for s in specs]
    return AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), mechs if len(mechs) > 1 else mechs[0],
                            attention_layer_size=layer_size, output_attention=output_attention,
                            alignment_history=history)


def _as_list(x: Any, multi: bool) -> list:
    return list(x) if multi else [x]


def _build_and_run(device: str) -> dict:
    """Every configuration in one graph: initial values, then (after loading random values into
    every variable) the fetched results and the values loaded."""
    with gf.Graph().as_default():
        memory = gf.placeholder(gf.float64, [B, T, D])
        inputs = gf.placeholder(gf.float64, [B, STEPS, X])
        fetches: dict[str, Any] = {}
        for tag, config in CONFIGS.items():
            multi = len(config[0]) > 1
            with gf.variable_scope(tag):
                cell = _wrapper(config, memory)
                state = cell.zero_state(B, gf.float64)
                outs, aligns = [], []
                for t in range(STEPS):
                    out, state = cell(inputs[:, t], state)
                    outs.append(out)
                    aligns.append(_as_list(state.alignments, multi))
            fetches[tag] = {"outputs": outs, "alignments": aligns, "attention": state.attention, "time": state.time,
                            "history": [h.stack() for h in _as_list(state.alignment_history, multi)]
                            if config[3] else []}
        with gf.variable_scope("f"):
            cell = _wrapper(DYNAMIC, memory)
            outs_f, state_f = gf.nn.dynamic_rnn(cell, inputs, initial_state=cell.zero_state(B, gf.float64))
        fetches["f"] = {"outputs": outs_f, "alignments": state_f.alignments, "attention": state_f.attention,
                        "time": state_f.time}
        with gf.variable_scope("g"):
            cell = _wrapper(DYNAMIC_LENGTHS, memory)
            outs_g, state_g = gf.nn.dynamic_rnn(cell, inputs, sequence_length=RNN_LENGTHS,
                                                initial_state=cell.zero_state(B, gf.float64))
        fetches["g"] = {"outputs": outs_g, "attention": state_g.attention, "time": state_g.time,
                        "history": state_g.alignment_history.stack()}
        fetches["hardmax"] = hardmax(gf.constant([[0.5, 2.0, -1.0], [3.0, 3.0, 1.0]], gf.float64))
        fetches["cumprod"] = safe_cumprod(gf.constant([[0.5, 0.0, 0.25]], gf.float64), axis=1, exclusive=True)
        variables = gf.global_variables()
        names = [v.name.split(":")[0] for v in variables]
        with gf.Session(device=device) as sess:
            sess.run(gf.global_variables_initializer())
            initial = dict(zip(names, sess.run(variables)))
            rs = np.random.RandomState(3)
            loaded = {}
            for name, v in zip(names, variables):
                loaded[name] = 0.6 * rs.standard_normal(initial[name].shape)
                v.load(loaded[name], sess)
            got = sess.run(fetches, {memory: MEMORY, inputs: INPUTS})
    return {"names": names, "initial": initial, "values": loaded, "got": got}


_RUNS: dict[str, dict] = {}


@pytest.fixture(params=TARGETS)
def run(request: pytest.FixtureRequest) -> dict:
    if request.param not in _RUNS:
        _RUNS[request.param] = _build_and_run(request.param)
    return _RUNS[request.param]


# ---- the same maths in numpy --------------------------------------------------------------------

def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_wrapper(config: tuple, vals: dict, prefix: str, scope: str, inputs: np.ndarray) -> dict:
    """Outputs, alignments and the final attention of ``config``'s wrapper over ``inputs``, its
    variables ``vals[prefix + ...]`` (the wrapper's scope ``scope`` inside ``prefix``)."""
    specs, layer_size, output_attention, _ = config
    mask = np.arange(T)[None, :] < np.asarray(LENGTHS)[:, None]
    w = f"{scope}/attention_wrapper/"
    mechs = []
    for i, (kind, flag, _, masked) in enumerate(specs):
        values = MEMORY * mask[:, :, None] if masked else MEMORY
        suffix = f"_{i}" if i else ""
        keys = values @ vals[f"{prefix}memory_layer{suffix}/kernel"]
        mechs.append((kind, flag, masked, values, keys, f"{w}{kind}_attention/"))
    layer_sizes = [None] if layer_size is None else _as_list(layer_size, isinstance(layer_size, list))
    attention = np.zeros((B, sum(layer_sizes) if layer_size is not None else D * len(specs)))
    outs, aligns, attentions, h = [], [], [], np.zeros((B, H))
    for t in range(inputs.shape[1]):  # BasicRNNCell: h = tanh([cell inputs, h] W + b), cell inputs [x, attention]
        h = np.tanh(np.concatenate([inputs[:, t], attention, h], 1) @ vals[w + "basic_rnn_cell/kernel"]
                    + vals[w + "basic_rnn_cell/bias"])
        atts, step_aligns = [], []
        for i, (kind, flag, masked, values, keys, s) in enumerate(mechs):
            if kind == "bahdanau":
                v, pq = vals[s + "attention_v"], (h @ vals[s + "query_layer/kernel"])[:, None, :]
                if flag:
                    g, b = vals[s + "attention_g"], vals[s + "attention_b"]
                    score = np.sum(g * v / np.sqrt(np.sum(v * v)) * np.tanh(keys + pq + b), -1)
                else:
                    score = np.sum(v * np.tanh(keys + pq), -1)
            else:
                score = np.einsum("bd,btd->bt", h, keys) * (vals[s + "attention_g"] if flag else 1.0)
            a = _softmax(np.where(mask, score, -np.inf) if masked else score)
            context = np.einsum("bt,btd->bd", a, values)
            if layer_size is not None:
                kernel = vals[w + "attention_layer" + (f"_{i}" if i else "") + "/kernel"]
                atts.append(np.concatenate([h, context], 1) @ kernel)
            else:
                atts.append(context)
            step_aligns.append(a)
        attention = np.concatenate(atts, 1)
        attentions.append(attention)
        outs.append(attention if output_attention else h)
        aligns.append(step_aligns)
    return {"outputs": outs, "alignments": aligns, "attention": attention, "attentions": attentions}


TOL = value_tol("float64")


@pytest.mark.parametrize("tag", list(CONFIGS))
def test_wrapper_steps_match_numpy(run: dict, tag: str) -> None:
    got, config = run["got"][tag], CONFIGS[tag]
    want = _np_wrapper(config, run["values"], f"{tag}/", tag, INPUTS)
    for t in range(STEPS):
        np.testing.assert_allclose(got["outputs"][t], want["outputs"][t], **TOL, err_msg=f"output at step {t}")
        for k, (g, w) in enumerate(zip(got["alignments"][t], want["alignments"][t])):
            np.testing.assert_allclose(g, w, **TOL, err_msg=f"alignments of mechanism {k} at step {t}")
            np.testing.assert_allclose(g.sum(1), 1.0, **TOL)
            if config[0][k][3]:  # masked: no weight past each row's length
                assert np.all(g[1, LENGTHS[1]:] == 0) and np.all(g[0] > 0), g
    np.testing.assert_allclose(got["attention"], want["attention"], **TOL)
    out_depth = want["attention"].shape[1] if config[2] else H
    assert got["outputs"][0].shape == (B, out_depth)
    assert got["time"] == STEPS
    for k, stacked in enumerate(got["history"]):  # time-major [steps, batch, memory time]
        assert stacked.shape == (STEPS, B, T)
        np.testing.assert_allclose(stacked, np.stack([want["alignments"][t][k] for t in range(STEPS)]), **TOL)


def test_dynamic_rnn_matches_numpy(run: dict) -> None:
    got = run["got"]["f"]
    want = _np_wrapper(DYNAMIC, run["values"], "f/", "f/rnn", INPUTS)
    assert got["outputs"].shape == (B, STEPS, 4)
    np.testing.assert_allclose(got["outputs"], np.stack(want["outputs"], 1), **TOL)
    np.testing.assert_allclose(got["alignments"], want["alignments"][-1][0], **TOL)
    np.testing.assert_allclose(got["attention"], want["attention"], **TOL)
    assert got["time"] == STEPS


def test_dynamic_rnn_with_sequence_lengths_and_history_matches_numpy(run: dict) -> None:
    got = run["got"]["g"]
    want = _np_wrapper(DYNAMIC_LENGTHS, run["values"], "g/", "g/rnn", INPUTS)
    alive = np.arange(STEPS)[None, :] < np.asarray(RNN_LENGTHS)[:, None]
    np.testing.assert_allclose(got["outputs"], np.stack(want["outputs"], 1) * alive[:, :, None], **TOL)
    for b, length in enumerate(RNN_LENGTHS):  # a finished row keeps its attention from its last step
        np.testing.assert_allclose(got["attention"][b], want["attentions"][length - 1][b], **TOL)
    assert got["time"] == STEPS
    np.testing.assert_allclose(got["history"], np.stack([a[0] for a in want["alignments"]]), **TOL)


def test_variable_names_and_initial_values(run: dict) -> None:
    names = run["names"]
    assert [n for n in names if n.startswith("a/")] == [
        "a/memory_layer/kernel", "a/attention_wrapper/basic_rnn_cell/kernel",
        "a/attention_wrapper/basic_rnn_cell/bias", "a/attention_wrapper/bahdanau_attention/query_layer/kernel",
        "a/attention_wrapper/bahdanau_attention/attention_v", "a/attention_wrapper/attention_layer/kernel"]
    assert sorted(n for n in names if n.startswith("e/")) == sorted([
        "e/memory_layer/kernel", "e/memory_layer_1/kernel", "e/attention_wrapper/basic_rnn_cell/kernel",
        "e/attention_wrapper/basic_rnn_cell/bias", "e/attention_wrapper/bahdanau_attention/query_layer/kernel",
        "e/attention_wrapper/bahdanau_attention/attention_v", "e/attention_wrapper/bahdanau_attention/attention_g",
        "e/attention_wrapper/bahdanau_attention/attention_b", "e/attention_wrapper/attention_layer/kernel",
        "e/attention_wrapper/luong_attention/attention_g", "e/attention_wrapper/attention_layer_1/kernel"])
    assert [n for n in names if n.startswith("c/")] == [
        "c/memory_layer/kernel", "c/attention_wrapper/basic_rnn_cell/kernel", "c/attention_wrapper/basic_rnn_cell/bias",
        "c/attention_wrapper/attention_layer/kernel"]
    assert sorted(n for n in names if n.startswith("f/")) == sorted([
        "f/memory_layer/kernel", "f/rnn/attention_wrapper/basic_rnn_cell/kernel",
        "f/rnn/attention_wrapper/basic_rnn_cell/bias", "f/rnn/attention_wrapper/bahdanau_attention/query_layer/kernel",
        "f/rnn/attention_wrapper/bahdanau_attention/attention_v",
        "f/rnn/attention_wrapper/bahdanau_attention/attention_g",
        "f/rnn/attention_wrapper/bahdanau_attention/attention_b", "f/rnn/attention_wrapper/attention_layer/kernel"])
    init = run["initial"]
    assert init["e/memory_layer/kernel"].shape == (D, 4)
    assert init["e/attention_wrapper/attention_layer_1/kernel"].shape == (H + D, 3)
    np.testing.assert_allclose(init["b/attention_wrapper/bahdanau_attention/attention_g"], np.sqrt(1 / 5))
    np.testing.assert_array_equal(init["b/attention_wrapper/bahdanau_attention/attention_b"], np.zeros(5))
    assert init["d/attention_wrapper/luong_attention/attention_g"] == 1.0
    assert init["d/attention_wrapper/luong_attention/attention_g"].shape == ()
    assert all(v.dtype == np.float64 for v in init.values())


def test_hardmax_and_safe_cumprod(run: dict) -> None:
    np.testing.assert_array_equal(run["got"]["hardmax"], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    cumprod = run["got"]["cumprod"]  # exclusive: [1, x0, x0 x1], the zero clipped to the smallest normal
    np.testing.assert_allclose(cumprod[:, :2], [[1.0, 0.5]], rtol=1e-12)
    assert 0 < cumprod[0, 2] < 1e-300


@pytest.mark.parametrize("device", TARGETS)
def test_gradients_match_central_differences(device: str) -> None:
    """d loss / d memory and d loss / d inputs (the queries come from them through the cell)
    through two mechanisms, attention layers and the alignment history in a Python loop, and a
    wrapper in dynamic_rnn; and d loss / d the two scalar attention_g variables."""
    memory = gf.placeholder(gf.float64, [B, T, D])
    inputs = gf.placeholder(gf.float64, [B, 2, X])
    cell = _wrapper(([("bahdanau", True, 4, True), ("luong", True, H, True)], [4, 3], True, True), memory)
    state = cell.zero_state(B, gf.float64)
    outs = []
    for t in range(2):
        out, state = cell(inputs[:, t], state)
        outs.append(out)
    rs = np.random.RandomState(5)
    loss = gf.reduce_sum(gf.stack(outs) * rs.standard_normal((2, B, 7))) + \
        gf.reduce_sum(state.alignment_history[0].stack() * rs.standard_normal((2, B, T)))
    with gf.variable_scope("dyn"):
        dyn = _wrapper(([("bahdanau", False, 5, True)], None, False, False), memory)
        outs_d, state_d = gf.nn.dynamic_rnn(dyn, inputs, initial_state=dyn.zero_state(B, gf.float64))
    loss = loss + gf.reduce_sum(outs_d * rs.standard_normal((B, 2, H))) + \
        gf.reduce_sum(state_d.alignments * rs.standard_normal((B, T)))
    scalars = [v for v in gf.global_variables() if v.name.endswith("attention_g:0")]
    assert len(scalars) == 2
    trainable = cell.trainable_variables + dyn.trainable_variables
    assert len(trainable) == len(gf.trainable_variables()) == 16
    grads = gf.gradients(loss, [memory, inputs] + scalars + trainable)
    assert all(g is not None for g in grads)
    x = {memory: MEMORY, inputs: INPUTS[:, :2]}
    if CUDA_PASS and device == "cuda":  # the simulator: the same gradients as the CPU's (checked below)
        with gf.Session() as cpu:
            cpu.run(gf.global_variables_initializer())
            values, want = cpu.run([gf.global_variables(), grads], x)
        with gf.Session(device=device) as sess:
            sess.run(gf.global_variables_initializer())
            for v, value in zip(gf.global_variables(), values):
                v.load(value, sess)
            for g, w in zip(sess.run(grads, x), want):
                np.testing.assert_allclose(g, w, **value_tol("float64"))
        return
    with gf.Session(device=device) as sess:
        sess.run(gf.global_variables_initializer())
        got = sess.run(grads, x)
        for k, ph in enumerate([memory, inputs]):
            base = x[ph]
            num = np.zeros(base.size)
            for j in range(base.size):
                plus, minus = base.copy().reshape(-1), base.copy().reshape(-1)
                plus[j] += GRAD_DELTA
                minus[j] -= GRAD_DELTA
                num[j] = (sess.run(loss, {**x, ph: plus.reshape(base.shape)})
                          - sess.run(loss, {**x, ph: minus.reshape(base.shape)})) / (2 * GRAD_DELTA)
            np.testing.assert_allclose(got[k].reshape(-1), num, **GRAD, err_msg=f"gradient wrt input {k}")
        # masked memory steps do not reach the loss
        assert np.all(got[0][1, LENGTHS[1]:] == 0) and np.any(got[0][0, LENGTHS[1]:] != 0)
        for k, v in enumerate(scalars):
            g0 = float(sess.run(v))
            ends = []
            for step in (GRAD_DELTA, -GRAD_DELTA):
                v.load(g0 + step, sess)
                ends.append(sess.run(loss, x))
            v.load(g0, sess)
            np.testing.assert_allclose(got[2 + k], (ends[0] - ends[1]) / (2 * GRAD_DELTA), **GRAD)
    assert all(np.any(g != 0) for g in got[4:]), "every trainable variable gets a gradient"


def test_bad_inputs_raise_clear_errors() -> None:
    memory = gf.placeholder(gf.float32, [B, T, D])
    with pytest.raises(ValueError, match="rank 3"):
        BahdanauAttention(4, gf.placeholder(gf.float32, [B, D]))
    with pytest.raises(ValueError, match="fully defined inner dims"):
        LuongAttention(4, gf.placeholder(gf.float32, [B, T, None]))
    with pytest.raises(ValueError, match="the memory is float64 but the mechanism's dtype is float32"):
        BahdanauAttention(4, gf.placeholder(gf.float64, [B, T, D]))
    with pytest.raises(gf.errors.InvalidArgumentError, match="memory_sequence_length must be greater than zero"):
        BahdanauAttention(4, memory, memory_sequence_length=[0, 2])
    with pytest.raises(ValueError, match="batch sizes do not match"):
        LuongAttention(4, memory, memory_sequence_length=[1, 2, 3])
    luong = LuongAttention(5, memory)  # the cell's output (the query) has 6 units
    cell = AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), luong)
    with pytest.raises(ValueError, match=r"query .* has 6 units, the keys .* have 5"):
        cell(gf.zeros([B, X]), cell.zero_state(B, gf.float32))
    with pytest.raises(TypeError, match="AttentionWrapperState"):
        AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), luong)(gf.zeros([B, X]), gf.zeros([B, H]))
    with pytest.raises(TypeError, match="AttentionMechanism"):
        AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), memory)
    with pytest.raises(ValueError, match="one integer per attention mechanism, saw: 2 vs 1"):
        AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), luong, attention_layer_size=[3, 4])
    with pytest.raises(ValueError, match="only one of attention_layer_size and attention_layer"):
        AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), luong, attention_layer_size=3,
                         attention_layer=gf.layers.Dense(3))
    with pytest.raises(ValueError, match="non-matching batch sizes"):
        AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), luong).zero_state(B + 1, gf.float32)
    cell = AttentionWrapper(gf.nn.rnn_cell.BasicRNNCell(H), [luong, BahdanauAttention(4, memory)],
                            attention_layer_size=[2, 3], alignment_history=True)
    state = cell.zero_state(B, gf.float32)
    assert isinstance(state, AttentionWrapperState) and len(state.alignments) == 2
    assert cell.output_size == 5 and cell.state_size.attention == 5 and cell.state_size.alignments == (T, T)
    new = state.clone(cell_state=gf.ones([B, H]))
    assert new.cell_state.shape.as_list() == [B, H] and new.time is state.time
    with pytest.raises(ValueError, match="cell_state has shape"):
        state.clone(cell_state=gf.ones([B, H + 1]))
