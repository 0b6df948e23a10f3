"""``gf.Session``: feeds in, fetches out, one compiled native call per run."""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import numpy as np

from graphflow.compiler.program import build
from graphflow.core import debug_modes
from graphflow.core.dtypes import to_strings
from graphflow.core.errors import InvalidArgumentError, OpError, ResourceExhaustedError, UnimplementedError
from graphflow.core.ir import Graph, Operation, Tensor, get_default_graph
from graphflow.core.registry import Op
from graphflow.core.runtime_hook import Runtime, register_runtime
from graphflow.core.session_handle import TensorHandle
from graphflow.core.types import FeedDict
from graphflow.platform import cuda as cuda_platform
from graphflow.runtime import compile_pool, host, session_ops, tracing
from graphflow.runtime.dump import dump_executable
from graphflow.runtime.executable import Executable
from graphflow.runtime.memory import keep_freed_memory
from graphflow.runtime.reference import ReferenceExecutable
from graphflow.runtime.state import State
from graphflow.tf1.config import ConfigProto, RunMetadata, RunOptions

_default_sessions: list[Session] = []


def clear_default_session() -> None:
    _default_sessions.clear()


def get_default_session() -> Session | None:
    return _default_sessions[-1] if _default_sessions else None


def default_session_for(graph: Graph | None, session: Session | None) -> Session:
    sess = session or get_default_session()
    if sess is None:
        raise ValueError("Cannot evaluate tensor using `eval()`/`run()`: No default session is "
                         "registered. Use `with sess.as_default()` or pass session=sess")
    if graph is not None and sess.graph is not graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph is "
                         "different from the session's graph")
    return sess


def _open_session(graph: Graph, config: ConfigProto | None = None) -> Session:
    return Session(graph=graph, config=config)


# the one hook point of the core (graphflow.core.runtime_hook): Tensor.eval, Operation.run and
# Variable.load find their sessions here
register_runtime(Runtime(session_for=default_session_for, new_session=_open_session,
                         on_reset=clear_default_session))


class _Fetch:
    """Flattened fetches (leaves) and how to rebuild the user's structure from their values."""

    __slots__ = ("leaves", "rebuild", "session")

    def __init__(self, graph: Graph, fetches: object, session: Session | None = None) -> None:
        leaves: list[Tensor | Operation] = []
        # (weakly: the session caches this fetch) whose TensorHandles fetched session-tensor handles become
        self.session = weakref.ref(session) if session is not None else None
        self.rebuild = self._walk(graph, fetches, leaves)
        self.leaves = leaves

    def _walk(self, graph: Graph, f: object, leaves: list[Tensor | Operation]) -> Callable[[list[Any]], Any]:
        if hasattr(f, "_as_fetch_structure"):  # a composite (SparseTensor): its parts, rebuilt as its value
            f = f._as_fetch_structure()
            if any(p is None for p in f):  # an absent part (an IndexedSlices' dense_shape) comes back None
                built = [(lambda vals: None) if p is None else self._walk(graph, p, leaves) for p in f]
                cls_c = type(f)
                return lambda vals: cls_c(*[b(vals) for b in built])
        if isinstance(f, (Tensor, Operation, str)) or hasattr(f, "_as_graph_tensor"):
            el = graph.as_graph_element(f) if isinstance(f, str) else f
            if hasattr(el, "_as_graph_tensor"):
                el = el._as_graph_tensor()
            if not isinstance(el, (Tensor, Operation)):
                raise TypeError(f"Fetch argument {f!r} has invalid type {type(f).__name__}")
            if el.graph is not graph:
                raise ValueError(f"Fetch argument {el.name} is not an element of this session's graph")
            i = len(leaves)
            leaves.append(el)
            if isinstance(el, Tensor) and el.node.op is Op.GET_SESSION_HANDLE and self.session is not None:
                kept, sess = el.node.inputs[0].dtype, self.session
                return lambda vals: TensorHandle(vals[i], kept, sess())
            return (lambda vals: None) if isinstance(el, Operation) else (lambda vals: vals[i])
        if isinstance(f, Mapping):
            parts = [(k, self._walk(graph, v, leaves)) for k, v in f.items()]
            cls = type(f)
            return lambda vals: cls((k, p(vals)) for k, p in parts) if cls is not dict else \
                {k: p(vals) for k, p in parts}
        if isinstance(f, tuple) and hasattr(f, "_fields"):
            parts_t = [self._walk(graph, v, leaves) for v in f]
            cls_t = type(f)
            return lambda vals: cls_t(*[p(vals) for p in parts_t])
        if isinstance(f, (list, tuple)):
            parts_l = [self._walk(graph, v, leaves) for v in f]
            as_tuple = isinstance(f, tuple)
            return lambda vals: (tuple if as_tuple else list)(p(vals) for p in parts_l)
        if f is None:
            raise TypeError("Fetch argument None has invalid type <class 'NoneType'>")
        raise TypeError(f"Fetch argument {f!r} has invalid type {type(f).__name__}; fetch Tensors, "
                        "Operations, names or nested lists/tuples/dicts of them")


