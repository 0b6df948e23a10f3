"""PyTorch-style convolution, pooling, normalization and embedding modules (NCHW, OIHW weights,
PyTorch's initialisation: weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

import graphflow.torch_style.nn.functional as F
from graphflow.core.ir import Tensor
from graphflow.core.types import TensorLike
from graphflow.ops.conv_ops import IntOrInts
from graphflow.torch_style.nn.functional_conv import ConvPadding
from graphflow.torch_style.nn.modules import Module, _param, _uniform


def _pair(v: IntOrInts) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else (int(v[0]), int(v[1]))


class Conv2d(Module):
    """2-D convolution of NCHW inputs with an OIHW weight; ``padding`` an int, a pair, "same" or
    "valid"; ``groups`` splits the channels."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrInts, stride: IntOrInts = 1,
                 padding: ConvPadding = 0, dilation: IntOrInts = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", _weight_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d padding_mode {padding_mode!r} is not supported; expected 'zeros'")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"in_channels {in_channels} and out_channels {out_channels} must be divisible by "
                             f"groups {groups}")
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        fan_in = in_channels // groups * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        shape = _weight_shape or (out_channels, in_channels // groups) + self.kernel_size
        self.weight = _param(_uniform(shape, bound), "weight")
        self.bias = _param(_uniform((out_channels,), bound), "bias") if bias else None

    def forward(self, x: TensorLike) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        one = type(self) is Conv1d
        def show(v: tuple[int, ...] | str) -> tuple[int, ...] | str:
            return (v[1],) if one and isinstance(v, tuple) else v
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={show(self.kernel_size)}, stride={show(self.stride)}"
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={show(self.padding) if not isinstance(self.padding, str) else repr(self.padding)}"
        if self.dilation != (1, 1):
            s += f", dilation={show(self.dilation)}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + (", bias=False" if self.bias is None else "")


class MaxPool2d(Module):
    def __init__(self, kernel_size: IntOrInts, stride: IntOrInts | None = None, padding: IntOrInts = 0,
                 dilation: IntOrInts = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, x: TensorLike) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return (f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    def __init__(self, kernel_size: IntOrInts, stride: IntOrInts | None = None, padding: IntOrInts = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.ceil_mode = kernel_size, stride, padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x: TensorLike) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class MaxPool1d(MaxPool2d):
    def forward(self, x: TensorLike) -> Tensor:
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class AvgPool1d(Module):
    def __init__(self, kernel_size: IntOrInts, stride: IntOrInts | None = None, padding: IntOrInts = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x: TensorLike) -> Tensor:
        return F.avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class _Adaptive(Module):
    fn = "adaptive_avg_pool2d"

    def __init__(self, output_size: int | Sequence[int | None] | None) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: TensorLike) -> Tensor:
        return getattr(F, self.fn)(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_Adaptive):
    """PyTorch's bins: output cell i pools input rows [floor(i H / H_out), ceil((i + 1) H / H_out))."""
    fn = "adaptive_avg_pool2d"


class AdaptiveMaxPool2d(_Adaptive):
    fn = "adaptive_max_pool2d"


class AdaptiveAvgPool1d(_Adaptive):
    fn = "adaptive_avg_pool1d"


