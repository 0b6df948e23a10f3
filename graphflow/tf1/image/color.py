"""tf.image's colour: conversions, adjustments (random and not), standardization, codecs."""
__all__: list[str] = []
