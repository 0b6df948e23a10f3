"""PyTorch's surface: ``nn`` (the CamelCase modules and ``nn.functional``), ``optim`` (optimizers
and ``lr_scheduler``) and ``utils.data`` (Dataset, DataLoader), read as a whole here.

Users reach them under PyTorch's paths (``graphflow.nn.Linear``, ``graphflow.nn.functional``,
``graphflow.optim``, ``graphflow.utils.data``): ``graphflow.public_paths`` maps those to the
modules here. Nothing here imports TF1's surface (``graphflow.tf1``); both stand on
``graphflow.ops`` and ``graphflow.core``.
"""
