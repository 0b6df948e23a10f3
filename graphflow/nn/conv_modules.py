"""PyTorch-style convolution, pooling, normalization and embedding modules (NCHW, OIHW weights,
PyTorch's initialisation: weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphflow.ir import Tensor, convert_to_tensor
from graphflow.nn.modules import Module, _param, _uniform
from graphflow.ops import math_ops as M
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else (int(v[0]), int(v[1]))


class Conv2d(Module):
    """2-D convolution of NCHW inputs with an OIHW weight; ``padding`` an int, a pair, "same" or
    "valid"; ``groups`` splits the channels."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 _weight_shape: tuple[int, ...] | None = None) -> None:
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

    def _weight4(self) -> Tensor:
        return self.weight

    def _pads(self) -> Any:
        if isinstance(self.padding, str):
            if self.padding not in ("same", "valid"):
                raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {self.padding!r}")
            if self.padding == "valid":
                return "VALID"
            # PyTorch's "same" (stride 1): total padding d (k - 1), the extra one after
            pads = []
            for k, d in zip(self.kernel_size, self.dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return [[0, 0], [0, 0], list(pads[0]), list(pads[1])]
        ph, pw = self.padding
        return [[0, 0], [0, 0], [ph, ph], [pw, pw]] if ph or pw else "VALID"

    def forward(self, x: Any) -> Tensor:
        from graphflow.ops.array_ops import concat
        from graphflow.ops.conv_ops import conv2d
        t = convert_to_tensor(x)
        w = S.transpose(self._weight4(), [2, 3, 1, 0])  # OIHW -> HWIO
        strides = [1, 1, self.stride[0], self.stride[1]]
        pads = self._pads()
        if self.groups == 1:
            y = conv2d(t, w, strides, pads, data_format="NCHW", dilations=[1, 1] + list(self.dilation))
        else:
            cin, cout = self.in_channels // self.groups, self.out_channels // self.groups
            ys = [conv2d(t[:, g * cin:(g + 1) * cin], w[:, :, :, g * cout:(g + 1) * cout], strides, pads,
                         data_format="NCHW", dilations=[1, 1] + list(self.dilation)) for g in range(self.groups)]
            y = concat(ys, 1)
        return y + S.reshape(self.bias, [1, -1, 1, 1]) if self.bias is not None else y


class _Pool2d(Module):
    kind = "max"

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride) if stride is not None else self.kernel_size
        self.padding = _pair(padding)
        if ceil_mode:
            raise ValueError("ceil_mode=True is not supported")
        self.count_include_pad = count_include_pad

    def forward(self, x: Any) -> Tensor:
        from graphflow.ops import conv_ops as C
        from graphflow.ops.array_ops import pad
        t = convert_to_tensor(x)
        ph, pw = self.padding
        if ph or pw:
            fill = -np.inf if self.kind == "max" else 0.0
            if self.kind == "avg" and not self.count_include_pad:
                raise ValueError("AvgPool2d(count_include_pad=False) with padding is not supported")
            t = pad(t, [[0, 0], [0, 0], [ph, ph], [pw, pw]], constant_values=fill)
        fn = C.max_pool if self.kind == "max" else C.avg_pool
        return fn(t, [1, 1] + list(self.kernel_size), [1, 1] + list(self.stride), "VALID", "NCHW")


class MaxPool2d(_Pool2d):
    kind = "max"


class AvgPool2d(_Pool2d):
    kind = "avg"


