"""tf.contrib.rnn's cells and wrappers (TF 1.15's, absent from every TF 2): their variable names
and shapes as TF 1.15 makes them, their outputs and states against the same maths in numpy
(float64, from the weights the graph made), their gradients against central differences along a
random direction, and the block cells against tf.compat.v1's LSTMCell / GRUCell with copied
weights."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
from tests.optional import need

RS = np.random.RandomState(0)
B, D, T = 2, 3, 3  # batch, input depth, steps


def sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


def ln(x: np.ndarray, g: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = x.mean(1, keepdims=True)
    v = x.var(1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-12) * g + b


def _run(make: Callable[[], Any], xs: np.ndarray, depth: int = D, runner: str = "static") -> tuple:
    """(weights by name, outputs [T, B, out], flat final state) of a fresh cell over ``xs``."""
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [len(xs), B, depth])
        cell = make()
        if runner == "static":
            outs, state = gf.nn.static_rnn(cell, gf.unstack(x), dtype=gf.float64)
            outs = gf.stack(outs)
        else:
            outs, state = gf.nn.dynamic_rnn(cell, x, dtype=gf.float64, time_major=True)
        flat = gf.nest.flatten(state)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            vs = gf.global_variables()
            w = dict(zip([v.name[:-2] for v in vs], s.run(vs)))
            o, st = s.run([outs, flat], {x: xs})
    return w, o, st


def _check_directional_gradient(make: Callable[[], Any], xs: np.ndarray, depth: int = D,
                                run: Callable[[Any, Any, Any], tuple] | None = None, fixed: str | None = None) -> None:
    """d<y, v> along a random direction of the inputs and of every weight (but those whose name
    has ``fixed``): symbolic against central differences (float64). ``run(cell, x, state0)``:
    (outputs, state) of the cell over x [time, batch, depth] (static_rnn's by default)."""
    rs = np.random.RandomState(7)  # the same state and directions whatever ran before
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [len(xs), B, depth])
        cell = make()
        # a random initial state: at zeros some cells sit on a kink (NASCell's relu(x * m) at m = 0)
        state0 = gf.nest.map_structure(lambda z: z + rs.standard_normal(z.shape.as_list()),
                                       cell.zero_state(B, gf.float64))
        if run is None:
            outs, state = gf.nn.static_rnn(cell, gf.unstack(x), initial_state=state0)
        else:
            outs, state = run(cell, x, state0)
        y = gf.add_n([gf.reduce_sum(o * rs.standard_normal(o.shape.as_list())) for o in outs]
                     + [gf.reduce_sum(s * rs.standard_normal(s.shape.as_list())) for s in gf.nest.flatten(state)])
        vs = gf.trainable_variables()
        grads = gf.gradients(y, [x] + vs)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w0 = s.run(vs)
            du = [rs.standard_normal(xs.shape)] + [rs.standard_normal(w.shape) * (fixed is None or fixed not in v.name)
                                                   for v, w in zip(vs, w0)]
            g = s.run(grads, {x: xs})
            symbolic = sum(float(np.sum(np.asarray(gi) * u)) for gi, u in zip(g, du))
            def central(eps: float) -> float:
                vals = []
                for sign in (1, -1):
                    for v, w, u in zip(vs, w0, du[1:]):
                        v.load(w + sign * eps * u, s)
                    vals.append(s.run(y, {x: xs + sign * eps * du[0]}))
                return float(vals[0] - vals[1]) / (2 * eps)
            # Richardson's extrapolation of two central differences: truncation error O(eps^4), so
            # the curvature of a layer norm over few units does not show (one difference at 1e-5
            # was off by 1.4e-6 relative for some random directions)
            numeric = (4 * central(5e-6) - central(1e-5)) / 3
    np.testing.assert_allclose(symbolic, numeric, rtol=1e-6, atol=1e-8)


def _unroll(step: Callable, state: Any, xs: np.ndarray) -> tuple[np.ndarray, list]:
    outs = []
    for x in xs:
        out, state = step(x, state)
        outs.append(out)
    return np.stack(outs), state


