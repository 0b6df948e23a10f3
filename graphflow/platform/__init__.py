"""What graphflow needs from the machine: files written atomically (``atomic_file``), the memory
limit (``memory``), CUDA discovery (``cuda``) and the MPI binding (``mpi``) that
graphflow.distributed and the collective ops run on. TF1's ``tf.app``, ``tf.flags``, ``tf.gfile``
and ``tf.logging`` live at TF1's own path, ``graphflow/tf1/python/platform/``."""
