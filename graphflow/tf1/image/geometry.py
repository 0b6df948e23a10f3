"""tf.image's geometry: resizing, crops and pads, flips and rotations, patches, boxes."""
__all__: list[str] = []
