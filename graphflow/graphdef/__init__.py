"""Graph files: TF1's ``GraphDef`` protobuf in both directions (``export`` and ``importer``, one
translation table each), the picture TensorBoard shows (``display``) and ``graph_util``."""