def _agree(ours: tuple, step: Callable, state0: Any, xs: np.ndarray) -> None:
    _, o, st = ours
    ref_o, ref_st = _unroll(step, state0, xs)
    np.testing.assert_allclose(o, ref_o, rtol=1e-9, atol=1e-12)
    for a, b in zip(st, ref_st if isinstance(ref_st, (list, tuple)) else [ref_st]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def _zeros(*sizes: int) -> Any:
    return [np.zeros((B, n)) for n in sizes] if len(sizes) > 1 else np.zeros((B, sizes[0]))


XS = RS.standard_normal((T, B, D))


def test_output_and_input_projection_wrappers() -> None:
    n, p = 4, 2

    def make() -> Any:
        return gf.contrib.rnn.OutputProjectionWrapper(gf.contrib.rnn.BasicLSTMCell(n), p, activation=gf.tanh)
    w, o, st = ours = _run(make, XS)
    assert {k: v.shape for k, v in w.items()} == {
        "rnn/output_projection_wrapper/basic_lstm_cell/kernel": (D + n, 4 * n),
        "rnn/output_projection_wrapper/basic_lstm_cell/bias": (4 * n,),
        "rnn/output_projection_wrapper/kernel": (n, p), "rnn/output_projection_wrapper/bias": (p,)}
    k = w["rnn/output_projection_wrapper/basic_lstm_cell/kernel"]
    b = w["rnn/output_projection_wrapper/basic_lstm_cell/bias"]

    def lstm(x: np.ndarray, s: list) -> tuple:
        c, h = s
        i, j, f, og = np.split(np.concatenate([x, h], 1) @ k + b, 4, 1)
        c = c * sig(f + 1) + sig(i) * np.tanh(j)
        h = np.tanh(c) * sig(og)
        return h, [c, h]

    def step(x: np.ndarray, s: list) -> tuple:
        h, s = lstm(x, s)
        return np.tanh(h @ w["rnn/output_projection_wrapper/kernel"] + w["rnn/output_projection_wrapper/bias"]), s
    _agree(ours, step, _zeros(n, n), XS)

    def make_in() -> Any:
        return gf.contrib.rnn.InputProjectionWrapper(gf.contrib.rnn.GRUCell(n), 5)
    w, _, _ = ours = _run(make_in, XS)
    assert sorted(w) == ["rnn/input_projection_wrapper/bias", "rnn/input_projection_wrapper/gru_cell/candidate/bias",
                         "rnn/input_projection_wrapper/gru_cell/candidate/kernel",
                         "rnn/input_projection_wrapper/gru_cell/gates/bias",
                         "rnn/input_projection_wrapper/gru_cell/gates/kernel", "rnn/input_projection_wrapper/kernel"]
    pre = "rnn/input_projection_wrapper/"

    def gru(x: np.ndarray, h: np.ndarray) -> tuple:
        x = x @ w[pre + "kernel"] + w[pre + "bias"]
        r, u = np.split(sig(np.concatenate([x, h], 1) @ w[pre + "gru_cell/gates/kernel"]
                            + w[pre + "gru_cell/gates/bias"]), 2, 1)
        c = np.tanh(np.concatenate([x, r * h], 1) @ w[pre + "gru_cell/candidate/kernel"]
                    + w[pre + "gru_cell/candidate/bias"])
        h = u * h + (1 - u) * c
        return h, h
    _agree(ours, gru, _zeros(n), XS)
    _check_directional_gradient(make, XS)


def test_embedding_wrapper_and_device_wrapper() -> None:
    n, classes, size = 3, 5, 4
    ids = np.array([[1, 4], [0, 2], [3, 3]])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.int32, [T, B])
        with gf.variable_scope("rnn"):
            cell = gf.contrib.rnn.DeviceWrapper(
                gf.contrib.rnn.EmbeddingWrapper(gf.contrib.rnn.BasicRNNCell(n), classes, size), "/cpu:0")
            state = cell.zero_state(B, gf.float64)
            outs = []
            for t in range(T):
                out, state = cell(x[t], state)
                outs.append(out)
        assert outs[0].op.device.lower().endswith("cpu:0")
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            vs = gf.global_variables()
            w = dict(zip([v.name[:-2] for v in vs], s.run(vs)))
            got = s.run(outs, {x: ids})
    assert {k: v.shape for k, v in w.items()} == {
        "rnn/embedding_wrapper/embedding": (classes, size),
        "rnn/embedding_wrapper/basic_rnn_cell/kernel": (size + n, n),
        "rnn/embedding_wrapper/basic_rnn_cell/bias": (n,)}
    assert np.all(np.abs(w["rnn/embedding_wrapper/embedding"]) <= np.sqrt(3))
    h = np.zeros((B, n))
    for t in range(T):
        e = w["rnn/embedding_wrapper/embedding"][ids[t]]
        h = np.tanh(np.concatenate([e, h], 1) @ w["rnn/embedding_wrapper/basic_rnn_cell/kernel"]
                    + w["rnn/embedding_wrapper/basic_rnn_cell/bias"])
        np.testing.assert_allclose(got[t], h, rtol=1e-9)


@pytest.mark.parametrize("couple", [True, False])
def test_highway_wrapper(couple: bool) -> None:
    def make() -> Any:
        return gf.contrib.rnn.HighwayWrapper(gf.contrib.rnn.BasicRNNCell(D), couple_carry_transform_gates=couple,
                                             carry_bias_init=0.5)
    w, _, _ = ours = _run(make, XS)
    expected = {"rnn/carry_w", "rnn/carry_b", "rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias"}
    assert set(w) == (expected if couple else expected | {"rnn/transform_w", "rnn/transform_b"})
    np.testing.assert_allclose(w["rnn/carry_b"], 0.5)

    def step(x: np.ndarray, h: np.ndarray) -> tuple:
        h = np.tanh(np.concatenate([x, h], 1) @ w["rnn/basic_rnn_cell/kernel"] + w["rnn/basic_rnn_cell/bias"])
        carry = sig(x @ w["rnn/carry_w"] + w["rnn/carry_b"])
        tr = 1 - carry if couple else sig(x @ w["rnn/transform_w"] + w["rnn/transform_b"])
        return x * carry + h * tr, h
    _agree(ours, step, _zeros(D), XS)