class _BatchNorm(Module):
    """Batch statistics in training runs (their running averages updated by every such run, no
    wiring needed: the update is a dependency of the output), running statistics in eval runs."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> None:
        super().__init__()
        n = int(num_features)
        self.num_features, self.eps, self.momentum, self.affine = n, eps, momentum, affine
        self.weight = _param(np.ones(n), "weight") if affine else None
        self.bias = _param(np.zeros(n), "bias") if affine else None
        self.track_running_stats = track_running_stats
        self.running_mean = _param(np.zeros(n), "running_mean", trainable=False) if track_running_stats else None
        self.running_var = _param(np.ones(n), "running_var", trainable=False) if track_running_stats else None

    def forward(self, x: TensorLike) -> Tensor:
        if self.running_mean is None:  # track_running_stats=False: batch statistics always
            return F.batch_norm(x, None, None, self.weight, self.bias, True, self.momentum, self.eps)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                            self.momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    pass


class BatchNorm2d(_BatchNorm):
    pass


class LayerNorm(Module):
    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True) -> None:
        super().__init__()
        self.shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else \
            tuple(int(d) for d in normalized_shape)
        self.eps = eps
        self.weight = _param(np.ones(self.shape), "weight") if elementwise_affine else None
        self.bias = _param(np.zeros(self.shape), "bias") if elementwise_affine else None

    def forward(self, x: TensorLike) -> Tensor:
        return F.layer_norm(x, self.shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.shape}, eps={self.eps}, elementwise_affine={self.weight is not None}"


class Embedding(Module):
    """Rows of a [num_embeddings, embedding_dim] weight (N(0, 1) init; the padding row zero)."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None) -> None:
        super().__init__()
        w = np.random.standard_normal((int(num_embeddings), int(embedding_dim)))
        if padding_idx is not None:
            padding_idx = padding_idx % num_embeddings
            w[padding_idx] = 0
        self.padding_idx = padding_idx
        self.weight = _param(w, "weight")

    def forward(self, ids: TensorLike) -> Tensor:
        return F.embedding(ids, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        n, d = self.weight.shape.as_list()
        return f"{n}, {d}" + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


class Conv1d(Conv2d):
    """1-D convolution of [N, C, L] inputs with an [out, in / groups, k] weight (a Conv2d over a
    height of 1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrInts, stride: IntOrInts = 1,
                 padding: ConvPadding = 0, dilation: IntOrInts = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros") -> None:
        def one(v: IntOrInts) -> int:
            return int(v if isinstance(v, (int, np.integer)) else v[0])
        pad = padding if isinstance(padding, str) else (0, one(padding))
        super().__init__(in_channels, out_channels, (1, one(kernel_size)), (1, one(stride)), pad,
                         (1, one(dilation)), groups, bias, padding_mode,
                         _weight_shape=(out_channels, in_channels // groups, one(kernel_size)))

    def forward(self, x: TensorLike) -> Tensor:
        pad = self.padding if isinstance(self.padding, str) else self.padding[1]
        return F.conv1d(x, self.weight, self.bias, self.stride[1], pad, self.dilation[1], self.groups)


class Dropout2d(Module):
    """Zero whole channels of [N, C, H, W] with probability ``p`` in training runs."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = F._check_p(p)

    def forward(self, x: TensorLike) -> Tensor:
        return F.dropout2d(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=False"


class Dropout1d(Dropout2d):
    """Zero whole channels of [N, C, L] with probability ``p`` in training runs."""

    def forward(self, x: TensorLike) -> Tensor:
        return F.dropout1d(x, self.p, self.training)


class GroupNorm(Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels {num_channels} must be divisible by num_groups {num_groups}")
        self.num_groups, self.num_channels, self.eps = int(num_groups), int(num_channels), eps
        self.weight = _param(np.ones(num_channels), "weight") if affine else None
        self.bias = _param(np.zeros(num_channels), "bias") if affine else None

    def forward(self, x: TensorLike) -> Tensor:
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


class Bilinear(Module):
    """``y_k = x1^T W_k x2 + b_k``; W is [out, in1, in2]."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        bound = 1 / math.sqrt(in1_features)
        self.weight = _param(_uniform((out_features, in1_features, in2_features), bound), "weight")
        self.bias = _param(_uniform((out_features,), bound), "bias") if bias else None

    def forward(self, x1: TensorLike, x2: TensorLike) -> Tensor:
        return F.bilinear(x1, x2, self.weight, self.bias)


class ConvTranspose2d(Module):
    """The gradient of a convolution as a layer: [N, C_in, H, W] -> [N, C_out, H_out, W_out] with
    ``H_out = (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1``; weight
    [in, out, kh, kw] (groups 1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrInts, stride: IntOrInts = 1,
                 padding: IntOrInts = 0, output_padding: IntOrInts = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrInts = 1, padding_mode: str = "zeros") -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d padding_mode {padding_mode!r} is not supported; expected 'zeros'")
        self.groups = int(groups)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        self.output_padding, self.dilation = _pair(output_padding), _pair(dilation)
        fan_in = out_channels // groups * self.kernel_size[0] * self.kernel_size[1]  # PyTorch's: weight dim 1 times k
        bound = 1 / math.sqrt(fan_in)
        self.weight = _param(_uniform((in_channels, out_channels // groups) + self.kernel_size, bound), "weight")
        self.bias = _param(_uniform((out_channels,), bound), "bias") if bias else None

    def forward(self, x: TensorLike) -> Tensor:
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)