def convert_feed(t: Tensor, value: object) -> Any:
    """The fed value converted to ``t``'s dtype and checked against its static shape."""
    if isinstance(value, TensorHandle):  # TF1 feeds the value a handle names (kept by its session)
        value = value.eval()
    target = t.dtype.np
    if t.dtype.is_string:
        try:
            arr = to_strings(value)
        except TypeError as e:
            raise InvalidArgumentError(t.node, t.node, f"Cannot feed {_describe(value, None)} for Tensor "
                                       f"'{t.name}' of dtype string: {e}\n  placeholder "
                                       f"{t.node.describe()}") from None
        _check_feed_shape(t, arr)
        return arr
    if type(value) is float and target.kind == "f" and t.shape.dims == ():
        return target.type(value)  # the common scalar feed, without building an array
    try:
        arr = np.asarray(value)
    except Exception as e:  # ragged lists and the like
        raise InvalidArgumentError(t.node, t.node, f"Cannot feed {value!r} for Tensor '{t.name}': {e}") from None
    if arr.dtype != target:
        kind = arr.dtype.kind
        bad = kind in "USOVMm" or (kind == "c") or (target.kind == "b" and kind != "b")
        if not bad and target.kind in "iu" and kind == "f" and arr.size and \
                not np.all(np.isfinite(arr) & (np.mod(arr, 1) == 0)):
            bad = True
        if bad:
            raise InvalidArgumentError(
                t.node, t.node, f"Cannot feed a value of dtype {arr.dtype} for Tensor '{t.name}', which "
                f"has dtype {t.dtype.name}: expected values convertible to {t.dtype.name}, given "
                f"{_describe(value, arr)}\n  placeholder {t.node.describe()}")
        arr = arr.astype(target)
    _check_feed_shape(t, arr)
    if arr.ndim == 0:
        return arr[()]
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def _check_feed_shape(t: Tensor, arr: np.ndarray) -> None:
    static = t.shape
    if static.dims is not None:
        ok = arr.ndim == len(static.dims) and all(d is None or d == s for d, s in zip(static.dims, arr.shape))
        if not ok:
            raise InvalidArgumentError(
                t.node, t.node, f"Cannot feed value of shape {tuple(arr.shape)} for Tensor '{t.name}', "
                f"which has shape {static}: expected shape {static}, given {tuple(arr.shape)}\n"
                f"  placeholder {t.node.describe()}")


def _execute(exe: Callable[[list[Any]], list[Any]], args: list[Any], fetch: _Fetch) -> list[Any]:
    """Run ``exe``; a memory error no check named becomes ResourceExhaustedError naming the fetches."""
    try:
        return exe(args)
    except ResourceExhaustedError:
        raise
    except MemoryError as e:
        raise _exhausted(e, fetch.leaves) from None


