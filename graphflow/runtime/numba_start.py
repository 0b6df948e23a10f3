"""Numba's one-time start in a process: its typing and target registries and its LLVM engine,
about 0.3 s, paid by the first call of any jitted function, compiled or loaded from the cache.

A CPU Session starts it when it is created, as the initializer's compiled run used to before
initializers ran in numpy (``reference.initializer_only``): the work is the same, and the first
run of a training step then measures that step's own compiling and loading.
"""
from __future__ import annotations

import numba

_started = [False]


@numba.njit(cache=True)
def _one(x):  # type: ignore[no-untyped-def]
    return x + 1


def start() -> None:
    """Start numba in this process, once."""
    if not _started[0]:
        _one(1)
        _started[0] = True
