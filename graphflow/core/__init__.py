"""The IR core every other part stands on: the graph (ir, with its naming in names and device
strings in devices), the op registry, the attributes of the nodes the core builds itself (attrs)
and how a node is built (nodes), dtypes, shapes, random streams, errors, autodiff, build-time
evaluation, the types of builders' arguments (types), the runtime's hook point (runtime_hook)
and the value class of the session tensors the runtime keeps (session_handle). It imports
nothing above it; what the op layer installs onto its classes is listed in ir's docstring."""