def test_attention_cell_wrapper() -> None:
    n, length = 4, 2

    def make() -> Any:
        return gf.contrib.rnn.AttentionCellWrapper(gf.contrib.rnn.LSTMCell(n), length, attn_vec_size=3)
    w, _, _ = ours = _run(make, XS)
    p = "rnn/attention_cell_wrapper/"
    assert {k: v.shape for k, v in w.items()} == {
        p + "kernel": (D + n, D), p + "bias": (D,), p + "lstm_cell/kernel": (D + n, 4 * n),
        p + "lstm_cell/bias": (4 * n,), p + "attention/attn_w": (1, 1, n, 3), p + "attention/attn_v": (3,),
        p + "attention/kernel": (2 * n, 3), p + "attention/bias": (3,),
        p + "attn_output_projection/kernel": (2 * n, n), p + "attn_output_projection/bias": (n,)}

    def step(x: np.ndarray, s: list) -> tuple:
        (c, h), attns, window = s
        x = np.concatenate([x, attns], 1) @ w[p + "kernel"] + w[p + "bias"]
        i, j, f, o = np.split(np.concatenate([x, h], 1) @ w[p + "lstm_cell/kernel"] + w[p + "lstm_cell/bias"], 4, 1)
        c = sig(f + 1) * c + sig(i) * np.tanh(j)
        h = sig(o) * np.tanh(c)
        states = window.reshape(B, length, n)
        feats = states @ w[p + "attention/attn_w"].reshape(n, 3)
        y = np.concatenate([c, h], 1) @ w[p + "attention/kernel"] + w[p + "attention/bias"]
        score = (w[p + "attention/attn_v"] * np.tanh(feats + y[:, None])).sum(2)
        a = np.exp(score - score.max(1, keepdims=True))
        a /= a.sum(1, keepdims=True)
        read = (a[:, :, None] * states).sum(1)
        out = (np.concatenate([h, read], 1) @ w[p + "attn_output_projection/kernel"]
               + w[p + "attn_output_projection/bias"])
        window = np.concatenate([states[:, 1:], out[:, None]], 1).reshape(B, -1)
        return out, [[c, h], read, window]

    def flat_step(x: np.ndarray, s: list) -> tuple:
        out, s = step(x, s)
        return out, s
    _, o, st = ours
    ref_o, ref_st = _unroll(flat_step, [_zeros(n, n), _zeros(n), _zeros(n * length)], XS)
    np.testing.assert_allclose(o, ref_o, rtol=1e-9, atol=1e-12)
    for a, b in zip(st, [ref_st[0][0], ref_st[0][1], ref_st[1], ref_st[2]]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    _check_directional_gradient(make, XS)


@pytest.mark.parametrize("layer_norm", [True, False])
def test_layer_norm_basic_lstm_cell(layer_norm: bool) -> None:
    n = 4

    def make() -> Any:
        return gf.contrib.rnn.LayerNormBasicLSTMCell(n, layer_norm=layer_norm, norm_gain=1.5, norm_shift=0.25)
    w, _, _ = ours = _run(make, XS)
    p = "rnn/layer_norm_basic_lstm_cell/"
    names = {p + "kernel"} | ({p + f"{s}/{v}" for s in ("input", "transform", "forget", "output", "state")
                                for v in ("gamma", "beta")} if layer_norm else {p + "bias"})
    assert set(w) == names
    if layer_norm:
        np.testing.assert_allclose(w[p + "state/gamma"], 1.5)

    def norm(x: np.ndarray, s: str) -> np.ndarray:
        return ln(x, w[p + s + "/gamma"], w[p + s + "/beta"]) if layer_norm else x

    def step(x: np.ndarray, s: list) -> tuple:
        c, h = s
        g = np.concatenate([x, h], 1) @ w[p + "kernel"] + (0 if layer_norm else w[p + "bias"])
        i, j, f, o = (norm(v, k) for v, k in zip(np.split(g, 4, 1), ("input", "transform", "forget", "output")))
        c = norm(c * sig(f + 1) + sig(i) * np.tanh(j), "state")
        h = np.tanh(c) * sig(o)
        return h, [c, h]
    _agree(ours, step, _zeros(n, n), XS)
    if layer_norm:
        _check_directional_gradient(make, XS)


def test_layer_norm_basic_lstm_cell_dropout_keeps_the_expectation() -> None:
    with gf.Graph().as_default():
        cell = gf.contrib.rnn.LayerNormBasicLSTMCell(3, dropout_keep_prob=gf.placeholder_with_default(
            gf.constant(0.5, gf.float64), []), layer_norm=False)
        x = gf.constant(RS.standard_normal((B, D)))
        out, _ = cell(x, cell.zero_state(B, gf.float64))
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            a, b = s.run(out), s.run(out)
    assert not np.allclose(a, b)  # a fresh mask each run


@pytest.mark.parametrize("num_proj,use_biases", [(None, False), (2, True)])
def test_nas_cell(num_proj: int | None, use_biases: bool) -> None:
    n = 3

    def make() -> Any:
        return gf.contrib.rnn.NASCell(n, num_proj=num_proj, use_biases=use_biases)
    w, _, _ = ours = _run(make, XS)
    p = "rnn/nas_cell/"
    m = num_proj or n
    shapes = {p + "kernel": (D, 8 * n), p + "recurrent_kernel": (m, 8 * n)}
    if use_biases:
        shapes[p + "bias"] = (8 * n,)
    if num_proj:
        shapes[p + "projection_weights"] = (n, num_proj)
    assert {k: v.shape for k, v in w.items()} == shapes

    def step(x: np.ndarray, s: list) -> tuple:
        c, h = s
        mm = np.split(h @ w[p + "recurrent_kernel"] + (w[p + "bias"] if use_biases else 0), 8, 1)
        xx = np.split(x @ w[p + "kernel"], 8, 1)
        l1 = [sig(xx[0] + mm[0]), relu(xx[1] + mm[1]), sig(xx[2] + mm[2]), relu(xx[3] * mm[3]),
              np.tanh(xx[4] + mm[4]), sig(xx[5] + mm[5]), np.tanh(xx[6] + mm[6]), sig(xx[7] + mm[7])]
        c = np.tanh(np.tanh(l1[0] * l1[1]) + c) * np.tanh(l1[2] + l1[3])
        h = np.tanh(c * np.tanh(np.tanh(l1[4] * l1[5]) + sig(l1[6] + l1[7])))
        if num_proj:
            h = h @ w[p + "projection_weights"]
        return h, [c, h]
    _agree(ours, step, _zeros(n, m), XS)
    if num_proj:
        _check_directional_gradient(make, XS)


def test_ugrnn_and_intersection_cells() -> None:
    n = 3

    def make() -> Any:
        return gf.contrib.rnn.UGRNNCell(n, forget_bias=0.5)
    w, _, _ = ours = _run(make, XS)
    p = "rnn/ugrnn_cell/"
    assert {k: v.shape for k, v in w.items()} == {p + "kernel": (D + n, 2 * n), p + "bias": (2 * n,)}

    def step(x: np.ndarray, h: np.ndarray) -> tuple:
        g, c = np.split(np.concatenate([x, h], 1) @ w[p + "kernel"] + w[p + "bias"], 2, 1)
        g = sig(g + 0.5)
        h = g * h + (1 - g) * np.tanh(c)
        return h, h
    _agree(ours, step, _zeros(n), XS)

    n = 4

    def make_i() -> Any:
        return gf.contrib.rnn.IntersectionRNNCell(n, num_in_proj=n)
    w, _, _ = ours = _run(make_i, XS)
    p = "rnn/intersection_rnn_cell/"
    assert {k: v.shape for k, v in w.items()} == {
        p + "in_projection/kernel": (D, n), p + "in_projection/bias": (n,), p + "kernel": (2 * n, 4 * n),
        p + "bias": (4 * n,)}

    def step_i(x: np.ndarray, h: np.ndarray) -> tuple:
        x = x @ w[p + "in_projection/kernel"] + w[p + "in_projection/bias"]
        gh, hh, gy, y = np.split(np.concatenate([x, h], 1) @ w[p + "kernel"] + w[p + "bias"], 4, 1)
        gh, gy = sig(gh + 1), sig(gy + 1)
        return gy * x + (1 - gy) * relu(y), gh * h + (1 - gh) * np.tanh(hh)
    _agree(ours, step_i, _zeros(n), XS)
    _check_directional_gradient(make, XS)
    with gf.Graph().as_default(), pytest.raises(ValueError, match="num_in_proj"):
        gf.nn.static_rnn(gf.contrib.rnn.IntersectionRNNCell(n), [gf.zeros([B, D], gf.float64)], dtype=gf.float64)


@pytest.mark.parametrize("peep,proj,norm", [(False, None, False), (True, 2, False), (False, None, True)])
def test_coupled_input_forget_gate_lstm_cell(peep: bool, proj: int | None, norm: bool) -> None:
    n = 3

    def make() -> Any:
        return gf.contrib.rnn.CoupledInputForgetGateLSTMCell(n, use_peepholes=peep, num_proj=proj, proj_clip=0.3,
                                                             layer_norm=norm)
    w, _, _ = ours = _run(make, XS)
    p = "rnn/coupled_input_forget_gate_lstm_cell/"
    m = proj or n
    names = {p + "W_0", p + "B"} | ({p + "W_F_diag", p + "W_O_diag"} if peep else set()) | \
        ({p + "W_P_0"} if proj else set()) | \
        ({p + f"{s}/{v}" for s in ("transform", "forget", "output", "state") for v in ("gamma", "beta")}
         if norm else set())
    assert set(w) == names
    assert w[p + "W_0"].shape == (D + m, 3 * n)

    def nrm(x: np.ndarray, s: str) -> np.ndarray:
        return ln(x, w[p + s + "/gamma"], w[p + s + "/beta"]) if norm else x

    def step(x: np.ndarray, s: list) -> tuple:
        c, h = s
        mat = np.concatenate([x, h], 1) @ w[p + "W_0"] + (0 if norm else w[p + "B"])
        j, f, o = (nrm(v, k) for v, k in zip(np.split(mat, 3, 1), ("transform", "forget", "output")))
        f = sig(f + 1 + (w[p + "W_F_diag"] * c if peep else 0))
        c = nrm(f * c + (1 - f) * np.tanh(j), "state")
        h = sig(o + (w[p + "W_O_diag"] * c if peep else 0)) * np.tanh(c)
        if proj:
            h = np.clip(h @ w[p + "W_P_0"], -0.3, 0.3)
        return h, [c, h]
    _agree(ours, step, _zeros(n, m), XS)
    if peep:
        _check_directional_gradient(make, XS)


def test_independently_recurrent_cells() -> None:
    n = 3

    def make_ind() -> Any:
        return gf.contrib.rnn.IndRNNCell(n, recurrent_min_abs=0.5, recurrent_max_abs=2.0, activation=gf.tanh,
                                         recurrent_kernel_initializer=gf.random_uniform_initializer(-3, 3, seed=1))
    w, _, _ = ours = _run(make_ind, XS)
    p = "rnn/ind_rnn_cell/"
    assert {k: v.shape for k, v in w.items()} == {p + "input_kernel": (D, n), p + "recurrent_kernel": (n,),
                                                  p + "bias": (n,)}
    u = np.clip(np.sign(w[p + "recurrent_kernel"]) * np.maximum(np.abs(w[p + "recurrent_kernel"]), 0.5), -2, 2)

    def step_ind(x: np.ndarray, h: np.ndarray) -> tuple:
        h = np.tanh(x @ w[p + "input_kernel"] + h * u + w[p + "bias"])
        return h, h
    _agree(ours, step_ind, _zeros(n), XS)

    w, _, _ = ours = _run(lambda: gf.contrib.rnn.IndyGRUCell(n), XS)
    p = "rnn/indy_gru_cell/"
    assert {k: v.shape for k, v in w.items()} == {
        p + "gates/kernel_w": (D, 2 * n), p + "gates/kernel_u": (1, 2 * n), p + "gates/bias": (2 * n,),
        p + "candidate/kernel": (D, n), p + "candidate/kernel_u": (1, n), p + "candidate/bias": (n,)}

    def step_gru(x: np.ndarray, h: np.ndarray) -> tuple:
        r, z = np.split(sig(x @ w[p + "gates/kernel_w"] + np.tile(h, 2) * w[p + "gates/kernel_u"]
                            + w[p + "gates/bias"]), 2, 1)
        c = np.tanh(x @ w[p + "candidate/kernel"] + r * h * w[p + "candidate/kernel_u"] + w[p + "candidate/bias"])
        h = z * h + (1 - z) * c
        return h, h
    _agree(ours, step_gru, _zeros(n), XS)

    w, _, _ = ours = _run(lambda: gf.contrib.rnn.IndyLSTMCell(n), XS)
    p = "rnn/indy_lstm_cell/"
    assert {k: v.shape for k, v in w.items()} == {p + "kernel_w": (D, 4 * n), p + "kernel_u": (1, 4 * n),
                                                  p + "bias": (4 * n,)}

    def step_lstm(x: np.ndarray, s: list) -> tuple:
        c, h = s
        i, j, f, o = np.split(x @ w[p + "kernel_w"] + np.tile(h, 4) * w[p + "kernel_u"] + w[p + "bias"], 4, 1)
        c = c * sig(f + 1) + sig(i) * np.tanh(j)
        h = np.tanh(c) * sig(o)
        return h, [c, h]
    _agree(ours, step_lstm, _zeros(n, n), XS)

    w, _, _ = ours = _run(lambda: gf.contrib.rnn.SRUCell(n), XS)
    p = "rnn/sru_cell/"
    assert {k: v.shape for k, v in w.items()} == {p + "kernel": (D, 4 * n), p + "bias": (2 * n,)}

    def step_sru(x: np.ndarray, c: np.ndarray) -> tuple:
        xb, f, r, xt = np.split(x @ w[p + "kernel"], 4, 1)
        f, r = np.split(sig(np.concatenate([f, r], 1) + w[p + "bias"]), 2, 1)
        c = f * c + (1 - f) * xb
        return r * np.tanh(c) + (1 - r) * xt, c
    _agree(ours, step_sru, _zeros(n), XS)
    for make in (make_ind, lambda: gf.contrib.rnn.IndyGRUCell(n), lambda: gf.contrib.rnn.IndyLSTMCell(n),
                 lambda: gf.contrib.rnn.SRUCell(n)):
        _check_directional_gradient(make, XS)


def _tf_run(tf: Any, make: Callable[[Any], Any], xs: np.ndarray, weights: dict | None) -> tuple:
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [len(xs), B, D])
        cell = make(tf)
        outs, state = tf.nn.static_rnn(cell, tf.unstack(x), dtype=tf.float64)
        grads = tf.gradients(tf.reduce_sum(tf.stack(outs) ** 2), [x] + tf.trainable_variables())
        with tf.Session(graph=g) as s:
            s.run(tf.global_variables_initializer())
            vs = tf.global_variables()
            if weights is not None:
                for v in vs:
                    v.load(weights[v.name], s)
            w = dict(zip([v.name for v in vs], s.run(vs)))
            got = s.run([tf.stack(outs)] + list(tf.nest.flatten(state)) + grads, {x: xs})
    return w, got


