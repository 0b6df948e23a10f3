"""``gf.test``, as TF1's ``tf.test``: numerical gradient checking (``compute_gradient``),
``TestCase`` (sessions on a fresh graph per test, the array assertions), ``main``, ``Benchmark``
and the build queries.

    import graphflow as tf

    class SquareTest(tf.test.TestCase):
        def test_square(self):
            with self.cached_session():
                self.assertAllClose(tf.square([2.0, 3.0]).eval(), [4.0, 9.0])

    if __name__ == "__main__":
        tf.test.main()

One module per concept: ``gradient_checker``, ``testcase``, ``benchmark``, ``build_info`` (what
this build and machine can run) and ``process`` (``main``, the temporary directory, source paths).
"""
from __future__ import annotations

from graphflow.runtime.testing.benchmark import Benchmark
from graphflow.runtime.testing.build_info import (
    gpu_device_name,
    is_built_with_cuda,
    is_built_with_gpu_support,
    is_built_with_rocm,
    is_built_with_xla,
    is_cpu_target_available,
    is_gpu_available,
)
from graphflow.runtime.testing.gradient_checker import compute_gradient, compute_gradient_error
from graphflow.runtime.testing.process import get_temp_dir, main, test_src_dir_path
from graphflow.runtime.testing.testcase import TestCase

__all__ = ["Benchmark", "TestCase", "compute_gradient", "compute_gradient_error", "get_temp_dir", "gpu_device_name",
           "is_built_with_cuda", "is_built_with_gpu_support", "is_built_with_rocm", "is_built_with_xla",
           "is_cpu_target_available", "is_gpu_available", "main", "test_src_dir_path"]
