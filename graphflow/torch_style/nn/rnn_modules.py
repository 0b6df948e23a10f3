"""PyTorch's recurrent modules (RNN, LSTM, GRU) on graphflow's native loops: PyTorch's parameter
names and layouts (``weight_ih_l0`` [gates*H, I], ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``_reverse`` for the backward direction), gate orders (LSTM i, f, g, o; GRU r,
z, n), U(-1/sqrt(H), 1/sqrt(H)) initialisation, ``num_layers``, ``bidirectional``,
``batch_first``, inter-layer ``dropout`` (training runs only) and initial states; they return
``(output, h_n)`` or ``(output, (h_n, c_n))`` as PyTorch does."""
from __future__ import annotations

import math

import graphflow.torch_style.nn.functional as F
from graphflow.core.ir import Tensor, convert_to_tensor
from graphflow.core.shapes import TensorShape
from graphflow.core.types import TensorLike
from graphflow.ops import math_ops as M
from graphflow.ops import shape_ops as S
from graphflow.ops import state_ops as ST
from graphflow.ops.array_ops import concat, gather, split, stack
from graphflow.ops.control_flow import make_while
from graphflow.ops.index_ops import reverse as _rev
from graphflow.ops.linalg_ops import matmul
from graphflow.torch_style.nn.modules import Module, _param, _uniform

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class _RNNBase(Module):
    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 nonlinearity: str = "tanh") -> None:
        super().__init__()
        if self.mode == "RNN_TANH" and nonlinearity == "relu":
            object.__setattr__(self, "mode", "RNN_RELU")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.batch_first, self.dropout, self.bidirectional, self.bias = batch_first, float(dropout), bidirectional, bias
        g = _GATES[self.mode] * self.hidden_size
        bound = 1 / math.sqrt(self.hidden_size)
        dirs = 2 if bidirectional else 1
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else self.hidden_size * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                setattr(self, f"weight_ih{sfx}", _param(_uniform((g, in_size), bound), f"weight_ih{sfx}"))
                setattr(self, f"weight_hh{sfx}", _param(_uniform((g, self.hidden_size), bound), f"weight_hh{sfx}"))
                if bias:
                    setattr(self, f"bias_ih{sfx}", _param(_uniform((g,), bound), f"bias_ih{sfx}"))
                    setattr(self, f"bias_hh{sfx}", _param(_uniform((g,), bound), f"bias_hh{sfx}"))

    def _project(self, xs: Tensor, sfx: str) -> Tensor:
        """The input projection of every step at once, as PyTorch computes it: [T, B, I] rows
        times ``weight_ih`` in one GEMM before the loop. The loop then reads one [B, gates] slab
        a step, multiplies only the hidden state and adds the biases in the same pass."""
        w_ih = getattr(self, "weight_ih" + sfx)
        rows = S.reshape(xs, [-1, int(w_ih.shape.as_list()[1])])
        gi = matmul(rows, w_ih, transpose_b=True)
        dims = S.shape(xs)
        return S.reshape(gi, [dims[0], dims[1], int(w_ih.shape.as_list()[0])])

    def _cell(self, gi: Tensor, state: list[Tensor], sfx: str) -> list[Tensor]:
        """One step from its projected input ``gi`` (``_project``)."""
        gh = matmul(state[0], getattr(self, "weight_hh" + sfx), transpose_b=True)
        h = state[0]
        if self.bias:
            gi = gi + getattr(self, "bias_ih" + sfx)
            if self.mode != "GRU":  # (GRU's new gate multiplies bias_hh by r)
                gi = gi + getattr(self, "bias_hh" + sfx)
        if self.mode == "LSTM":
            i, f, g, o = split(gi + gh, 4, 1)
            c = M.sigmoid(f) * state[1] + M.sigmoid(i) * M.tanh(g)
            return [M.sigmoid(o) * M.tanh(c), c]
        if self.mode == "GRU":
            if self.bias:
                gh = gh + getattr(self, "bias_hh" + sfx)
            ir, iz, inn = split(gi, 3, 1)
            hr, hz, hn = split(gh, 3, 1)
            r, z = M.sigmoid(ir + hr), M.sigmoid(iz + hz)
            n = M.tanh(inn + r * hn)
            return [(1 - z) * n + z * h]
        pre = gi + gh
        return [M.tanh(pre) if self.mode == "RNN_TANH" else F.relu(pre)]

    def _run(self, xs: Tensor, state: list[Tensor], sfx: str, reverse: bool) -> tuple[Tensor, list[Tensor]]:
        """One direction of one layer over time-major ``xs`` [T, B, I]: a native loop over the
        steps' projected inputs."""
        steps = S.shape(xs)[0]
        # inputs at least half as wide as the state are projected before the loop (the rule and
        # its measurements: tf1/nn/rnn.py's _projected); narrower ones per step
        projected = 2 * int(getattr(self, "weight_ih" + sfx).shape.as_list()[1]) >= self.hidden_size
        seq = self._project(xs, sfx) if projected else xs
        step_shape = xs.shape.as_list()[1:2] + seq.shape.as_list()[2:]

        def body(t: Tensor, *st: Tensor) -> list[Tensor]:
            idx = steps - 1 - t if reverse else t
            gi = gather(seq, idx)
            gi.set_shape(step_shape)
            if not projected:
                gi = matmul(gi, getattr(self, "weight_ih" + sfx), transpose_b=True)
            new = self._cell(gi, list(st), sfx)
            return [t + 1] + new + [new[0]]
        node = make_while(lambda t, *st: t < steps, body, [ST.constant(0)] + state,
                          [TensorShape([])] + [s.shape for s in state], None, None, "rnn")
        k = len(state)
        outs = node.outputs[1 + k]
        if reverse:
            outs = _rev(outs, [0])
        return outs, list(node.outputs[1:1 + k])

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        for k, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, k) != default:
                s += f", {k}={getattr(self, k)}"
        return s

    def forward(self, input: TensorLike,  # noqa: A002
                hx: TensorLike | None = None) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        x = convert_to_tensor(input)
        if x.shape.rank != 3:
            raise ValueError(f"{type(self).__name__} needs a 3-D input ([T, B, I], or [B, T, I] with batch_first), "
                             f"got {x.shape}")
        xs = S.transpose(x, [1, 0, 2]) if self.batch_first else x
        batch = xs.shape.as_list()[1] if xs.shape.as_list()[1] is not None else S.shape(xs)[1]
        dirs = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        if hx is None:
            zeros = ST.zeros([batch, self.hidden_size], x.dtype)
            h0 = [zeros] * (self.num_layers * dirs)
            c0 = [zeros] * (self.num_layers * dirs)
        else:
            h_all, c_all = (hx if lstm else (hx, None))
            h0 = [convert_to_tensor(h_all)[k] for k in range(self.num_layers * dirs)]
            c0 = [convert_to_tensor(c_all)[k] for k in range(self.num_layers * dirs)] if lstm else [None] * len(h0)
        hn, cn = [], []
        layer_in = xs
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                state = [h0[k], c0[k]] if lstm else [h0[k]]
                o, final = self._run(layer_in, state, f"_l{layer}" + ("_reverse" if d else ""), bool(d))
                outs.append(o)
                hn.append(final[0])
                if lstm:
                    cn.append(final[1])
            layer_in = outs[0] if dirs == 1 else concat(outs, 2)
            if self.dropout and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, self.training)
        out = S.transpose(layer_in, [1, 0, 2]) if self.batch_first else layer_in
        h_n = stack(hn)
        return (out, (h_n, stack(cn))) if lstm else (out, h_n)


class RNN(_RNNBase):
    mode = "RNN_TANH"


class LSTM(_RNNBase):
    mode = "LSTM"


class GRU(_RNNBase):
    mode = "GRU"