def test_block_cells_match_tf1_lstm_and_gru_cells() -> None:
    tf = need("tf_keras")  # tf.compat.v1's rnn cells come from tf-keras (TF_USE_LEGACY_KERAS=1)
    tf.disable_eager_execution()
    n = 4
    pairs = [(lambda m: m.nn.rnn_cell.LSTMCell(n, use_peepholes=True, cell_clip=0.5),
              lambda m: gf.contrib.rnn.LSTMBlockCell(n, use_peephole=True, cell_clip=0.5)),
             (lambda m: m.nn.rnn_cell.LSTMCell(n, forget_bias=0.5),
              lambda m: gf.contrib.rnn.LSTMBlockCell(n, forget_bias=0.5)),
             (lambda m: m.nn.rnn_cell.GRUCell(n), lambda m: gf.contrib.rnn.GRUBlockCellV2(n))]
    for theirs, ours in pairs:
        w, expected = _tf_run(tf, theirs, XS, None)
        w_ours, got = _tf_run(gf, ours, XS, w)
        assert {k: v.shape for k, v in w_ours.items()} == {k: v.shape for k, v in w.items()}
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_gru_block_cell_names_and_fused_lstm() -> None:
    w, _, _ = _run(lambda: gf.contrib.rnn.GRUBlockCell(3), XS)
    assert {k: v.shape for k, v in w.items()} == {
        "rnn/gru_cell/w_ru": (D + 3, 6), "rnn/gru_cell/b_ru": (6,), "rnn/gru_cell/w_c": (D + 3, 3),
        "rnn/gru_cell/b_c": (3,)}
    np.testing.assert_allclose(w["rnn/gru_cell/b_ru"], 1.0)
    n = 3
    lengths = np.array([3, 1])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [T, B, D])
        fused = gf.contrib.rnn.LSTMBlockFusedCell(n, use_peephole=True)
        outs, (c, h) = fused(x, dtype=gf.float64, sequence_length=lengths)
        steps, state = fused(gf.unstack(x), dtype=gf.float64)  # a list of steps: the same variables
        assert isinstance(steps, list) and len(steps) == T
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            vs = gf.global_variables()
            w = dict(zip([v.name[:-2] for v in vs], s.run(vs)))
            o, cv, hv, last = s.run([outs, c, h, steps[-1]], {x: XS})
    p = "lstm_fused_cell/"
    assert {k: v.shape for k, v in w.items()} == {p + "kernel": (D + n, 4 * n), p + "bias": (4 * n,),
                                                  p + "w_i_diag": (n,), p + "w_f_diag": (n,), p + "w_o_diag": (n,)}
    cc, hh = np.zeros((B, n)), np.zeros((B, n))
    ref = []
    finals = [None, None]
    for t in range(T):
        i, j, f, og = np.split(np.concatenate([XS[t], hh], 1) @ w[p + "kernel"] + w[p + "bias"], 4, 1)
        cc = sig(f + 1 + w[p + "w_f_diag"] * cc) * cc + sig(i + w[p + "w_i_diag"] * cc) * np.tanh(j)
        hh = sig(og + w[p + "w_o_diag"] * cc) * np.tanh(cc)
        ref.append(hh * (t < lengths)[:, None])
        for r in range(B):
            if t == lengths[r] - 1:
                finals[r] = (cc[r].copy(), hh[r].copy())
    np.testing.assert_allclose(o, np.stack(ref), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cv, np.stack([f[0] for f in finals]), rtol=1e-9)
    np.testing.assert_allclose(hv, np.stack([f[1] for f in finals]), rtol=1e-9)
    np.testing.assert_allclose(last, hh, rtol=1e-9)


