"""What an emitter declares it can do: the flags rules and loop builders read instead of probing.

Every emitter (``compiler/emitter.py``'s ``Emitter`` and its subclasses) carries one frozen
``Capabilities`` as ``em.caps``, fixed when it is made. A rule that would write different code
for an inline entry than for a kernel of its own asks these flags, never the emitter's class or
attributes: the glue-versus-inline split reaches rules only through them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    """Declared capabilities of one emitter.

    - ``numpy_copies``: copies (slices, concat) may be numpy slice assignments; a kernel of its
      own then has no loop, runs as plain Python and costs no compile (``kernels.interpretable``).
    - ``can_flatten``: the caller passes arrays flattened when the code says so
      (``em.flattened = True``), so one elementwise loop serves every rank.
    - ``assume_same_shape``: the caller has compared the inputs' run-time shapes: elementwise
      loops may run flat without checking them (``cpu.lower.GlueEmitter`` guards the call).
    - ``shortcuts``: the caller may test a condition under which the result is an input itself
      (``em.shortcut = (condition, j)``) before calling the code, as glue does.
    - ``guard_counter``: the name of a counter array the code increments where an element fails a
      per-element check, for targets whose kernels cannot raise (CUDA); None where checks raise.
    - ``vector_width``: the lanes of the widest explicit SIMD vector the target machine offers for
      generated vector kernels (``cpu.interface.CpuEmit`` documents the slot); 0 while no
      emitter generates them.
    """

    numpy_copies: bool = False
    can_flatten: bool = False
    assume_same_shape: bool = False
    shortcuts: bool = False
    guard_counter: str | None = None
    vector_width: int = 0


INLINE = Capabilities()  # code inline in one entry: it loops itself and can hand nothing back
# a kernel of its own, called from Python glue
KERNEL = Capabilities(numpy_copies=True, can_flatten=True, shortcuts=True)
