"""The CUDA target's runtime: device memory, the executable, its steps and dumps."""