def _exhausted(e: MemoryError, leaves: list[Any]) -> ResourceExhaustedError:
    """TF1's error for an allocation that no check foresaw (inside compiled code, or numpy's in the
    reference executor), which names no node: it names the fetches."""
    names = ", ".join(x.name for x in leaves)
    return ResourceExhaustedError(None, None, f"OOM when allocating a tensor while computing {names}: {e}")


def _describe(value: object, arr: np.ndarray | None) -> str:
    text = repr(value)
    return (text[:60] + "...") if len(text) > 60 else text


class Session:
    """Runs a graph. ``device`` is "cpu", "cuda" (an NVIDIA GPU through Numba's CUDA target, or
    Numba's simulator) or "reference" (the numpy oracle). Without one, the session runs on the GPU
    when the graph placed nodes there (``gf.device("/gpu:0")``), else on the CPU.

    >>> import graphflow as gf
    >>> with gf.Graph().as_default():
    ...     x = gf.placeholder(gf.float32, ())
    ...     with gf.Session() as sess:
    ...         float(sess.run(x + 1.0, {x: 2.0}))
    3.0
    """

    def __init__(self, target: str = "", graph: Graph | None = None, config: ConfigProto | None = None,
                 device: str | None = None, dump_dir: str | None = None) -> None:
        graph = graph or get_default_graph()
        if device is None:
            device = _placed_device(graph, config)
        if device in ("CPU", "/cpu:0", "/device:CPU:0"):
            device = "cpu"
        if device in ("gpu", "GPU", "/gpu:0", "/device:GPU:0", "cuda:0"):
            device = "cuda"
        if device not in ("cpu", "reference", "cuda"):
            raise UnimplementedError(None, None, f"device {device!r} is not available in this build of "
                                     "graphflow: expected 'cpu', 'cuda' (or 'reference', the numpy oracle)")
        if device == "cuda":
            can = cuda_platform.capability("kernels")
            if not can.ok:
                raise UnimplementedError(None, None, f"device 'cuda' is not available: {can.why}")
        self.device = device
        self.graph = graph
        if device == "cpu":
            compile_pool.warm_up(self.graph)
        keep_freed_memory()
        if device == "cuda":
            # the CUDA target's modules (numba.cuda, the kernel templates) load only for a CUDA session
            from graphflow.runtime.cuda.memory import CudaState
            self.state: State = CudaState()
        else:
            self.state = State()
        self._cache: dict[Any, tuple[_Fetch, list[Tensor], Executable]] = {}
        self._iterators: dict[Any, list[Any]] = {}  # signature -> the dataset iterators it reads
        self._closed = False
        self._context: list[Any] = []
        self.dump_dir = dump_dir or os.environ.get("GRAPHFLOW_DUMP_DIR") or None
        self._log_placement = bool(getattr(config, "log_device_placement", False))
        self._timeout_ms = int(getattr(config, "operation_timeout_in_ms", 0) or 0)  # for blocking host ops
        self._compile_lock = threading.Lock()  # queue-runner threads that start together compile once

    # -- lifecycle
    def close(self) -> None:
        self._closed = True
        self._cache.clear()
        self.state.free_session_tensors()
        self.state.close_resources()  # (threads blocked on its queues end)
        if self in _default_sessions:
            _default_sessions.remove(self)

    def __enter__(self) -> Session:
        ctx = self.as_default()
        ctx.__enter__()
        self._context.append(ctx)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._context:
            self._context.pop().__exit__(kind, value, tb)
        self.close()

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Session]:
        _default_sessions.append(self)
        try:
            with self.graph.as_default():
                yield self
        finally:
            if self in _default_sessions:
                _default_sessions.remove(self)

    # -- running
    def run(self, fetches: object, feed_dict: FeedDict | None = None, options: RunOptions | None = None,
            run_metadata: RunMetadata | None = None) -> Any:
        """Evaluate ``fetches`` (any nesting of tensors/ops/names) with ``feed_dict``."""
        timeout = int(getattr(options, "timeout_in_ms", 0) or 0) or self._timeout_ms
        try:
            if timeout:
                with session_ops.deadline_of(timeout):
                    return self._run(fetches, feed_dict, options, run_metadata)
            return self._run(fetches, feed_dict, options, run_metadata)
        except OpError as e:  # the user's error (its message names the node and the line): shorter traceback
            if not debug_modes.traceback_filtering[0]:
                raise
            raise e.with_traceback(debug_modes.filter_traceback(e.__traceback__))  # noqa: B904 - the same error

    def _run(self, fetches: object, feed_dict: FeedDict | None, options: RunOptions | None,
             run_metadata: RunMetadata | None) -> Any:
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self.state.dead_handles:  # values of collected TensorHandles go now (TF1 frees them in a run)
            self.state.free_dead_handles()
        graph = self.graph
        feed_items = list(feed_dict.items()) if feed_dict else []
        for key, _ in feed_items:
            if type(key) in (tuple, list) or (isinstance(key, tuple) and not isinstance(key, Tensor)) or \
                    hasattr(key, "_as_fetch_structure"):
                feed_items = _flat_feeds(feed_dict)  # nested keys (rare): flatten them
                break
        fed: list[Tensor] = []
        values: list[Any] = []
        for key, value in feed_items:
            t = self._feed_key(key)
            fed.append(t)
            values.append(convert_feed(t, value))
        sig_feeds = tuple((t, v.ndim if isinstance(v, np.ndarray) else 0) for t, v in zip(fed, values))
        traced = run_metadata is not None and getattr(options, "trace_level", 0) >= 3  # FULL_TRACE
        if traced:
            return self._traced_run(fetches, fed, values, sig_feeds, run_metadata)
        key = (_fetch_key(fetches), sig_feeds)
        entry = self._cache.get(key) if key[0] is not None else None
        if entry is None:
            fetch = _Fetch(graph, fetches, self)
            its = _iterators_needed(graph, fetch.leaves, fed) if getattr(graph, "_auto_feeds", None) else []
            pulled = _pull(its)
            sig = sig_feeds + tuple((t, np.ndim(v)) for (_, _, t), v in zip(its, pulled))
            with self._compile_lock:  # (held while compiling only, never while a run waits on a queue)
                entry = self._cache.get(key) if key[0] is not None else None
                if entry is None:
                    entry = self._compile(fetch, sig)
                    if key[0] is not None:
                        self._cache[key] = entry
                        if its:
                            self._iterators[key] = its
        else:
            its = self._iterators.get(key)
            pulled = _pull(its) if its else []  # the next element of each dataset iterator it reads
        fetch, tensors, exe = entry
        outs = _execute(exe, values + pulled if pulled else values, fetch)
        return fetch.rebuild(_spread(fetch.leaves, tensors, outs))

    def _traced_run(self, fetches: object, fed: list[Tensor], values: list[Any],
                    sig_feeds: tuple[tuple[Tensor, int], ...], run_metadata: RunMetadata) -> Any:
        """A run whose every kernel call and host step is timed into ``run_metadata``, by an
        executable of its own (compiled once per signature, like the untraced one)."""
        fetch = _Fetch(self.graph, fetches, self)
        its = _iterators_needed(self.graph, fetch.leaves, fed) if getattr(self.graph, "_auto_feeds", None) else []
        pulled = _pull(its)
        sig = sig_feeds + tuple((t, np.ndim(v)) for (_, _, t), v in zip(its, pulled))
        key = ("traced", _fetch_key(fetches), sig)
        entry = self._cache.get(key) if key[1] is not None else None
        if entry is None:
            entry = self._compile(fetch, sig, trace=True)
            if key[1] is not None:
                self._cache[key] = entry
        fetch, tensors, exe = entry
        with tracing.collecting() as records:
            outs = _execute(exe, values + pulled if pulled else values, fetch)
        run_metadata.step_stats = records
        return fetch.rebuild(_spread(fetch.leaves, tensors, outs))

    def _feed_key(self, key: object) -> Tensor:
        if isinstance(key, str):
            try:
                key = self.graph.get_tensor_by_name(key if ":" in key else key + ":0")
            except KeyError as e:
                raise InvalidArgumentError(None, None, f"feed_dict key {key!r}: {e}") from None
        if hasattr(key, "_as_graph_tensor") and not isinstance(key, Tensor):
            key = key._as_graph_tensor()
        if not isinstance(key, Tensor):
            raise TypeError(f"feed_dict key {key!r} is not a Tensor or a tensor name")
        if key.graph is not self.graph:
            raise InvalidArgumentError(key.node, key.node, f"feed_dict key {key.name} (created at "
                                       f"{key.node.site}) is from another graph than this session's: "
                                       "expected a tensor of the session's graph")
        return key

    def _compile(self, fetch: _Fetch, sig_feeds: tuple[tuple[Tensor, int], ...], trace: bool = False) -> Any:
        tensors = [x for x in fetch.leaves if isinstance(x, Tensor)]
        uniq: list[Tensor] = []
        for t in tensors:
            if all(t is not u for u in uniq):
                uniq.append(t)
        if len(uniq) == len(fetch.leaves):
            uniq = fetch.leaves  # every leaf a distinct tensor: results need no spreading (_spread)
        targets = [x for x in fetch.leaves if isinstance(x, Operation)]
        split = host.plan(fetch.leaves, sig_feeds)
        if split is not None:  # strings or printing: host nodes around one compiled program
            inner = functools.partial(self._executable, trace=trace)
            return fetch, uniq, host.HostExecutable(split, uniq, inner, self.state)
        return fetch, uniq, self._executable(uniq, targets, list(sig_feeds), trace=trace)

    def _executable(self, tensors: list[Tensor], targets: list[Operation],
                    sig_feeds: list[tuple[Tensor, int]], trace: bool = False) -> Any:
        program = build(tensors, targets, sig_feeds)
        if self._log_placement or debug_modes.log_device_placement[0]:
            self._log_device_placement(program.nodes)
        for n in program.nodes:
            if n.op is Op.PLACEHOLDER and n.uid >= 0:
                raise InvalidArgumentError(
                    n, n, f"You must feed a value for placeholder tensor '{n.name}' with dtype "
                    f"{n.dtypes[0].name} and shape {n.shapes[0]}: expected a feed_dict entry, given none\n"
                    f"  placeholder {n.describe()}")
        if self.device == "reference":
            return ReferenceExecutable(program, self.state)
        if self.device == "cuda":
            from graphflow.runtime.cuda.executable import CudaExecutable  # only for a CUDA session (as above)
            cexe = CudaExecutable(program, self.state)  # type: ignore[arg-type]
            if self.dump_dir:
                import hashlib
                digest = hashlib.sha256("".join(s for _, s in cexe.kernel_sources()).encode()).hexdigest()[:24]
                cexe.dump(os.path.join(self.dump_dir, "gf_cuda_" + digest))
            return cexe
        exe = Executable(program, self.state, dump=self.dump_dir, trace=trace)
        if self.dump_dir:
            exe.dump_folder = dump_executable(exe, self.dump_dir)
        return exe

    def _log_device_placement(self, nodes: Sequence[Operation]) -> None:
        """TF1's placement log (``log_device_placement``): each graph node a new executable runs
        and its device, on stderr."""
        device = "/job:localhost/replica:0/task:0/device:" + ("GPU:0" if self.device == "cuda" else "CPU:0")
        lines = [f"{n.name}: ({n.op.value}): {device}" for n in nodes if n.uid >= 0]
        sys.stderr.write("".join(line + "\n" for line in lines))

    def make_callable(self, fetches: object, feed_list: Sequence[Tensor | str] | None = None,
                      accept_options: bool = False) -> Callable[..., Any]:
        """A function taking the values of ``feed_list`` positionally and returning the fetches."""
        fetch = _Fetch(self.graph, fetches, self)
        fed = [self._feed_key(k) for k in (feed_list or [])]
        ranks = [t.shape.rank for t in fed]
        cache: dict[tuple[int, ...], Any] = {}
        # the common scalar float feed converts without building an array (as convert_feed does)
        fast = [(t, t.dtype.np.type if t.dtype.np.kind == "f" and t.shape.dims == () else None) for t in fed]

        def call(*args: object) -> Any:
            if len(args) != len(fed):
                raise TypeError(f"callable takes {len(fed)} feed values, got {len(args)}")
            if self.state.dead_handles:  # (as in run)
                self.state.free_dead_handles()
            vals = [to(v) if to is not None and type(v) is float else convert_feed(t, v)
                    for (t, to), v in zip(fast, args)]
            rk = tuple(v.ndim if isinstance(v, np.ndarray) else 0 for v in vals) if None in ranks \
                else ()
            entry = cache.get(rk)
            if entry is None:
                sig = tuple((t, v.ndim if isinstance(v, np.ndarray) else 0) for t, v in zip(fed, vals))
                entry = cache[rk] = self._compile(fetch, sig)
            _, tensors, exe = entry
            try:
                outs = exe(vals)
            except ResourceExhaustedError:
                raise
            except MemoryError as e:
                raise _exhausted(e, fetch.leaves) from None
            return fetch.rebuild(_spread(fetch.leaves, tensors, outs))
        return call

    def load_variable(self, var: Tensor, value: object) -> None:
        t = var.node
        arr = convert_feed(var, value)
        self.state.write(t, np.asarray(arr))

    def list_devices(self) -> list[str]:
        gpu = ["/job:localhost/replica:0/task:0/device:GPU:0"] if cuda_platform.capability("kernels").ok else []
        return ["/job:localhost/replica:0/task:0/device:CPU:0"] + gpu


