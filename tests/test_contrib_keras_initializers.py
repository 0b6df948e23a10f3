"""``tf.contrib.keras.initializers``' variance-scaling initializers: the same as
``tf.initializers``' (as Keras defined them in TF 1.15), with their variances."""
from __future__ import annotations

import numpy as np
import pytest

import graphflow as gf

K = gf.contrib.keras.initializers


@pytest.mark.parametrize("name, scale, fan", [
    ("he_normal", 2.0, "in"), ("he_uniform", 2.0, "in"), ("lecun_normal", 1.0, "in"),
    ("lecun_uniform", 1.0, "in"), ("glorot_normal", 1.0, "avg"), ("glorot_uniform", 1.0, "avg")])
def test_variance_scaling(name: str, scale: float, fan: str) -> None:
    shape = [200, 300]
    with gf.Graph().as_default():
        ours = gf.get_variable("a", shape, initializer=getattr(K, name)(seed=3))
        core = getattr(gf.initializers, name, None) or getattr(gf, f"{name}_initializer")
        same = gf.get_variable("b", shape, initializer=core(seed=3))
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            a, b = s.run([ours, same])
    np.testing.assert_array_equal(a, b)
    n = shape[0] if fan == "in" else (shape[0] + shape[1]) / 2
    assert np.var(a) == pytest.approx(scale / n, rel=0.05)
    if name.endswith("uniform"):
        assert np.abs(a).max() <= np.sqrt(3 * scale / n)


def test_module_paths() -> None:
    import graphflow.contrib.keras.initializers as initializers

    assert initializers is K and K.he_normal is gf.initializers.he_normal
