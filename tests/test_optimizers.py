"""Optimizers against numpy re-implementations of TF1's published update rules, step by step;
slots, the global step, learning-rate schedules and minimize's errors."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf
from tests.harness import TARGETS
from tests.tolerances import value_tol

SHAPES = {"w": (3, 2), "b": (2,), "s": ()}
STEPS = 5


# ---- numpy references: init(var) -> slots, step(var, grad, slots, lr, t) -> new var ------------

def np_sgd():
    return (lambda w: {}), (lambda w, g, s, lr, t: w - lr * g)


def np_momentum(mu, nesterov=False):
    def step(w, g, s, lr, t):
        s["momentum"] = mu * s["momentum"] + g
        return w - lr * g - lr * mu * s["momentum"] if nesterov else w - lr * s["momentum"]
    return (lambda w: {"momentum": np.zeros_like(w)}), step


def np_rmsprop(rho=0.9, mu=0.0, eps=1e-10, centered=False):
    def init(w):
        slots = {"rms": np.ones_like(w), "momentum": np.zeros_like(w)}
        if centered:
            slots["mg"] = np.zeros_like(w)
        return slots

    def step(w, g, s, lr, t):
        s["rms"] = rho * s["rms"] + (1 - rho) * g * g
        denom = s["rms"] + eps
        if centered:
            s["mg"] = rho * s["mg"] + (1 - rho) * g
            denom = s["rms"] - s["mg"] ** 2 + eps
        s["momentum"] = mu * s["momentum"] + lr * g / np.sqrt(denom)
        return w - s["momentum"]
    return init, step


def np_adam(b1=0.9, b2=0.999, eps=1e-8):
    def step(w, g, s, lr, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        return w - lr_t * s["m"] / (np.sqrt(s["v"]) + eps)
    return (lambda w: {"m": np.zeros_like(w), "v": np.zeros_like(w)}), step


def np_adagrad(init_acc=0.1):
    def step(w, g, s, lr, t):
        s["accumulator"] = s["accumulator"] + g * g
        return w - lr * g / np.sqrt(s["accumulator"])
    return (lambda w: {"accumulator": np.full_like(w, init_acc)}), step


def np_adadelta(rho=0.95, eps=1e-8):
    def step(w, g, s, lr, t):
        lr = np.float64(lr)  # NumPy keeps float32 * float in float32
        s["accum"] = rho * s["accum"] + (1 - rho) * g * g
        update = np.sqrt(s["accum_update"] + eps) / np.sqrt(s["accum"] + eps) * g
        s["accum_update"] = rho * s["accum_update"] + (1 - rho) * update * update
        return w - lr * update
    return (lambda w: {"accum": np.zeros_like(w), "accum_update": np.zeros_like(w)}), step


def np_shrink(v, threshold, l1):
    return np.sign(v) * np.maximum(np.abs(v) - threshold, 0.0) if l1 > 0 else v


def np_proximal_sgd(l1, l2):
    def step(w, g, s, lr, t):
        lr = np.float64(lr)  # NumPy keeps float32 * float in float32
        return np_shrink(w - lr * g, lr * l1, l1) / (1 + lr * l2)
    return (lambda w: {}), step


def np_proximal_adagrad(l1, l2, init_acc=0.1):
    def step(w, g, s, lr, t):
        lr = np.float64(lr)  # NumPy keeps float32 * float in float32
        s["accumulator"] = s["accumulator"] + g * g
        rate = lr / np.sqrt(s["accumulator"])
        return np_shrink(w - rate * g, rate * l1, l1) / (1 + rate * l2)
    return (lambda w: {"accumulator": np.full_like(w, init_acc)}), step


def np_ftrl(power=-0.5, init_acc=0.1, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0):
    def step(w, g, s, lr, t):
        lr = np.float64(lr)  # NumPy keeps float32 * float in float32
        l2_t = l2 + beta / (2 * lr)
        n = s["accum"] + g * g
        s["linear"] = s["linear"] + g + 2 * shrinkage * w - (n ** -power - s["accum"] ** -power) / lr * w
        z = s["linear"]
        s["accum"] = n
        return np.where(np.abs(z) > l1, (np.sign(z) * l1 - z) / (n ** -power / lr + 2 * l2_t), 0.0)
    return (lambda w: {"accum": np.full_like(w, init_acc), "linear": np.zeros_like(w)}), step


def np_adagrad_da(l1, l2, init_acc=0.1):
    def step(w, g, s, lr, t):  # t: the global step before this update, plus one
        lr = np.float64(lr)  # NumPy keeps float32 * float in float32
        s["gradient_accumulator"] = s["gradient_accumulator"] + g
        s["gradient_squared_accumulator"] = s["gradient_squared_accumulator"] + g * g
        shrunk = np_shrink(s["gradient_accumulator"], l1 * t, l1)
        return -lr * shrunk / (l2 * t * lr + np.sqrt(s["gradient_squared_accumulator"]))
    return (lambda w: {"gradient_accumulator": np.zeros_like(w),
                       "gradient_squared_accumulator": np.full_like(w, init_acc)}), step


# name: (make optimizer from lr, numpy rule, learning rate fed as a tensor, dtype)
CONFIGS = {
    "sgd": (lambda lr: gf.train.GradientDescentOptimizer(lr), np_sgd(), False, np.float32),
    "momentum": (lambda lr: gf.train.MomentumOptimizer(lr, 0.9), np_momentum(0.9), True, np.float32),
    "nesterov": (lambda lr: gf.train.MomentumOptimizer(lr, 0.8, use_nesterov=True),
                 np_momentum(0.8, nesterov=True), False, np.float32),
    "rmsprop": (lambda lr: gf.train.RMSPropOptimizer(lr), np_rmsprop(), False, np.float32),
    "rmsprop_centered": (lambda lr: gf.train.RMSPropOptimizer(lr, decay=0.8, momentum=0.5, epsilon=1e-6,
                                                              centered=True),
                         np_rmsprop(0.8, 0.5, 1e-6, centered=True), True, np.float32),
    "adam": (lambda lr: gf.train.AdamOptimizer(lr), np_adam(), True, np.float32),
    "adam_float64": (lambda lr: gf.train.AdamOptimizer(lr, beta1=0.8, beta2=0.99, epsilon=1e-6),
                     np_adam(0.8, 0.99, 1e-6), True, np.float64),
    "adagrad": (lambda lr: gf.train.AdagradOptimizer(lr), np_adagrad(), False, np.float32),
    "adadelta": (lambda lr: gf.train.AdadeltaOptimizer(lr, rho=0.9, epsilon=1e-6),
                 np_adadelta(0.9, 1e-6), True, np.float64),
    "proximal_sgd": (lambda lr: gf.train.ProximalGradientDescentOptimizer(lr, 0.5, 0.25),
                     np_proximal_sgd(0.5, 0.25), False, np.float32),
    "proximal_sgd_l2": (lambda lr: gf.train.ProximalGradientDescentOptimizer(lr, l2_regularization_strength=2.0),
                        np_proximal_sgd(0.0, 2.0), True, np.float64),
    "proximal_adagrad": (lambda lr: gf.train.ProximalAdagradOptimizer(lr, 0.5, 0.3, 0.2),
                         np_proximal_adagrad(0.3, 0.2, 0.5), True, np.float64),
    "ftrl": (lambda lr: gf.train.FtrlOptimizer(lr, l1_regularization_strength=0.01,
                                               l2_regularization_strength=0.1),
             np_ftrl(l1=0.01, l2=0.1), True, np.float64),
    "ftrl_power": (lambda lr: gf.train.FtrlOptimizer(lr, learning_rate_power=-0.75, initial_accumulator_value=0.5,
                                                     l2_shrinkage_regularization_strength=0.2, beta=0.5),
                   np_ftrl(-0.75, 0.5, shrinkage=0.2, beta=0.5), True, np.float64),
    "adagrad_da": (lambda lr: gf.train.AdagradDAOptimizer(lr, gf.train.get_or_create_global_step(),
                                                          l1_regularization_strength=0.05,
                                                          l2_regularization_strength=0.5),
                   np_adagrad_da(0.05, 0.5), True, np.float64),
}


@pytest.mark.parametrize("device", TARGETS)
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_update_rule_matches_numpy_step_by_step(config, device) -> None:
    make, (np_init, np_step), lr_tensor, dtype = CONFIGS[config]
    rng = np.random.RandomState(0)
    values = {k: np.asarray(rng.randn(*shape), dtype) for k, shape in SHAPES.items()}
    variables = {k: gf.Variable(v, name=k) for k, v in values.items()}
    grads = {k: gf.placeholder(gf.as_dtype(dtype), shape) for k, shape in SHAPES.items()}
    lr_ph = gf.placeholder(gf.float32, ()) if lr_tensor else None
    opt = make(lr_ph if lr_tensor else 0.05)
    # AdagradDA reads the global step, which apply_gradients then increments
    train = opt.apply_gradients([(grads[k], variables[k]) for k in SHAPES], global_step=gf.train.get_global_step())
    slot_names = opt.get_slot_names()
    with gf.control_dependencies([train]):  # read everything after the step, in the same run
        after = {k: [gf.identity(v)] + [gf.identity(opt.get_slot(v, n)) for n in slot_names]
                 for k, v in variables.items()}

    want = {k: v.astype(np.float64) for k, v in values.items()}
    slots = {k: np_init(v) for k, v in want.items()}
    assert sorted(next(iter(slots.values()))) == slot_names
    tol = value_tol(dtype)
    with gf.Session(device=device) as sess:
        sess.run(gf.global_variables_initializer())
        for t in range(1, STEPS + 1):
            g = {k: np.asarray(rng.randn(*shape) * t, dtype) for k, shape in SHAPES.items()}
            lr = 0.05 / t if lr_tensor else 0.05
            feeds = {grads[k]: g[k] for k in SHAPES}
            if lr_tensor:
                feeds[lr_ph] = lr
            got = sess.run(after, feeds)
            for k in SHAPES:
                want[k] = np_step(want[k], g[k].astype(np.float64), slots[k], np.float32(lr), t)
                assert got[k][0].dtype == dtype and got[k][0].shape == SHAPES[k]
                np.testing.assert_allclose(got[k][0], want[k], **tol, err_msg=f"{k} after step {t}")
                for n, slot in zip(slot_names, got[k][1:]):
                    np.testing.assert_allclose(slot, slots[k][n], **tol, err_msg=f"slot {n} of {k}, step {t}")


def test_slot_variables_have_tf1_names_and_collections() -> None:
    w = gf.Variable(np.zeros((2, 2), np.float32), name="w")
    with gf.variable_scope("layer"):
        v = gf.get_variable("v", shape=[3], initializer=gf.zeros_initializer())
    gv = [(gf.ones_like(w), w), (gf.ones_like(v), v)]
    expected = [
        (gf.train.MomentumOptimizer(0.1, 0.9), {"momentum": "/Momentum"}),
        (gf.train.RMSPropOptimizer(0.1, centered=True), {"rms": "/RMSProp", "mg": "/RMSProp_1",
                                                         "momentum": "/RMSProp_2"}),
        (gf.train.AdamOptimizer(), {"m": "/Adam", "v": "/Adam_1"}),
        (gf.train.AdagradOptimizer(0.1), {"accumulator": "/Adagrad"}),
        (gf.train.AdadeltaOptimizer(), {"accum": "/Adadelta", "accum_update": "/Adadelta_1"}),
        (gf.train.FtrlOptimizer(0.1), {"accum": "/Ftrl", "linear": "/Ftrl_1"}),
        (gf.train.FtrlOptimizer(0.1, accum_name="n", linear_name="z"), {"accum": "/n", "linear": "/z"}),
        (gf.train.ProximalAdagradOptimizer(0.1), {"accumulator": "/ProximalAdagrad"}),
        (gf.train.AdagradDAOptimizer(0.1, gf.train.get_or_create_global_step()),
         {"gradient_accumulator": "/AdagradDA", "gradient_squared_accumulator": "/AdagradDA_1"}),
    ]
    for opt, names in expected:
        opt.apply_gradients(gv)
        assert opt.get_slot_names() == sorted(names)
        for var in (w, v):
            for slot, suffix in names.items():
                s = opt.get_slot(var, slot)
                assert s.name == var.op.name + suffix + ":0"
                assert s.shape.as_list() == var.shape.as_list() and s.dtype == var.dtype
                assert not s.trainable
                assert s in gf.global_variables() and s not in gf.trainable_variables()
        assert opt.get_slot(w, "nope") is None
    adam = expected[2][0]
    assert [x.name for x in adam.variables()] == sorted(
        ["beta1_power:0", "beta2_power:0", "w/Adam:0", "w/Adam_1:0", "layer/v/Adam:0", "layer/v/Adam_1:0"])
    # initial slot values (RMSProp's rms starts at ones, Adagrad's accumulator at 0.1)
    rms, acc = expected[1][0].get_slot(w, "rms"), expected[3][0].get_slot(w, "accumulator")
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(rms), np.ones((2, 2), np.float32))
        np.testing.assert_array_equal(sess.run(acc), np.full((2, 2), 0.1, np.float32))


@pytest.mark.parametrize("device", TARGETS)
def test_minimize_counts_global_step_and_matches_numpy(device) -> None:
    rng = np.random.RandomState(1)
    x_value = rng.randn(4, 3).astype(np.float32)
    w0, b0 = rng.randn(3, 2).astype(np.float32), rng.randn(2).astype(np.float32)
    x = gf.placeholder(gf.float32, (None, 3))
    w, b = gf.Variable(w0, name="w"), gf.Variable(b0, name="b")
    loss = gf.reduce_sum(gf.square(gf.matmul(x, w) + b))
    assert gf.train.get_global_step() is None
    step = gf.train.get_or_create_global_step()
    assert gf.train.get_or_create_global_step() is step and gf.train.get_global_step() is step
    assert step.dtype == gf.int64 and step.shape.as_list() == [] and not step.trainable
    assert gf.get_collection(gf.GraphKeys.GLOBAL_STEP) == [step]
    with pytest.raises(ValueError, match="global_step already exists"):
        gf.train.create_global_step()
    train = gf.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
    init, adam_step = np_adam()
    want = {"w": w0.astype(np.float64), "b": b0.astype(np.float64)}
    slots = {k: init(v) for k, v in want.items()}
    with gf.Session(device=device) as sess:
        sess.run(gf.global_variables_initializer())
        for t in range(1, 4):
            sess.run(train, {x: x_value * t})
            r = x_value * t @ want["w"] + want["b"]
            grads = {"w": 2 * (x_value * t).T @ r, "b": 2 * r.sum(0)}
            for k in want:
                want[k] = adam_step(want[k], grads[k], slots[k], 0.01, t)
            got_w, got_b, got_step = sess.run([w, b, step])
            np.testing.assert_allclose(got_w, want["w"], rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(got_b, want["b"], rtol=1e-5, atol=1e-5)
            assert got_step == t and got_step.dtype == np.int64
            assert gf.train.global_step(sess, step) == t


def test_var_list_limits_the_update_and_the_slots() -> None:
    w = gf.Variable([1.0, 2.0], name="w")
    b = gf.Variable(3.0, name="b")
    opt = gf.train.MomentumOptimizer(0.5, 0.9)
    train = opt.minimize(gf.reduce_sum(w * w) + b * b, var_list=[w])
    assert opt.get_slot(w, "momentum") is not None and opt.get_slot(b, "momentum") is None
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.0, 0.0])
        assert sess.run(b) == 3.0


def test_minimize_without_a_path_to_the_variables_names_them() -> None:
    w = gf.Variable([1.0, 2.0], name="weights")
    b = gf.Variable(3.0, name="bias")
    x = gf.placeholder(gf.float32, ())
    with pytest.raises(ValueError, match=r"No gradients provided.*weights:0.*bias:0"):
        gf.train.AdamOptimizer().minimize(x * 2.0, var_list=[w, b])
    with pytest.raises(ValueError, match="No gradients provided.*weights"):
        gf.train.GradientDescentOptimizer(0.1).apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="No variables to optimize"):
        gf.train.GradientDescentOptimizer(0.1).minimize(x * 2.0, var_list=[])
    with pytest.raises(ValueError, match="expected the variable's dtype float32"):
        gf.train.GradientDescentOptimizer(0.1).apply_gradients([(gf.constant([1, 2]), w)])


def test_update_ops_run_with_minimize() -> None:
    w = gf.Variable(2.0, name="w")
    runs = gf.Variable(0, name="runs", trainable=False)
    gf.add_to_collection(gf.GraphKeys.UPDATE_OPS, runs.assign_add(1))
    train = gf.train.GradientDescentOptimizer(0.25).minimize(w * w)
    with gf.Session(device="reference") as sess:
        sess.run(gf.global_variables_initializer())
        sess.run(train)
        sess.run(train)
        assert sess.run(runs) == 2
        assert sess.run(w) == pytest.approx(0.5)


def test_learning_rate_schedules_match_tf1_formulas() -> None:
    step = gf.train.get_or_create_global_step()
    schedules = {
        "exp": gf.train.exponential_decay(0.1, step, 3, 0.5),
        "exp_stair": gf.train.exponential_decay(0.1, step, 3, 0.5, staircase=True),
        "inv": gf.train.inverse_time_decay(0.1, step, 2, 0.5),
        "inv_stair": gf.train.inverse_time_decay(0.1, step, 2, 0.5, staircase=True),
        "nat": gf.train.natural_exp_decay(0.1, step, 2, 0.5),
        "poly": gf.train.polynomial_decay(0.1, step, 4, 0.01, power=2.0),
        "poly_cycle": gf.train.polynomial_decay(0.1, step, 4, 0.01, power=0.5, cycle=True),
        "piece": gf.train.piecewise_constant(step, [2, 5], [1.0, 0.5, 0.1]),
    }

    def want(name: str, s: int) -> float:
        poly_s = min(s, 4)
        cycle_steps = 4 * max(1, int(np.ceil(s / 4)))
        return {
            "exp": 0.1 * 0.5 ** (s / 3), "exp_stair": 0.1 * 0.5 ** (s // 3),
            "inv": 0.1 / (1 + 0.5 * s / 2), "inv_stair": 0.1 / (1 + 0.5 * (s // 2)),
            "nat": 0.1 * np.exp(-0.5 * s / 2),
            "poly": (0.1 - 0.01) * (1 - poly_s / 4) ** 2 + 0.01,
            "poly_cycle": (0.1 - 0.01) * (1 - s / cycle_steps) ** 0.5 + 0.01,
            "piece": 1.0 if s <= 2 else 0.5 if s <= 5 else 0.1,
        }[name]

    with gf.Session() as sess:
        for s in range(0, 11):
            step.load(s, sess)
            got = sess.run(schedules)
            for name, value in got.items():
                assert value.dtype == np.float32, name
                np.testing.assert_allclose(value, want(name, s), rtol=1e-6, err_msg=f"{name} at step {s}")


@pytest.mark.parametrize("device", TARGETS)
def test_decayed_learning_rate_drives_sgd(device) -> None:
    w = gf.Variable(np.array([1.0, -2.0], np.float32), name="w")
    step = gf.train.get_or_create_global_step()
    lr = gf.train.exponential_decay(0.1, step, 2, 0.5, staircase=True)
    train = gf.train.GradientDescentOptimizer(lr).minimize(gf.reduce_sum(w * w), global_step=step)
    want = np.array([1.0, -2.0])
    with gf.Session(device=device) as sess:
        sess.run(gf.global_variables_initializer())
        for t in range(5):
            sess.run(train)
            want = want - 0.1 * 0.5 ** (t // 2) * 2 * want
        np.testing.assert_allclose(sess.run(w), want, rtol=1e-5)
        assert sess.run(step) == 5


def _cosine_restarts(s: int, first: float, t_mul: float, m_mul: float, alpha: float) -> float:
    """SGDR by walking the periods: period i lasts first * t_mul**i steps from lr * m_mul**i."""
    start, length, scale = 0.0, first, 1.0
    while s >= start + length:
        start, length, scale = start + length, length * t_mul, scale * m_mul
    return 0.1 * ((1 - alpha) * scale * 0.5 * (1 + np.cos(np.pi * (s - start) / length)) + alpha)


def test_cosine_schedules_match_their_formulas() -> None:
    step = gf.train.get_or_create_global_step()
    schedules = {
        "cos": gf.train.cosine_decay(0.1, step, 8),
        "cos_alpha": gf.train.cosine_decay(0.1, step, 8, alpha=0.25),
        "restarts": gf.train.cosine_decay_restarts(0.1, step, 3),
        "restarts_equal": gf.train.cosine_decay_restarts(0.1, step, 4, t_mul=1.0, m_mul=0.5, alpha=0.1),
        "restarts_tensor": gf.train.cosine_decay_restarts(0.1, step, 2, t_mul=gf.constant(3.0), m_mul=0.75),
        "lin_cos": gf.train.linear_cosine_decay(0.1, step, 10, num_periods=2.0, alpha=0.1, beta=0.01),
        "piece": gf.train.piecewise_constant_decay(step, [3], [0.5, 0.25]),
    }

    def want(name: str, s: int) -> float:
        c = min(s, 8)
        lc = min(s, 10)
        return {
            "cos": 0.1 * 0.5 * (1 + np.cos(np.pi * c / 8)),
            "cos_alpha": 0.1 * (0.75 * 0.5 * (1 + np.cos(np.pi * c / 8)) + 0.25),
            "restarts": _cosine_restarts(s, 3, 2.0, 1.0, 0.0),
            "restarts_equal": _cosine_restarts(s, 4, 1.0, 0.5, 0.1),
            "restarts_tensor": _cosine_restarts(s, 2, 3.0, 0.75, 0.0),
            "lin_cos": 0.1 * ((0.1 + (10 - lc) / 10) * 0.5 * (1 + np.cos(np.pi * 2 * 2.0 * lc / 10)) + 0.01),
            "piece": 0.5 if s <= 3 else 0.25,
        }[name]

    with gf.Session() as sess:
        for s in range(0, 30):
            step.load(s, sess)
            got = sess.run(schedules)
            for name, value in got.items():
                assert value.dtype == np.float32, name
                np.testing.assert_allclose(value, want(name, s), rtol=2e-5, atol=1e-7, err_msg=f"{name} at step {s}")


def test_noisy_linear_cosine_decay_draws_the_stated_noise() -> None:
    step = gf.train.get_or_create_global_step()
    lr = gf.train.noisy_linear_cosine_decay(gf.constant(1.0, gf.float64), step, 10, initial_variance=2.0,
                                            variance_decay=0.5, num_periods=0.5, alpha=0.0, beta=0.0)
    with gf.Session() as sess:
        for s in (0, 3):
            step.load(s, sess)
            cosine = 0.5 * (1 + np.cos(np.pi * s / 10))
            noise = np.array([sess.run(lr) for _ in range(2000)]) / cosine - (10 - s) / 10
            std = np.sqrt(2.0 / (1 + s) ** 0.5)
            # 2000 draws: the mean's standard error is std / 45, the deviation's about std / 63
            assert abs(noise.mean()) < 4 * std / 45, (s, noise.mean())
            assert abs(noise.std() - std) < 4 * std / 63, (s, noise.std(), std)


def test_optimizers_refuse_bad_hyperparameters() -> None:
    with pytest.raises(ValueError, match="learning_rate_power must be at most 0, got 0.5"):
        gf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength must be at least 0, got -1"):
        gf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        gf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="needs the global step"):
        gf.train.AdagradDAOptimizer(0.1, None)
