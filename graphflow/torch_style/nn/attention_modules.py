"""``MultiheadAttention`` and ``TransformerEncoderLayer`` with PyTorch's parameters
(``in_proj_weight`` [3E, E], ``in_proj_bias``, ``out_proj``), masks (``key_padding_mask`` and a
bool or additive ``attn_mask``), ``batch_first`` and returns."""
from __future__ import annotations

import math

import numpy as np

import graphflow.torch_style.nn.functional as F
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.types import TensorLike
from graphflow.ops import reduce_ops as R
from graphflow.ops import shape_ops as S
from graphflow.ops.array_ops import split
from graphflow.torch_style.nn.conv_modules import LayerNorm
from graphflow.torch_style.nn.modules import Dropout, Linear, Module, _param


def _xavier(shape: tuple[int, int]) -> np.ndarray:
    bound = math.sqrt(6.0 / sum(shape))  # xavier_uniform_ (fan_in + fan_out of the [3E, E] matrix)
    return np.random.uniform(-bound, bound, shape)


class MultiheadAttention(Module):
    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.batch_first = int(embed_dim), int(num_heads), batch_first
        e = self.embed_dim
        self.in_proj_weight = _param(_xavier((3 * e, e)), "in_proj_weight")
        self.in_proj_bias = _param(np.zeros(3 * e), "in_proj_bias") if bias else None
        self.out_proj = Linear(e, e, bias)
        if bias:  # PyTorch starts the output projection's bias at zero
            self.out_proj.bias = _param(np.zeros(e), "bias")
        self.dropout = float(dropout)

    def forward(self, query: TensorLike, key: TensorLike, value: TensorLike, key_padding_mask: TensorLike | None = None,
                need_weights: bool = True, attn_mask: TensorLike | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint")  # PyTorch's rule
        q, k, v = (convert_to_tensor(t) for t in (query, key, value))
        if not self.batch_first:  # [L, B, E] -> [B, L, E]
            q, k, v = (S.transpose(t, [1, 0, 2]) for t in (q, k, v))
        e, h = self.embed_dim, self.num_heads
        d = e // h
        wq, wk, wv = split(self.in_proj_weight, 3, 0)
        bq, bk, bv = split(self.in_proj_bias, 3, 0) if self.in_proj_bias is not None else (None, None, None)

        def heads(t: Tensor, w: Tensor, b: Tensor | None) -> Tensor:  # [B, L, E] -> [B, H, L, d]
            y = F.linear(t, w, b)
            return S.transpose(S.reshape(y, [S.shape(y)[0], S.shape(y)[1], h, d]), [0, 2, 1, 3])
        bias = None  # boolean masks mark the excluded places (True), float masks are added
        if attn_mask is not None:
            bias = F._mask_bias(attn_mask, q, masked_when=True)
        if key_padding_mask is not None:
            kp = F._mask_bias(key_padding_mask, q, masked_when=True)
            kp = S.expand_dims(S.expand_dims(kp, 1), 1)  # [B, 1, 1, S]
            bias = kp if bias is None else bias + kp
        out, weights = F._attend(heads(q, wq, bq), heads(k, wk, bk), heads(v, wv, bv), bias, self.dropout,
                                 self.training, None)  # [B, H, L, d], [B, H, L, S]
        out = S.reshape(S.transpose(out, [0, 2, 1, 3]), [S.shape(out)[0], S.shape(out)[2], e])
        out = self.out_proj(out)
        if not self.batch_first:
            out = S.transpose(out, [1, 0, 2])
        if not need_weights:
            return out, None
        return out, (R.reduce_mean(weights, axis=1) if average_attn_weights else weights)


class TransformerEncoderLayer(Module):
    """Post-norm (``norm_first=False``) or pre-norm encoder layer: self-attention and a
    ReLU/GELU feed-forward block, each with dropout and a residual connection."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu', got {activation!r}")
        self.activation = activation

    def _ff(self, x: Tensor) -> Tensor:
        act = F.relu if self.activation == "relu" else F.gelu
        return self.dropout2(self.linear2(self.dropout(act(self.linear1(x)))))

    def _sa(self, x: Tensor, mask: TensorLike | None, pad: TensorLike | None) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=pad, need_weights=False)[0])

    def forward(self, src: TensorLike, src_mask: TensorLike | None = None,
                src_key_padding_mask: TensorLike | None = None, is_causal: bool = False) -> Tensor:
        x = convert_to_tensor(src)
        if self.norm_first:
            x = x + self._sa(self.norm1(x), src_mask, src_key_padding_mask)
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + self._sa(x, src_mask, src_key_padding_mask))
        return self.norm2(x + self._ff(x))
