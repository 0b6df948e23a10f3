#!/usr/bin/env bash
# The GPU subset (issue 11) on a machine with an NVIDIA GPU, in about six minutes: the op and
# gradient tests on the real device (GRAPHFLOW_TEST_CUDA=1, no simulator), the three training
# graphs and the cuBLAS parity test, then the GPU benchmarks beside PyTorch CUDA.
#   bash tools/gpu_check.sh [more pytest args]
set -uo pipefail
cd "$(dirname "$0")/.."
unset NUMBA_ENABLE_CUDASIM
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
GRAPHFLOW_TEST_CUDA=1 timeout 300 python -m pytest -q -x -n 4 -p no:cacheprovider -k 'cuda or grad' \
    tests/test_math_ops.py tests/test_nn_ops.py tests/test_conv_ops.py tests/test_reduce_ops.py \
    tests/test_array_ops.py tests/test_everyday_ops.py tests/test_losses.py tests/test_optimizers.py \
    tests/test_control_flow.py tests/test_cuda_runtime.py "$@"
echo "pytest exit: $?"
timeout 240 python tools/bench_cuda.py
