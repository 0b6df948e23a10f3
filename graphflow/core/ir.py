"""The IR: one immutable node type (``Operation``), its output ``Tensor`` and the ``Graph``.

A node holds (op, inputs, attrs, dtypes, shapes, control inputs). Names and the user's source
site are stored on the node too but take no part in its structure. Nodes never point back to
their consumers; a Graph only appends. TF1's ``Tensor.set_shape`` refines a tensor's static
shape without touching its node: the graph records the refinement, and the node's ``shapes``
read it.

A node's ``uid`` is an integer that orders nodes: a graph's nodes take multiples of
``UID_STRIDE`` in build order, so that the compiler can number the nodes it builds in place of
one (a deferred op's expansion) between it and the next graph node, in integers too.

What the layers above install here. The core builds only the nodes it needs itself (a constant
in ``convert_to_tensor``; autodiff's sums and fills); what builds any other op is defined above
the core and installed onto these classes when its module is imported (as TensorFlow's op
modules install Tensor's overloadable operators), never looked up through the core:

- ``Tensor``'s arithmetic, comparison and logical operators: ``graphflow.ops.elementwise_ops``;
  ``@``: ``graphflow.ops.linalg_ops``;
- ``Tensor.__getitem__`` (``t[1:2]``): ``graphflow.ops.slice_ops``;
- ``Tensor.__iter__`` (unstack) and ``Tensor._pack`` (stack: how ``convert_to_tensor`` converts
  a list holding tensors): ``graphflow.ops.concat_ops``;
- ``Graph.as_graph_def``: ``graphflow.graphdef.export``.

Before those modules are imported (``graphflow.core`` alone), these raise a RuntimeError.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from graphflow.core import debug_modes
from graphflow.core import dtypes as _dt
from graphflow.core.attrs import ConstAttrs
from graphflow.core.conversion_registry import BUILTIN, convert_registered, has_registered_conversion
from graphflow.core.devices import DeviceSpecLike, canonical_device, spec_string
from graphflow.core.dtypes import DType
from graphflow.core.names import NameTable
from graphflow.core.registry import Op, get
from graphflow.core.runtime_hook import default_graph_reset, session_for
from graphflow.core.shapes import ShapeInput, TensorShape, as_shape

UID_STRIDE = 1 << 20  # uids of consecutive graph nodes; the compiler numbers nodes in between
# whether any graph has recorded a set_shape refinement: reading a node's shapes (every run's feed
# checks do) skips the graph's table until one has
_REFINED = [False]
_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # graphflow/


def user_site() -> str:
    """``file:line`` of the innermost caller outside graphflow (the user's line)."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_PKG_DIR) and "contextlib" not in fn:
            return f"{fn}:{f.f_lineno}"
        f = f.f_back  # type: ignore[assignment]
    return "<unknown>"


class Operation:
    """A node of the graph (TF1's ``tf.Operation``). Immutable once built."""

    __slots__ = ("op", "inputs", "attrs", "dtypes", "_shapes", "control_inputs", "name", "site",
                 "graph", "uid", "outputs", "__weakref__")
    op: Op
    inputs: tuple[Tensor, ...]
    attrs: Any
    dtypes: tuple[DType, ...]
    _shapes: tuple[TensorShape, ...]  # as inferred when built (``shapes`` adds set_shape's refinements)
    control_inputs: tuple[Operation, ...]
    name: str
    site: str
    graph: Graph | None
    uid: int
    outputs: tuple[Tensor, ...]

    def __init__(self, op: Op, inputs: tuple[Tensor, ...], attrs: object, dtypes: tuple[DType, ...],
                 shapes: tuple[TensorShape, ...], control_inputs: tuple[Operation, ...], name: str,
                 site: str, graph: Graph | None, uid: int, output_type: type | None = None) -> None:
        set_ = object.__setattr__
        set_(self, "op", op)
        set_(self, "inputs", inputs)
        set_(self, "attrs", attrs)
        set_(self, "dtypes", dtypes)
        set_(self, "_shapes", shapes)
        set_(self, "control_inputs", control_inputs)
        set_(self, "name", name)
        set_(self, "site", site)
        set_(self, "graph", graph)
        set_(self, "uid", uid)
        cls = output_type or Tensor
        set_(self, "outputs", tuple(cls(self, i) for i in range(len(dtypes))))

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("graph nodes are immutable")

    @property
    def shapes(self) -> tuple[TensorShape, ...]:
        """The outputs' static shapes: as inferred, refined by any ``set_shape`` on them."""
        if _REFINED[0]:  # some graph of this process refined a shape (set_shape): look it up
            g = self.graph
            hit = g._refined.get(id(self)) if g is not None else None
            if hit is not None:
                return hit[1]
        return self._shapes

    @property
    def type(self) -> str:
        return self.op.value

    @property
    def node_def(self) -> Operation:
        return self

    @property
    def device(self) -> str:
        """Where the node was placed (TF1's canonical ``/device:GPU:0``), or "" when unplaced."""
        return self.graph.placements.get(self.uid, "") if self.graph is not None else ""

    def get_attr(self, name: str) -> Any:
        return getattr(self.attrs, name)

    def describe(self) -> str:
        """How errors name the node: ``'name' (Type) created at file:line``."""
        return f"'{self.name}' ({self.op.value}) created at {self.site}"

    def run(self, feed_dict: dict | None = None, session: object = None) -> None:
        session_for(self.graph, session).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<gf.Operation '{self.name}' type={self.op.value}>"


class Tensor:
    """The ``index``-th output of an Operation, with NumPy-style operators."""

    __slots__ = ("node", "index", "__weakref__")
    __array_priority__ = 100  # numpy defers to our reflected operators

    def __init__(self, node: Operation, index: int) -> None:
        self.node = node
        self.index = index

    op = property(lambda self: self.node)
    dtype = property(lambda self: self.node.dtypes[self.index])
    shape = property(lambda self: self.node.shapes[self.index])
    graph = property(lambda self: self.node.graph)
    device = property(lambda self: self.node.device)
    value_index = property(lambda self: self.index)

    @property
    def name(self) -> str:
        return f"{self.node.name}:{self.index}"

    def get_shape(self) -> TensorShape:
        return self.shape

    def set_shape(self, shape: ShapeInput) -> None:
        """TF1's ``set_shape``: refine the static shape (a ValueError when ``shape`` is not
        compatible with it). The graph records the refinement; the node is left as it is."""
        merged = self.shape.merge_with(as_shape(shape))
        if self.graph is None:
            raise ValueError(f"cannot set the shape of {self.name}: its node belongs to no graph")
        self.graph._refine_shape(self, merged)

    def consumers(self) -> list[Operation]:
        return self.graph._consumers_of(self)

    def eval(self, feed_dict: dict | None = None, session: object = None) -> Any:
        return session_for(self.graph, session).run(self, feed_dict=feed_dict)

    def __repr__(self) -> str:
        return f"<gf.Tensor '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    # ``==`` and hashing are Python identity (object's own), as in TF1

    def __bool__(self) -> bool:
        raise TypeError("a graphflow Tensor has no truth value while the graph is built; "
                        "use gf.cond / gf.where, or fetch it with sess.run")

    def __len__(self) -> int:
        d = self.shape[0] if self.shape.rank else None
        if d is None:
            raise TypeError(f"len() of {self.name} is unknown: its first dim is not static")
        return d

    if TYPE_CHECKING:  # the operators graphflow.ops installs (see the module docstring), for type checkers
        def __add__(self, other: object) -> Tensor: ...
        def __radd__(self, other: object) -> Tensor: ...
        def __sub__(self, other: object) -> Tensor: ...
        def __rsub__(self, other: object) -> Tensor: ...
        def __mul__(self, other: object) -> Tensor: ...
        def __rmul__(self, other: object) -> Tensor: ...
        def __truediv__(self, other: object) -> Tensor: ...
        def __rtruediv__(self, other: object) -> Tensor: ...
        def __floordiv__(self, other: object) -> Tensor: ...
        def __rfloordiv__(self, other: object) -> Tensor: ...
        def __mod__(self, other: object) -> Tensor: ...
        def __rmod__(self, other: object) -> Tensor: ...
        def __pow__(self, other: object) -> Tensor: ...
        def __rpow__(self, other: object) -> Tensor: ...
        def __matmul__(self, other: object) -> Tensor: ...
        def __rmatmul__(self, other: object) -> Tensor: ...
        def __lt__(self, other: object) -> Tensor: ...
        def __le__(self, other: object) -> Tensor: ...
        def __gt__(self, other: object) -> Tensor: ...
        def __ge__(self, other: object) -> Tensor: ...
        def __and__(self, other: object) -> Tensor: ...
        def __rand__(self, other: object) -> Tensor: ...
        def __or__(self, other: object) -> Tensor: ...
        def __ror__(self, other: object) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __pos__(self) -> Tensor: ...

    # installed by the op layer (see the module docstring); these stand until it is imported
    def __iter__(self) -> Iterator[Tensor]:
        raise _not_installed("Tensor.__iter__", "graphflow.ops.concat_ops")

    def __getitem__(self, key: object) -> Tensor:
        raise _not_installed("Tensor.__getitem__", "graphflow.ops.slice_ops")

    @staticmethod
    def _pack(values: list[Tensor]) -> Tensor:
        """One tensor stacking ``values`` (``convert_to_tensor`` of a list holding tensors)."""
        raise _not_installed("Tensor._pack", "graphflow.ops.concat_ops")


def _not_installed(what: str, where: str) -> RuntimeError:
    return RuntimeError(f"{what} is installed by {where}: import graphflow, not graphflow.core alone")


# ---------------------------------------------------------------------------------------------
# graphs


# a device() scope: a spec ("/gpu:0"), a function of the node giving one, or None (clears)
DevicePlacement = Union[str, Callable[["Operation"], Union[str, None]], None]


class Graph(NameTable):
    """A TF1 graph: an append-only list of operations with unique names (``NameTable``) and
    collections."""

    def __init__(self) -> None:
        self._nodes: list[Operation] = []
        self._names: dict[str, Operation] = {}
        self._scope: str = ""
        self._init_names()
        self._control: list[list[Operation]] = []
        self._collections: dict[str, list[Any]] = {}
        self._finalized = False
        self.seed: int | None = None
        self._op_seed_counter = 0
        self._lock = threading.Lock()
        self._var_scope_store: dict[str, Any] = {}
        self._var_scope: list[Any] = []
        self._device: list[DevicePlacement] = []  # device() scopes (None clears the outer ones)
        self.placements: dict[int, str] = {}  # node uid -> canonical device, for nodes built in a scope
        self.first_gpu_node: Operation | None = None  # the first node placed on a GPU
        self.version = 0
        # Tensor.consumers: id(tensor) -> the ops reading it, kept up to date lazily (the graph only appends)
        self._consumers: dict[int, list[Operation]] = {}
        self._consumers_upto = 0
        # set_shape's refinements: id(node) -> (the node, kept alive so its id stays its own; shapes)
        self._refined: dict[int, tuple[Operation, tuple[TensorShape, ...]]] = {}
        # gradient_override_map: the scopes' {op type: registered gradient name}, and what each
        # node built in one was given (node uid -> name; autodiff looks it up)
        self._gradient_map: list[dict[str, str]] = []
        self.gradient_overrides: dict[int, str] = {}

    # -- building
    def add_node(self, op: Op, inputs: Sequence[Tensor] = (), attrs: object = None, name: str | None = None,
                 output_type: type | None = None, control_inputs: Sequence[Operation] = (),
                 site: str | None = None) -> Operation:
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified "
                               f"(adding {op.value} at {site or user_site()})")
        site = site or user_site()
        for t in inputs:
            if not isinstance(t, Tensor):
                raise TypeError(f"{op.value} input must be a Tensor, got {type(t).__name__} at {site}")
            if t.graph is not self and not self._takes_outer(op, t):
                raise ValueError(f"Tensor {t.name} must be from the same graph as the {op.value} "
                                 f"being built at {site}")
        if debug_modes.input_rewriters:  # tf.debugging.enable_check_numerics: checked values are read
            for rewrite in debug_modes.input_rewriters:
                inputs = rewrite(self, op, list(inputs))
        row = get(op)
        in_shapes = [t.shape for t in inputs]
        in_dtypes = [t.dtype for t in inputs]
        if name and name.endswith("/"):
            # TF1: a scope's name (what ``name_scope`` yields, "Foo/") names the op "Foo" exactly,
            # neither prefixed nor numbered: ``return gf.identity(y, name=scope)``
            full_name = name[:-1]
        else:
            full_name = self.unique_name(name or op.value)
        if full_name in self._names:  # only an exact name can collide (TF1 does not mark those used)
            raise ValueError(f"Duplicate node name in graph: '{full_name}' (the {op.value} being built "
                             f"at {site}; {self._names[full_name].describe()} has it)")
        try:
            out_dtypes = tuple(row.dtype_rule(in_dtypes, attrs))
            out_shapes = tuple(as_shape(s) for s in row.shape_rule(in_shapes, attrs))
        except (ValueError, TypeError) as e:
            operands = ", ".join(f"'{t.name}' with shape {t.shape} ({t.dtype.name})" for t in inputs)
            raise type(e)(f"{e}\n  in '{full_name}' ({op.value}) of operands [{operands}]\n"
                          f"  created at {site}") from None
        controls = list(control_inputs)
        if self._control:
            # a set, not a scan of the list: k control inputs in scope cost O(k), not O(k * (k + inputs))
            seen = {id(c) for c in controls}
            seen.update(id(t.node) for t in inputs)
            for frame in self._control:
                for c in frame:
                    if id(c) not in seen:
                        seen.add(id(c))
                        controls.append(c)
        node = Operation(op, tuple(inputs), attrs, out_dtypes, out_shapes, tuple(controls),
                         full_name, site, self, len(self._nodes) * UID_STRIDE, output_type)
        with self._lock:
            self._nodes.append(node)
            self._names[full_name] = node
            self.version += 1
        if self._device:
            self._place(node)
        if debug_modes.check_numerics[0]:
            debug_modes.checked_nodes.setdefault(self, set()).add(node.uid)
        if self._gradient_map:
            override = self._gradient_map[-1].get(op.value)
            if override is not None:
                self.gradient_overrides[node.uid] = override
        return node

    def _refine_shape(self, t: Tensor, shape: TensorShape) -> None:
        """Record ``shape`` as ``t``'s static shape (``Tensor.set_shape``, already merged)."""
        shapes = list(t.node.shapes)
        shapes[t.index] = shape
        with self._lock:
            self._refined[id(t.node)] = (t.node, tuple(shapes))
        _REFINED[0] = True

    def _place(self, node: Operation) -> None:
        """Record the device of the innermost ``device()`` scope (a function is called with the node)."""
        for spec in reversed(self._device):
            if spec is None:
                return
            if callable(spec):
                spec = spec(node)
            if spec:
                where = canonical_device(spec)
                self.placements[node.uid] = where
                if self.first_gpu_node is None and ":GPU:" in where:
                    self.first_gpu_node = node
                return

    def _takes_outer(self, op: Op, t: Tensor) -> bool:
        """Whether a node here may take ``t`` of another graph (control-flow functions' assignments)."""
        return False

    # -- queries
    def get_operations(self) -> list[Operation]:
        return list(self._nodes)

    def _consumers_of(self, t: Tensor) -> list[Operation]:
        """The operations of this graph that read ``t``, in the order they were built."""
        with self._lock:
            index, nodes = self._consumers, self._nodes
            for i in range(self._consumers_upto, len(nodes)):
                n = nodes[i]
                for x in n.inputs:
                    readers = index.setdefault(id(x), [])
                    if not readers or readers[-1] is not n:
                        readers.append(n)
            self._consumers_upto = len(nodes)
            return list(index.get(id(t), ()))

    def as_graph_def(self, from_version: int | None = None, add_shapes: bool = False) -> Any:
        """TF1's ``GraphDef`` of this graph: TensorFlow 1 loads it, and ``gf.import_graph_def``
        loads it back. Installed by ``graphflow.graphdef.export`` (see the module docstring)."""
        raise _not_installed("Graph.as_graph_def", "graphflow.graphdef.export")

    def get_operation_by_name(self, name: str) -> Operation:
        try:
            return self._names[name]
        except KeyError:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph") from None

    def get_tensor_by_name(self, name: str) -> Tensor:
        if ":" not in name:
            raise ValueError(f"The name '{name}' looks like an Operation name; tensor names look "
                             f"like '{name}:0'")
        op_name, _, idx = name.rpartition(":")
        node = self.get_operation_by_name(op_name)
        i = int(idx)
        if i >= len(node.outputs):
            raise KeyError(f"The name '{name}' refers to output {i} of {op_name}, which has "
                           f"{len(node.outputs)} outputs")
        return node.outputs[i]

    def as_graph_element(self, obj: Tensor | Operation | str) -> Tensor | Operation:
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        return obj

    # -- state
    def finalize(self) -> None:
        self._finalized = True

    @property
    def finalized(self) -> bool:
        return self._finalized

    def _unsafe_unfinalize(self) -> None:
        self._finalized = False

    def next_op_seed(self) -> int:
        self._op_seed_counter += 1
        return self._op_seed_counter

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        _default_stack.append(self)
        try:
            yield self
        finally:
            _default_stack.pop()

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        old = self._scope
        if name is None or name == "":
            self._scope = ""
        elif name.endswith("/"):
            self._scope = name[:-1]
        else:
            self._scope = self.unique_name(name)
        try:
            yield self._scope + "/" if self._scope else ""
        finally:
            self._scope = old

    def get_name_scope(self) -> str:
        return self._scope

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Sequence[Tensor | Operation | str] | None) -> Iterator[None]:
        if control_inputs is None:
            saved, self._control = self._control, []
            try:
                yield
            finally:
                self._control = saved
            return
        ops = []
        for c in control_inputs:
            c = self.as_graph_element(c)
            ops.append(c.node if isinstance(c, Tensor) else c)
        self._control.append(ops)
        try:
            yield
        finally:
            self._control.pop()

    @contextlib.contextmanager
    def device(self, name: DevicePlacement | DeviceSpecLike) -> Iterator[None]:
        """TF1's placement scope: nodes built inside are placed on ``name`` ("/gpu:0", "/device:CPU:0",
        a function of the node returning one); None clears an outer scope."""
        spec = name if name is None or callable(name) or isinstance(name, str) else spec_string(name)
        self._device.append(spec)
        try:
            yield
        finally:
            self._device.pop()

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: dict[str, str]) -> Iterator[None]:
        """Nodes of these op types built within the block take their gradient from the function
        registered (``gf.RegisterGradient``) under the mapped name (TF1's ``gradient_override_map``)."""
        for k, v in op_type_map.items():
            if not (isinstance(k, str) and isinstance(v, str)):
                raise TypeError(f"gradient_override_map maps op type strings to strings, got {k!r}: {v!r}")
        # TF1's op types graphflow builds under another primitive's name: tf.round makes a Rint node
        named = {{"Round": "Rint"}.get(k, k): v for k, v in op_type_map.items()}
        merged = {**(self._gradient_map[-1] if self._gradient_map else {}), **named}
        self._gradient_map.append(merged)
        try:
            yield
        finally:
            self._gradient_map.pop()

    # -- collections
    def add_to_collection(self, key: str, value: object) -> None:
        self._collections.setdefault(key, []).append(value)

    def add_to_collections(self, keys: Sequence[str], value: object) -> None:
        for k in keys:
            self.add_to_collection(k, value)

    def get_collection(self, key: str, scope: str | None = None) -> list[Any]:
        items = list(self._collections.get(key, []))
        if scope is None:
            return items
        import re
        return [v for v in items if re.match(scope, getattr(v, "name", ""))]

    def get_collection_ref(self, key: str) -> list[Any]:
        return self._collections.setdefault(key, [])

    def get_all_collection_keys(self) -> list[str]:
        return list(self._collections)

    def clear_collection(self, key: str) -> None:
        self._collections.pop(key, None)

    def __repr__(self) -> str:
        return f"<gf.Graph with {len(self._nodes)} ops>"


