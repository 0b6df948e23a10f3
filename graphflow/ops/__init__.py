"""Op definitions: each module registers its primitives' rows (shape and dtype rules, numpy
reference, scalar template, gradient) and defines the public functions; the targets' rules for
them live in ``graphflow/compiler/<target>/``.

The modules form layers, each importing only those below it (at module top), so primitives
never import composites:

- ``_build``, ``deferred``: node construction, rows for elementwise ops, rank-polymorphic calls;
- ``constant_ops`` (constants, placeholders, no_op/group), ``reductions`` (the reduction
  builders), ``elementwise_ops`` (elementwise rows, builders and Tensor operators);
- ``shape_ops``, ``slice_ops``, ``concat_ops``, ``check_ops``, ``linalg_ops``, then
  ``state_ops`` (fill, range, random), then ``array_ops``, ``reduce_ops`` (the reduction rows and
  composites), ``func_graph`` (tracing, the DEFERRED row);
- composites above them: ``activation_ops`` (tf.nn's activations), ``index_ops``, ``sort_ops``,
  ``array_extras``, ``random_ops``, ``gradient_ops`` (hessians), ... and ``math_ops``, the
  public face of ``elementwise_ops`` whose ``where`` takes one argument too.

A name that moved down keeps its old import path (``state_ops.constant``,
``reduce_ops.reduce_sum``, ``math_ops.cast``, ...).
"""