def test_stack_bidirectional_rnns() -> None:
    n = 2
    xs = RS.standard_normal((B, T, D))
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [B, T, D])
        cells = [[gf.contrib.rnn.GRUCell(n), gf.contrib.rnn.GRUCell(n)] for _ in range(2)]
        out, s_fw, s_bw = gf.contrib.rnn.stack_bidirectional_dynamic_rnn(cells[0], cells[1], x, dtype=gf.float64)
        names = [v.name for v in gf.global_variables()]
        cells_s = [[gf.contrib.rnn.GRUCell(n), gf.contrib.rnn.GRUCell(n)] for _ in range(2)]
        outs_s, _, _ = gf.contrib.rnn.stack_bidirectional_rnn(cells_s[0], cells_s[1], gf.unstack(x, axis=1),
                                                              dtype=gf.float64, scope="static")
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            vs = gf.global_variables()
            w = dict(zip([v.name[:-2] for v in vs], s.run(vs)))
            o, fw, bw, o_s = s.run([out, list(s_fw), list(s_bw), outs_s], {x: xs})
    assert "stack_bidirectional_rnn/cell_1/bidirectional_rnn/bw/gru_cell/candidate/kernel:0" in names
    assert "static/cell_0/fw/gru_cell/gates/kernel" in w
    assert o.shape == (B, T, 2 * n) and len(fw) == len(bw) == 2

    def gru(pre: str, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        r, u = np.split(sig(np.concatenate([x, h], 1) @ w[pre + "gates/kernel"] + w[pre + "gates/bias"]), 2, 1)
        c = np.tanh(np.concatenate([x, r * h], 1) @ w[pre + "candidate/kernel"] + w[pre + "candidate/bias"])
        return u * h + (1 - u) * c

    for top, got in (("stack_bidirectional_rnn/cell_{}/bidirectional_rnn/{}/gru_cell/", o),
                     ("static/cell_{}/{}/gru_cell/", np.stack(o_s, 1))):
        layer = xs
        for i in range(2):
            outs = {}
            for d, order in (("fw", range(T)), ("bw", range(T - 1, -1, -1))):
                h = np.zeros((B, n))
                outs[d] = [None] * T
                for t in order:
                    h = gru(top.format(i, d), layer[:, t], h)
                    outs[d][t] = h
            layer = np.concatenate([np.stack(outs["fw"], 1), np.stack(outs["bw"], 1)], 2)
        np.testing.assert_allclose(got, layer, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="same depth"):
        gf.contrib.rnn.stack_bidirectional_rnn(cells[0], cells[1][:1], [x[:, 0]])


def test_module_paths_and_aliases() -> None:
    from graphflow.contrib.rnn.python.ops import core_rnn_cell, gru_ops, lstm_ops, rnn, rnn_cell
    assert rnn.stack_bidirectional_dynamic_rnn is gf.contrib.rnn.stack_bidirectional_dynamic_rnn
    assert rnn_cell.NASCell is gf.contrib.rnn.NASCell
    assert lstm_ops.LSTMBlockFusedCell is gf.contrib.rnn.LSTMBlockFusedCell
    assert gru_ops.GRUBlockCellV2 is gf.contrib.rnn.GRUBlockCellV2
    assert core_rnn_cell.OutputProjectionWrapper is gf.contrib.rnn.OutputProjectionWrapper
    assert gf.contrib.rnn.rnn_cell.BasicLSTMCell is gf.nn.rnn_cell.BasicLSTMCell
    assert gf.contrib.rnn.rnn_cell.LSTMStateTuple is gf.nn.rnn_cell.LSTMStateTuple
    assert gf.contrib.rnn.LayerRNNCell is gf.nn.rnn_cell.RNNCell
    assert gf.nn.rnn_cell.DeviceWrapper is gf.contrib.rnn.DeviceWrapper
    for name in ("static_rnn", "static_bidirectional_rnn", "MultiRNNCell", "LSTMCell", "GRUCell"):
        assert hasattr(gf.contrib.rnn, name)


def test_fused_cell_adaptors() -> None:
    n = 2
    lengths = np.array([2, 3])
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [T, B, D])
        fw = gf.contrib.rnn.FusedRNNCellAdaptor(gf.contrib.rnn.GRUCell(n), use_dynamic_rnn=True)
        out_fw, st_fw = fw(x, dtype=gf.float64, scope="fw")
        bw = gf.contrib.rnn.TimeReversedFusedRNN(gf.contrib.rnn.FusedRNNCellAdaptor(gf.contrib.rnn.GRUCell(n)))
        out_bw, st_bw = bw(gf.unstack(x), dtype=gf.float64, sequence_length=lengths, scope="bw")
        assert isinstance(out_bw, list) and len(out_bw) == T
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w = _weights_of(s)
            o_fw, o_bw, s_bw = s.run([out_fw, out_bw, st_bw], {x: XS})

    def gru(pre: str, x: np.ndarray, h: np.ndarray) -> np.ndarray:
        r, u = np.split(sig(np.concatenate([x, h], 1) @ w[pre + "gates/kernel"] + w[pre + "gates/bias"]), 2, 1)
        c = np.tanh(np.concatenate([x, r * h], 1) @ w[pre + "candidate/kernel"] + w[pre + "candidate/bias"])
        return u * h + (1 - u) * c
    h = np.zeros((B, n))
    for t in range(T):
        h = gru("fw/gru_cell/", XS[t], h)
        np.testing.assert_allclose(o_fw[t], h, rtol=1e-9)
    for r in range(B):  # each row read backwards over its own length
        h = np.zeros((1, n))
        for t in range(lengths[r] - 1, -1, -1):
            h = gru("bw/gru_cell/", XS[t, r:r + 1], h)
            np.testing.assert_allclose(o_bw[t][r], h[0], rtol=1e-9)
        np.testing.assert_allclose(s_bw[r], h[0], rtol=1e-9)


