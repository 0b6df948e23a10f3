"""TF1's platform utilities: ``tf.app``, ``tf.flags``, ``tf.gfile`` and ``tf.logging``; and the MPI
binding (``mpi``) that graphflow.distributed runs on."""