class AdaptiveAvgPool2d(Module):
    """Output size (H_out, W_out) dividing the input evenly (the global pool: (1, 1))."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = _pair(output_size)

    def forward(self, x: Any) -> Tensor:
        t = convert_to_tensor(x)
        h, w = t.shape.as_list()[2:]
        oh, ow = self.output_size
        if h is None or w is None or h % oh or w % ow:
            raise ValueError(f"AdaptiveAvgPool2d needs static H, W divisible by {self.output_size}, got {t.shape}")
        if (oh, ow) == (1, 1):
            return R.reduce_mean(t, axis=[2, 3], keepdims=True)
        return AvgPool2d((h // oh, w // ow))(t)


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
        self.running_mean = _param(np.zeros(n), "running_mean", trainable=False)
        self.running_var = _param(np.ones(n), "running_var", trainable=False)

    def forward(self, x: Any) -> Tensor:
        from graphflow.ir import get_default_graph
        t = convert_to_tensor(x)
        r = t.shape.rank
        axes = [0] + list(range(2, r))
        shape = [1, -1] + [1] * (r - 2)
        mean = R.reduce_mean(t, axis=axes)
        var = R.reduce_mean(M.square(t - S.reshape(mean, shape)), axis=axes)
        count = M.cast(R.reduce_prod(S.shape(t)) / S.shape(t)[1], t.dtype)
        unbiased = var * count / M.maximum(count - 1.0, 1.0)
        training = self._flag()
        m = ST.constant(self.momentum, t.dtype)
        new_mean = M.where(training, (1 - m) * self.running_mean + m * mean, self.running_mean)
        new_var = M.where(training, (1 - m) * self.running_var + m * unbiased, self.running_var)
        updates = [self.running_mean.assign(new_mean), self.running_var.assign(new_var)]
        use_mean = M.where(training, mean, self.running_mean)
        use_var = M.where(training, var, self.running_var)
        y = (t - S.reshape(use_mean, shape)) / M.sqrt(S.reshape(use_var, shape) + self.eps)
        if self.affine:
            y = y * S.reshape(self.weight, shape) + S.reshape(self.bias, shape)
        with get_default_graph().control_dependencies([u.node for u in updates]):
            return M.identity(y)


class BatchNorm1d(_BatchNorm):
    pass


class BatchNorm2d(_BatchNorm):
    pass


class LayerNorm(Module):
    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True) -> None:
        super().__init__()
        self.shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else \
            tuple(int(d) for d in normalized_shape)
        self.eps = eps
        self.weight = _param(np.ones(self.shape), "weight") if elementwise_affine else None
        self.bias = _param(np.zeros(self.shape), "bias") if elementwise_affine else None

    def forward(self, x: Any) -> Tensor:
        t = convert_to_tensor(x)
        axes = list(range(t.shape.rank - len(self.shape), t.shape.rank))
        mean = R.reduce_mean(t, axis=axes, keepdims=True)
        var = R.reduce_mean(M.square(t - mean), axis=axes, keepdims=True)
        y = (t - mean) / M.sqrt(var + self.eps)
        return y * self.weight + self.bias if self.weight is not None else y


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

    def forward(self, ids: Any) -> Tensor:
        from graphflow.ops.array_ops import gather
        i = convert_to_tensor(ids)
        if self.padding_idx is None:
            return gather(self.weight, i)
        # the padding row gets no gradient (PyTorch's padding_idx)
        keep = M.cast(M.not_equal(i, self.padding_idx), self.weight.dtype)
        rows = gather(self.weight, i)
        return rows * S.expand_dims(keep, -1) + M.stop_gradient(rows) * S.expand_dims(1 - keep, -1)


class Conv1d(Conv2d):
    """1-D convolution of [N, C, L] inputs with an [out, in / groups, k] weight (a Conv2d over a
    height of 1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros") -> None:
        def one(v: Any) -> int:
            return int(v if isinstance(v, (int, np.integer)) else v[0])
        pad = padding if isinstance(padding, str) else (0, one(padding))
        super().__init__(in_channels, out_channels, (1, one(kernel_size)), (1, one(stride)), pad,
                         (1, one(dilation)), groups, bias, padding_mode,
                         _weight_shape=(out_channels, in_channels // groups, one(kernel_size)))

    def _weight4(self) -> Tensor:
        return S.expand_dims(self.weight, 2)

    def forward(self, x: Any) -> Tensor:
        return S.squeeze(super().forward(S.expand_dims(convert_to_tensor(x), 2)), [2])


class MaxPool1d(Module):
    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0) -> None:
        super().__init__()
        object.__setattr__(self, "_pool", MaxPool2d((1, kernel_size), (1, stride or kernel_size), (0, padding)))

    def forward(self, x: Any) -> Tensor:
        return S.squeeze(self._pool(S.expand_dims(convert_to_tensor(x), 2)), [2])


class Dropout2d(Module):
    """Zero whole channels with probability ``p`` in training runs."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = float(p)

    def forward(self, x: Any) -> Tensor:
        from graphflow.nn.functional import dropout
        t = convert_to_tensor(x)
        keep = M.where(self._flag(), ST.constant(1 - self.p, t.dtype), ST.constant(1.0, t.dtype))
        noise = [S.shape(t)[0], S.shape(t)[1]] + [1] * (t.shape.rank - 2)
        from graphflow.ops.array_ops import stack
        return dropout(t, keep_prob=keep, noise_shape=stack([M.cast(d, _i32()) if isinstance(d, Tensor) else d
                                                               for d in noise]))


def _i32() -> Any:
    from graphflow import dtypes as _dt
    return _dt.int32


class GroupNorm(Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels {num_channels} must be divisible by num_groups {num_groups}")
        self.num_groups, self.num_channels, self.eps = int(num_groups), int(num_channels), eps
        self.weight = _param(np.ones(num_channels), "weight") if affine else None
        self.bias = _param(np.zeros(num_channels), "bias") if affine else None

    def forward(self, x: Any) -> Tensor:
        t = convert_to_tensor(x)
        r = t.shape.rank
        g = self.num_groups
        grouped = S.reshape(t, [S.shape(t)[0], g, -1])
        mean = R.reduce_mean(grouped, axis=2, keepdims=True)
        var = R.reduce_mean(M.square(grouped - mean), axis=2, keepdims=True)
        y = S.reshape((grouped - mean) / M.sqrt(var + self.eps), S.shape(t))
        if self.weight is not None:
            shape = [1, -1] + [1] * (r - 2)
            y = y * S.reshape(self.weight, shape) + S.reshape(self.bias, shape)
        return y


class Bilinear(Module):
    """``y_k = x1^T W_k x2 + b_k``; W is [out, in1, in2]."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        bound = 1 / math.sqrt(in1_features)
        self.weight = _param(_uniform((out_features, in1_features, in2_features), bound), "weight")
        self.bias = _param(_uniform((out_features,), bound), "bias") if bias else None

    def forward(self, x1: Any, x2: Any) -> Tensor:
        from graphflow.ops.linalg_ops import einsum
        y = einsum("bi,kij,bj->bk", convert_to_tensor(x1), self.weight, convert_to_tensor(x2))
        return y + self.bias if self.bias is not None else y


class ConvTranspose2d(Module):
    """The gradient of a convolution as a layer: [N, C_in, H, W] -> [N, C_out, H_out, W_out] with
    ``H_out = (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1``; weight
    [in, out, kh, kw] (groups 1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros") -> None:
        super().__init__()
        if groups != 1 or padding_mode != "zeros":
            raise ValueError("ConvTranspose2d supports groups=1 and padding_mode='zeros'")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        self.output_padding, self.dilation = _pair(output_padding), _pair(dilation)
        fan_in = out_channels * self.kernel_size[0] * self.kernel_size[1]  # PyTorch's: weight dim 1 times k
        bound = 1 / math.sqrt(fan_in)
        self.weight = _param(_uniform((in_channels, out_channels) + self.kernel_size, bound), "weight")
        self.bias = _param(_uniform((out_channels,), bound), "bias") if bias else None

    def forward(self, x: Any) -> Tensor:
        from graphflow.ops.array_ops import pad, stack
        from graphflow.ops.conv_ops import conv2d_transpose
        t = convert_to_tensor(x)
        n = S.shape(t)[0]
        h, w = t.shape.as_list()[2:]
        if h is None or w is None:
            raise ValueError(f"ConvTranspose2d needs static spatial dims, got {t.shape}")
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        full_h, full_w = (h - 1) * sh + dh * (kh - 1) + 1, (w - 1) * sw + dw * (kw - 1) + 1
        filt = S.transpose(self.weight, [2, 3, 1, 0])  # [in, out, kh, kw] -> [kh, kw, out, in]
        y = conv2d_transpose(t, filt, stack([n, self.out_channels, full_h, full_w]), [1, 1, sh, sw], "VALID",
                             data_format="NCHW", dilations=[1, 1, dh, dw])
        (ph, pw), (oh, ow) = self.padding, self.output_padding
        if oh or ow:
            y = pad(y, [[0, 0], [0, 0], [0, oh], [0, ow]])
        y = y[:, :, ph:full_h + oh - ph, pw:full_w + ow - pw]
        return y + S.reshape(self.bias, [1, -1, 1, 1]) if self.bias is not None else y
