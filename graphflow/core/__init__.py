"""The IR core every other part stands on: the graph (ir), the op registry, dtypes, shapes,
random streams, errors, autodiff and build-time evaluation. It imports nothing above it."""