_default_stack: list[Graph] = []
_global_default: list[Graph] = [Graph()]


def get_default_graph() -> Graph:
    return _default_stack[-1] if _default_stack else _global_default[0]


def reset_default_graph() -> None:
    if _default_stack:
        raise AssertionError("reset_default_graph() is not allowed inside a graph.as_default() block")
    _global_default[0] = Graph()
    default_graph_reset()


# ---------------------------------------------------------------------------------------------
# conversion of user values


def convert_to_tensor(value: object, dtype: DType | np.dtype | type | str | None = None, name: str | None = None,
                      dtype_hint: DType | np.dtype | type | str | None = None) -> Tensor:
    """Tensors pass through (their dtype is checked); other values become constants.

    >>> convert_to_tensor(1.5).dtype
    gf.float32
    """
    if isinstance(value, Tensor):
        if dtype is not None and _dt.as_dtype(dtype) != value.dtype:
            raise TypeError(f"Tensor {value.name} has dtype {value.dtype.name}, "
                            f"expected {_dt.as_dtype(dtype).name}")
        return value
    conv = getattr(value, "_as_graph_tensor", None)
    if conv is not None:
        return convert_to_tensor(conv(), dtype=dtype)
    if has_registered_conversion(value):  # tf.register_tensor_conversion_function's classes
        converted = convert_registered(value, None if dtype is None else _dt.as_dtype(dtype), name, False,
                                       None if dtype_hint is None else _dt.as_dtype(dtype_hint), Tensor)
        if converted is not BUILTIN:
            return converted
    if isinstance(value, (list, tuple)) and any(isinstance(v, Tensor) for v in value):
        return Tensor._pack([convert_to_tensor(v, dtype=dtype) for v in value])
    if dtype is None:
        target = _dt.infer_dtype(value)
        if dtype_hint is not None and not isinstance(value, np.ndarray):
            hint = _dt.as_dtype(dtype_hint)
            arr = np.asarray(value)
            if arr.dtype.kind in "biuf" and (hint.is_floating or np.array_equal(arr.astype(hint.np), arr)):
                target = hint
    else:
        target = _dt.as_dtype(dtype)
    return _constant(value, target, name)


def _constant(value: object, dtype: DType, name: str | None) -> Tensor:
    """A CONST node holding ``value`` as ``dtype``, in the default graph (``gf.constant``
    without its ``shape``)."""
    arr = _dt.constant_value(value, dtype)
    arr.setflags(write=False)
    node = get_default_graph().add_node(Op.CONST, (), ConstAttrs(arr), name=name, site=user_site())
    return node.outputs[0]

