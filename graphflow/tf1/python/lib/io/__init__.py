"""``tensorflow.python.lib.io``: ``file_io`` (gfile's functions under their lowercase names) and
``tf_record`` (the TFRecord writer and iterator)."""
