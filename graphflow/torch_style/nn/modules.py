"""PyTorch-style modules on the static graph (``gf.nn.Module``, ``Linear``, ``Sequential``...).

A module's parameters are graph Variables made when it is constructed (PyTorch's shapes, names,
layouts and initialisation); calling it builds graph nodes, and calling it again shares them.
``train()`` / ``eval()`` flip a flag the Session feeds on every run, so one compiled graph serves
both modes. ``state_dict(sess)`` / ``load_state_dict(sess, d, strict)`` use PyTorch's names
(``0.weight``, ``fc1.bias``, ``bn.running_mean``), so a PyTorch ``state_dict()`` converted to
numpy loads as it is.
"""
from __future__ import annotations

import math
from collections import OrderedDict, namedtuple
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping
from typing import Any

import numpy as np

import graphflow.torch_style.nn.functional as functional
from graphflow.core import dtypes as _dt
from graphflow.core.dtypes import DType
from graphflow.core.ir import Tensor, convert_to_tensor, get_default_graph
from graphflow.core.runtime_hook import session_for
from graphflow.core.types import DTypeLike, SessionLike, TensorLike
from graphflow.ops import state_ops as ST
from graphflow.ops.shape_ops import reshape, shape
from graphflow.ops.variables import Variable
from graphflow.torch_style.nn.functional import _check_p, dropout, linear, log_softmax, prelu, softmax

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _Mode:
    """The train/eval flag of one module, fed to every run that reads it."""

    def __init__(self) -> None:
        self.training = True
        g = get_default_graph()
        with g.control_dependencies(None):
            self.tensor = ST.placeholder_with_default(np.bool_(True), [], name="training")
        g.__dict__.setdefault("_auto_feeds", {})[id(self.tensor)] = (self, 0, self.tensor)

    def next_values(self) -> list[np.bool_]:
        return [np.bool_(self.training)]


class Training:
    """A module's ``training`` attribute: its mode as a bool, and its run-time flag for ``F``."""

    def __init__(self, module: Module) -> None:
        self._module = module

    def __bool__(self) -> bool:
        return bool(self._module._training)

    def __eq__(self, other: object) -> bool:
        return bool(self) == other

    def __hash__(self) -> int:
        return hash(bool(self))

    def __repr__(self) -> str:
        return repr(bool(self))

    def _flag_tensor(self) -> Tensor:
        return self._module._flag()


_DEFAULT_DTYPE = [_dt.float32]


def _param(value: np.ndarray, name: str, trainable: bool = True) -> Variable:
    g = get_default_graph()
    with g.control_dependencies(None):
        return Variable(value.astype(_DEFAULT_DTYPE[0].np), trainable=trainable, name=name)


def _uniform(shape: tuple[int, ...], bound: float) -> np.ndarray:
    return np.random.uniform(-bound, bound, size=shape)


