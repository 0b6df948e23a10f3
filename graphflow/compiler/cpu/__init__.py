"""The CPU target: lowering to numba.njit code (the inline entry or the Python glue), and the
kernel libraries the generated code calls."""
