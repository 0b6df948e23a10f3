"""``tf.saved_model``: TF's SavedModel format, written and read (builder, loader, simple_save,
signature defs, tags)."""