class Module:
    """The base class: attributes that are Variables are parameters, Modules are children."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_mode", None)
        object.__setattr__(self, "_training", True)

    @property
    def training(self) -> Training:
        """True in training mode: truthy as a bool, and given to ``F.dropout(x, p,
        training=self.training)`` (or ``F.batch_norm``) it is the run-time switch itself."""
        return Training(self)

    @training.setter
    def training(self, mode: bool) -> None:
        object.__setattr__(self, "_training", bool(mode))
        if self.__dict__.get("_mode") is not None:
            self._mode.training = bool(mode)

    def __setattr__(self, name: str, value: object) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() in the module's __init__ before assigning attributes")
        for d in (self._parameters, self._modules, self._buffers):
            d.pop(name, None)
        if isinstance(value, Variable):
            (self._parameters if value.trainable else self._buffers)[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Variable) -> None:
        self._buffers[name] = value
        object.__setattr__(self, name, value)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- the tree
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Variable]]:
        seen: set[int] = set()
        for mp, m in (self.named_modules(prefix) if recurse else [(prefix, self)]):
            for n, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mp}.{n}" if mp else n), p

    def parameters(self, recurse: bool = True) -> Iterator[Variable]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Variable]]:
        for mp, m in self.named_modules(prefix):
            for n, b in m._buffers.items():
                yield (f"{mp}.{n}" if mp else n), b

    def buffers(self) -> Iterator[Variable]:
        for _, b in self.named_buffers():
            yield b

    def apply(self, fn: Callable[[Module], object]) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- modes
    def _flag(self) -> Tensor:
        """This module's run-time training flag (a placeholder the Session feeds from ``training``
        on every run that reads it)."""
        if self._mode is None:
            object.__setattr__(self, "_mode", _Mode())
            self._mode.training = self._training
        return self._mode.tensor

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "_training", bool(mode))
            if m._mode is not None:
                m._mode.training = bool(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    # -- weights
    def state_dict(self, sess: SessionLike | None = None) -> OrderedDict[str, np.ndarray]:
        """``{name: ndarray}`` of parameters and buffers (PyTorch's names and layouts)."""
        s = session_for(None, sess)
        items = list(self.named_parameters()) + list(self.named_buffers())
        vals = s.run([v for _, v in items])
        return OrderedDict((n, np.asarray(v)) for (n, _), v in zip(items, vals))

    def load_state_dict(self, sess: SessionLike | Mapping[str, object] | None,
                        state_dict: Mapping[str, object] | None = None, strict: bool = True) -> IncompatibleKeys:
        """Load ``{name: array}`` (a PyTorch state_dict converted to numpy loads as it is);
        ``strict=False`` loads what matches and reports the rest, as PyTorch does."""
        if state_dict is None and isinstance(sess, dict):
            sess, state_dict = None, sess
        s = session_for(None, sess)
        own = dict(list(self.named_parameters()) + list(self.named_buffers()))
        given = {k: v for k, v in state_dict.items() if not k.endswith("num_batches_tracked")}
        missing = [k for k in own if k not in given]
        unexpected = [k for k in given if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: missing keys "
                               f"{missing}, unexpected keys {unexpected}")
        for k, v in given.items():
            if k in own:
                arr = np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v)
                if tuple(arr.shape) != tuple(own[k].shape.as_list()):
                    raise RuntimeError(f"size mismatch for {k}: copying a param with shape {arr.shape}, the "
                                       f"parameter has shape {own[k].shape}")
                own[k].load(arr, s)
        return IncompatibleKeys(missing, unexpected)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Nothing to clear: every run computes fresh gradients."""

    def extra_repr(self) -> str:
        """The module's own settings, shown by ``repr`` (PyTorch's hook)."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: ``Net(\n  (fc1): Linear(in_features=4, out_features=8, bias=True)\n)``."""
        extra = self.extra_repr()
        children = [f"({k}): " + repr(m).replace("\n", "\n  ") for k, m in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = ([extra] if extra else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for k, m in modules[0].items():
                setattr(self, k, m)
        else:
            for k, m in enumerate(modules):
                setattr(self, str(k), m)

    def forward(self, x: object) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)


class ModuleList(Module):
    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        for m in modules or []:
            self.append(m)

    def append(self, m: Module) -> ModuleList:
        setattr(self, str(len(self._modules)), m)
        return self

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for k, m in (modules or {}).items():
            setattr(self, k, m)

    def __getitem__(self, k: str) -> Module:
        return self._modules[k]

    def keys(self) -> KeysView[str]:
        return self._modules.keys()

    def items(self) -> ItemsView[str, Module]:
        return self._modules.items()


class Identity(Module):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__()

    def forward(self, x: TensorLike) -> Tensor:
        return convert_to_tensor(x)


class Linear(Module):
    """``y = x W^T + b``; W is [out, in]; W and b ~ U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
        self.weight = _param(_uniform((self.out_features, self.in_features), bound), "weight")
        self.bias = _param(_uniform((self.out_features,), bound), "bias") if bias else None

    def forward(self, x: TensorLike) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class _Act(Module):
    """A module applying one ``F`` function with the constructor's arguments."""
    fn: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.args, self.kwargs = args, kwargs

    def forward(self, x: TensorLike) -> Tensor:
        return getattr(functional, self.fn)(convert_to_tensor(x), *self.args, **self.kwargs)

    def extra_repr(self) -> str:
        import inspect

        bound = inspect.signature(getattr(functional, self.fn)).bind_partial(None, *self.args, **self.kwargs)
        return ", ".join(f"{k}={v!r}" for k, v in list(bound.arguments.items())[1:] if (k, v) != ("inplace", False))


def _act(name: str, fn: str, doc: str) -> type:
    return type(name, (_Act,), {"fn": fn, "__doc__": doc, "__module__": __name__})


ReLU = _act("ReLU", "relu", "``max(x, 0)``")
ReLU6 = _act("ReLU6", "relu6", "``min(max(x, 0), 6)``")
LeakyReLU = _act("LeakyReLU", "leaky_relu", "``LeakyReLU(negative_slope=0.01)``")
ELU = _act("ELU", "elu", "``ELU(alpha=1.0)``")
CELU = _act("CELU", "celu", "``CELU(alpha=1.0)``")
SELU = _act("SELU", "selu", "scaled ELU")
GELU = _act("GELU", "gelu", "``GELU(approximate='none')``")
SiLU = _act("SiLU", "silu", "``x * sigmoid(x)``")
Mish = _act("Mish", "mish", "``x * tanh(softplus(x))``")
Sigmoid = _act("Sigmoid", "sigmoid", "``1 / (1 + exp(-x))``")
Tanh = _act("Tanh", "tanh", "``tanh(x)``")
Softplus = _act("Softplus", "softplus", "``Softplus(beta=1.0, threshold=20.0)``")
Softsign = _act("Softsign", "softsign", "``x / (1 + |x|)``")
LogSigmoid = _act("LogSigmoid", "logsigmoid", "``log(sigmoid(x))``")
Hardtanh = _act("Hardtanh", "hardtanh", "``Hardtanh(min_val=-1.0, max_val=1.0)``")
Hardsigmoid = _act("Hardsigmoid", "hardsigmoid", "``clip(x / 6 + 1 / 2, 0, 1)``")
Hardswish = _act("Hardswish", "hardswish", "``x * clip(x + 3, 0, 6) / 6``")
GLU = _act("GLU", "glu", "``GLU(dim=-1)``")


class PReLU(Module):
    """``max(0, x) + a min(0, x)`` with a learnt ``a`` (one, or one per channel), 0.25 at first."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.weight = _param(np.full(int(num_parameters), init), "weight")

    def forward(self, x: TensorLike) -> Tensor:
        return prelu(x, self.weight)


class Softmax(Module):
    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def forward(self, x: TensorLike) -> Tensor:
        return softmax(x, self.dim, _stacklevel=5)


class LogSoftmax(Softmax):
    def forward(self, x: TensorLike) -> Tensor:
        return log_softmax(x, self.dim, _stacklevel=5)


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"

    def forward(self, x: TensorLike) -> Tensor:
        t = convert_to_tensor(x)
        r = t.shape.rank
        a, b = self.start_dim % r, self.end_dim % r
        dims = t.shape.as_list()
        kept = [i for i in range(r) if not a <= i <= b]
        group = dims[a:b + 1]
        if None not in group:  # the flattened size is static: keep it in the static shape
            unknown = [i for i in kept if dims[i] is None]
            new = {i: (-1 if len(unknown) == 1 and i in unknown else dims[i] if dims[i] is not None else shape(t)[i])
                   for i in kept}
            return reshape(t, [new[i] for i in range(a)] + [int(np.prod(group))] + [new[i] for i in range(b + 1, r)])
        keep = {i: dims[i] if dims[i] is not None else shape(t)[i] for i in kept}
        return reshape(t, [keep[i] for i in range(a)] + [-1] + [keep[i] for i in range(b + 1, r)])


class Dropout(Module):
    """Zero each element with probability ``p`` in training mode (scaled by 1 / (1 - p)); the
    identity in eval mode — a run-time switch."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = _check_p(p)

    def forward(self, x: TensorLike) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


def set_default_dtype(dtype: DTypeLike) -> None:
    """The dtype new parameters get (float32 unless set, as PyTorch's default)."""
    _DEFAULT_DTYPE[0] = _dt.as_dtype(dtype)


def get_default_dtype() -> DType:
    return _DEFAULT_DTYPE[0]