def _weights_of(s: Any) -> dict:
    vs = gf.global_variables()
    return dict(zip([v.name[:-2] for v in vs], s.run(vs)))


def test_batch_time_helpers() -> None:
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [None, 5, 2])
        assert gf.contrib.rnn.transpose_batch_time(x).shape.as_list() == [5, None, 2]
        assert gf.contrib.rnn.best_effort_input_batch_size([x]) == 5
        y = gf.placeholder(gf.float64, [3, None, 2])
        with gf.Session() as s:
            assert s.run(gf.contrib.rnn.best_effort_input_batch_size([y]), {y: np.zeros((3, 4, 2))}) == 4


@pytest.mark.parametrize("proj", [None, 4])
def test_glstm_cell(proj: int | None) -> None:
    n, groups, depth = 4, 2, 4
    xs = RS.standard_normal((T, B, depth))

    def make() -> Any:
        return gf.contrib.rnn.GLSTMCell(n, num_proj=proj, number_of_groups=groups)
    w, _, _ = ours = _run(make, xs, depth)
    p = "rnn/glstm_cell/"
    m = proj or n
    shapes = {p + f"group{k}/kernel": (depth // groups + m // groups, 4 * n // groups) for k in range(groups)}
    shapes.update({p + f"bias_{b}": (n,) for b in "ijfo"})
    if proj:
        shapes[p + "projection/kernel"] = (n, proj)
    assert {k: v.shape for k, v in w.items()} == shapes

    def step(x: np.ndarray, s: list) -> tuple:
        c, h = s
        gates: list[list] = [[], [], [], []]
        for k in range(groups):
            a, b = depth // groups, m // groups
            xg = np.concatenate([x[:, k * a:(k + 1) * a], h[:, k * b:(k + 1) * b]], 1)
            for gate, part in zip(gates, np.split(xg @ w[p + f"group{k}/kernel"], 4, 1)):
                gate.append(part)
        i, j, f, o = (np.concatenate(g, 1) + w[p + f"bias_{b}"] for g, b in zip(gates, "ijfo"))
        c = sig(f + 1) * c + sig(i) * np.tanh(j)
        h = sig(o) * np.tanh(c)
        if proj:
            h = h @ w[p + "projection/kernel"]
        return h, [c, h]
    _agree(ours, step, _zeros(n, m), xs)
    if proj:
        _check_directional_gradient(make, xs, depth)


@pytest.mark.parametrize("peep", [False, True])
def test_phased_lstm_cell_in_dynamic_rnn(peep: bool) -> None:
    n = 3
    times = np.cumsum(RS.rand(B, T, 1) * 3, 1)
    xs = RS.standard_normal((B, T, D))
    with gf.Graph().as_default():
        t_ph, x_ph = gf.placeholder(gf.float64, [B, T, 1]), gf.placeholder(gf.float64, [B, T, D])
        cell = gf.contrib.rnn.PhasedLSTMCell(n, use_peepholes=peep, period_init_max=5.0, ratio_on=0.4)
        outs, (c, h) = gf.nn.dynamic_rnn(cell, (t_ph, x_ph), dtype=gf.float64)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w = _weights_of(s)
            got, cf = s.run([outs, c], {t_ph: times, x_ph: xs})
    p = "rnn/phased_lstm_cell/"
    g_in = D + n + (n if peep else 0)
    assert {k: v.shape for k, v in w.items()} == {
        p + "mask_gates/kernel": (g_in, 2 * n), p + "mask_gates/bias": (2 * n,), p + "new_input/kernel": (D + n, n),
        p + "new_input/bias": (n,), p + "output_gate/kernel": (g_in, n), p + "output_gate/bias": (n,),
        p + "period": (n,), p + "phase": (n,), p + "ratio_on": (n,)}
    period, phase, ratio = w[p + "period"], w[p + "phase"], w[p + "ratio_on"]
    assert np.all((period >= 1) & (period <= 5)) and np.all((phase >= 0) & (phase <= period))
    np.testing.assert_allclose(ratio, 0.4)

    def lin(name: str, *args: np.ndarray) -> np.ndarray:
        return np.concatenate(args, 1) @ w[p + name + "/kernel"] + w[p + name + "/bias"]
    c_, h_ = np.zeros((B, n)), np.zeros((B, n))
    for t in range(T):
        x = xs[:, t]
        gate, forget = np.split(sig(lin("mask_gates", x, h_, *([c_] if peep else []))), 2, 1)
        new_c = c_ * forget + gate * np.tanh(lin("new_input", x, h_))
        new_h = np.tanh(new_c) * sig(lin("output_gate", x, h_, *([new_c] if peep else [])))
        cycle = np.mod(times[:, t] - phase, period) / period
        k = np.where(cycle < 0.5 * ratio, 2 * cycle / ratio,
                     np.where(cycle < ratio, 2 - 2 * cycle / ratio, 0.001 * cycle))
        c_, h_ = k * new_c + (1 - k) * c_, k * new_h + (1 - k) * h_
        np.testing.assert_allclose(got[:, t], h_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cf, c_, rtol=1e-9, atol=1e-12)

    def run(cell: Any, x: Any, state0: Any) -> tuple:
        outs, state = gf.nn.dynamic_rnn(cell, (gf.constant(times.transpose(1, 0, 2)), x), initial_state=state0,
                                        time_major=True)
        return gf.unstack(outs), state
    _check_directional_gradient(lambda: gf.contrib.rnn.PhasedLSTMCell(n, use_peepholes=peep, period_init_max=5.0,
                                                                      ratio_on=0.4), XS, run=run,
                                fixed="period")  # TF's modulo gives the period no gradient through the wrap


@pytest.mark.parametrize("skip", [False, True])
def test_conv2d_lstm_cell_in_dynamic_rnn(skip: bool) -> None:
    h, w_, cin, cout = 3, 4, 2, 3
    xs = RS.standard_normal((B, T, h, w_, cin))
    with gf.Graph().as_default():
        x = gf.placeholder(gf.float64, [B, T, h, w_, cin])
        cell = gf.contrib.rnn.Conv2DLSTMCell(input_shape=[h, w_, cin], output_channels=cout, kernel_shape=[3, 3],
                                             skip_connection=skip)
        outs, (c, hid) = gf.nn.dynamic_rnn(cell, x, dtype=gf.float64)
        assert outs.shape.as_list() == [B, T, h, w_, cout + (cin if skip else 0)]
        short, (c_short, _) = gf.nn.dynamic_rnn(cell, x, sequence_length=[T, 1], dtype=gf.float64)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            w = _weights_of(s)
            got, cf, got_short, cf_short = s.run([outs, c, short, c_short], {x: xs})
    # a row past its length outputs zeros and keeps its state
    np.testing.assert_allclose(got_short[0], got[0], rtol=1e-12)
    np.testing.assert_allclose(got_short[1, 0], got[1, 0], rtol=1e-12)
    assert not np.any(got_short[1, 1:])
    p = "rnn/conv_2d_lstm_cell/"
    assert {k: v.shape for k, v in w.items()} == {p + "kernel": (3, 3, cin + cout, 4 * cout), p + "biases": (4 * cout,)}
    k = w[p + "kernel"]

    def conv_same(v: np.ndarray) -> np.ndarray:
        padded = np.pad(v, ((0, 0), (1, 1), (1, 1), (0, 0)))
        out = np.zeros(v.shape[:3] + (k.shape[-1],))
        for di in range(3):
            for dj in range(3):
                out += padded[:, di:di + h, dj:dj + w_] @ k[di, dj]
        return out
    cc, hh = np.zeros((B, h, w_, cout)), np.zeros((B, h, w_, cout + (cin if skip else 0)))
    for t in range(T):
        state_h = hh[..., :cout]
        i, j, f, o = np.split(conv_same(np.concatenate([xs[:, t], state_h], -1)) + w[p + "biases"], 4, -1)
        cc = sig(f + 1) * cc + sig(i) * np.tanh(j)
        hh = np.tanh(cc) * sig(o)
        if skip:
            hh = np.concatenate([hh, xs[:, t]], -1)
        np.testing.assert_allclose(got[:, t], hh, rtol=1e-9, atol=1e-12)
        if t == 0:
            np.testing.assert_allclose(cf_short[1], cc[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cf, cc, rtol=1e-9, atol=1e-12)


def test_conv1d_lstm_cell_gradients() -> None:
    length, cin = 4, 2

    def run(cell: Any, x: Any, state0: Any) -> tuple:
        return gf.nn.static_rnn(cell, [gf.reshape(v, [B, length, cin]) for v in gf.unstack(x)], initial_state=state0)
    _check_directional_gradient(lambda: gf.contrib.rnn.Conv1DLSTMCell(input_shape=[length, cin], output_channels=2,
                                                                       kernel_shape=[3]),
                                RS.standard_normal((2, B, length * cin)), length * cin, run=run)