_warned_placement: weakref.WeakSet[Graph] = weakref.WeakSet()


def _placed_device(graph: Graph, config: ConfigProto | None) -> str:
    """The session's device when none is given: "cuda" when the graph placed a node on a GPU and
    the CUDA target can run (and the config does not ask for no GPU), else "cpu", warning once per
    graph when a GPU placement cannot be honoured (TF1 raises there unless ``allow_soft_placement``)."""
    node = graph.first_gpu_node
    counts = getattr(config, "device_count", None) or {}
    if node is None or counts.get("GPU", 1) == 0:
        return "cpu"
    can = cuda_platform.capability("kernels")
    if can.ok:
        return "cuda"
    if not getattr(config, "allow_soft_placement", False) and graph not in _warned_placement:
        _warned_placement.add(graph)
        import warnings
        warnings.warn(f"node {node.describe()} is placed on {node.device!r}, but the CUDA target is not available "
                      f"({can.why}): the graph runs on the CPU", stacklevel=3)
    return "cpu"


def _iterators_needed(graph: Graph, leaves: list[Any], fed: list[Tensor]) -> list[tuple[Any, int, Tensor]]:
    """The automatically fed tensors (source, index, tensor) the fetches read and the feeds do not
    give: dataset iterator outputs, a module tree's train/eval flag, an optimizer's learning rate.
    A source's ``next_values()`` gives its values for one run."""
    registry = graph._auto_feeds  # type: ignore[attr-defined]
    given = {id(t) for t in fed}
    seen: set[int] = set()
    found: list[tuple[Any, int, Tensor]] = []
    stack = [x.node if isinstance(x, Tensor) else x for x in leaves]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        for t in n.outputs:
            if id(t) in registry and id(t) not in given:
                found.append(registry[id(t)])
        stack.extend(t.node for t in n.inputs if id(t) not in given)
        stack.extend(n.control_inputs)
    return found


