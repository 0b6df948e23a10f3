"""The CUDA target: numba.cuda kernel sources for the primitives and fused loops."""
