"""Every tolerance the tests use, keyed by dtype. Widen per op only with a comment saying why."""
from __future__ import annotations

import numpy as np

# compiled result vs numpy reference
VALUE = {
    "float16": dict(rtol=1e-3, atol=1e-3),
    "float32": dict(rtol=1e-5, atol=1e-6),
    "float64": dict(rtol=1e-10, atol=1e-12),
}
# float64 gradient checks: central differences with step GRAD_DELTA, and the adjoint test
GRAD_DELTA = 1e-6
GRAD = dict(rtol=1e-5, atol=1e-7)
ADJOINT = dict(rtol=1e-9, atol=1e-10)


def value_tol(dtype: object) -> dict:
    name = np.dtype(dtype).name  # type: ignore[call-overload]
    return VALUE.get(name, dict(rtol=0, atol=0))
