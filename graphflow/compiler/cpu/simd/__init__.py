"""Generated SIMD kernels for the CPU target (issue 22).

``vector``: the vocabulary generated kernels are written in: an explicit LLVM vector type and the
few operations kernels need (load, store, splat, fma, add, mul, max, horizontal sum and max,
loads and stores of the first n lanes for tails), as numba intrinsics, and the host's vector width.
"""
