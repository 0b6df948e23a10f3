"""TensorFlow's byte formats, read and written without TensorFlow: CRC32C, the few protobuf
messages TensorBoard's compat protos lack, TFRecord files, the tensor bundle and SavedModel.

Nothing here builds graph nodes: graph ops that read these formats live in ``graphflow/ops`` and
the TF1 API around them in ``graphflow/tf1``. Every reader trusts nothing in a file: sizes are
checked before anything is allocated and malformed bytes raise ``DataLossError`` naming the file.
"""