def _pull(its: list[tuple[Any, int, Tensor]]) -> list[Any]:
    """One element per iterator, shared by all its outputs in this run."""
    if not its:
        return []
    elements: dict[int, list[Any]] = {}
    for it, _, _ in its:
        if id(it) not in elements:
            elements[id(it)] = it.next_values()
    return [elements[id(it)][k] for it, k, _ in its]


def _flat_feeds(feed_dict: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """feed_dict items with nested keys (a tuple of state tensors fed a tuple of arrays, as TF1
    allows) flattened to (tensor, value) pairs."""
    out: list[tuple[Any, Any]] = []

    def walk(key: object, value: object) -> None:
        if hasattr(key, "_as_fetch_structure"):  # a SparseTensor fed a SparseTensorValue or a triple
            parts = tuple(key._as_fetch_structure())
            present = [i for i, p in enumerate(parts) if p is not None]
            key = tuple(parts[i] for i in present)
            if len(present) < len(parts) and isinstance(value, (list, tuple)) and len(value) == len(parts):
                value = [value[i] for i in present]  # an absent part's value (None) is not fed
        if isinstance(key, (list, tuple)) and not isinstance(key, str):
            vals = list(value) if isinstance(value, (list, tuple)) else None
            if vals is None or len(vals) != len(key):
                raise ValueError(f"feed_dict key {key!r} is a structure of {len(key)} tensors; its value "
                                 f"must be a structure of {len(key)} values, given {type(value).__name__}"
                                 + (f" of length {len(vals)}" if vals is not None else ""))
            for k, v in zip(key, vals):
                walk(k, v)
            return
        out.append((key, value))
    for key, value in feed_dict.items():
        walk(key, value)
    return out


def _spread(leaves: list[Any], tensors: list[Tensor], outs: list[Any]) -> list[Any]:
    if debug_modes.checked_nodes:
        _check_fetched_numerics(tensors, outs)
    if tensors is leaves:
        return outs
    pos = {id(t): i for i, t in enumerate(tensors)}
    return [outs[pos[id(x)]] if isinstance(x, Tensor) else None for x in leaves]


def _check_fetched_numerics(tensors: list[Tensor], outs: list[Any]) -> None:
    """A fetched float value of a node built under ``gf.debugging.enable_check_numerics`` holding
    a NaN or an Inf fails the run, as the checks the graph has fail it for values other nodes read."""
    checked = debug_modes.checked_nodes.get(tensors[0].graph) if tensors else None
    if not checked:
        return
    for t, v in zip(tensors, outs):
        if t.dtype.is_floating and t.node.uid in checked and v is not None and not np.all(np.isfinite(v)):
            what = "NaN" if np.any(np.isnan(v)) else "Infinity"
            raise InvalidArgumentError(t.node, t.node, f"!!! Detected {what} in fetched tensor {t.name} "
                                       f"(a node built under check numerics) !!!\n  produced by {t.node.describe()}")


def _fetch_key(fetches: object) -> Hashable | None:
    """A hashable key for the fetch structure, or None when it cannot be made cheaply."""
    if isinstance(fetches, (Tensor, Operation, str)):
        return fetches
    if hasattr(fetches, "_as_fetch_structure"):
        return _fetch_key(fetches._as_fetch_structure())
    if isinstance(fetches, list):
        try:
            return ("l",) + tuple(_fetch_key(f) for f in fetches)
        except TypeError:
            return None
    if isinstance(fetches, tuple):
        return (type(fetches), tuple(_fetch_key(f) for f in fetches))
    if isinstance(fetches, dict):
        return ("d", tuple((k, _fetch_key(v)) for k, v in fetches.items()))
    return None


class InteractiveSession(Session):
    """A session that installs itself as the default on construction (for shells and notebooks)."""

    def __init__(self, target: str = "", graph: Graph | None = None, config: ConfigProto | None = None,
                 **kw: str | None) -> None:
        super().__init__(target, graph, config, **kw)
        _default_sessions.append(self)
