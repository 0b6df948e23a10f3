"""The study notes' programs written with gf.nn + gf.optim follow PyTorch's loss trajectory step
for step from the same initial weights (float64): the two-layer net with Adam, a module class
with SGD, LeNet with momentum and CrossEntropyLoss, an LSTM classifier with Adam."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import graphflow as gf
import graphflow.nn.functional as F
from tests.optional import module

torch = module("torch")  # None without PyTorch, where every test here skips (pytestmark)
TF = torch.nn.functional if torch is not None else None

pytestmark = [pytest.mark.needs("torch"), pytest.mark.usefixtures("float64_modules")]


def _follow(gm: Any, tm: Any, x_spec: tuple, xv: np.ndarray, yv: np.ndarray, loss_of: Callable[..., Any],
            make_opt: Callable[[Any, Any], Any], steps: int) -> list[float]:
    """Train both for ``steps`` and assert the losses agree at every step and the weights at the
    end; ``loss_of(nn, functional, out, y)`` builds the loss in either framework."""
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    x = gf.placeholder(gf.float64, [None] + list(x_spec))
    y = gf.placeholder(gf.as_dtype(yv.dtype), [None] + list(yv.shape[1:]))
    loss = loss_of(gf.nn, F, gm(x), y)
    train = make_opt(gf.optim, gm.parameters()).minimize(loss)
    topt = make_opt(torch.optim, tm.parameters())
    tx, ty = torch.tensor(xv), torch.tensor(yv)
    losses = []
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gm.load_state_dict(s, {k: v.detach().numpy() for k, v in tm.state_dict().items()})
        for step in range(steps):
            got = s.run([loss, train], {x: xv, y: yv})[0]
            topt.zero_grad()
            tl = loss_of(torch.nn, TF, tm(tx), ty)
            tl.backward()
            topt.step()
            assert got == pytest.approx(tl.item(), rel=1e-9), f"step {step}"
            losses.append(float(got))
        ours = gm.state_dict(s)
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(ours[k], v.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)
    return losses


def test_two_layer_net_with_adam() -> None:
    def make(nn: Any) -> Any:
        class TwoLayerNet(nn.Module):
            def __init__(self, d_in: int, h: int, d_out: int) -> None:
                super().__init__()
                self.linear1 = nn.Linear(d_in, h)
                self.linear2 = nn.Linear(h, d_out)

            def forward(self, x: Any) -> Any:
                f = F if nn is gf.nn else TF
                return self.linear2(f.relu(self.linear1(x)))
        return TwoLayerNet(100, 50, 10)
    torch.manual_seed(0)
    rs = np.random.RandomState(0)
    losses = _follow(make(gf.nn), make(torch.nn).double(), (100,), rs.randn(64, 100), rs.randn(64, 10),
                     lambda nn, f, out, y: nn.MSELoss(reduction="sum")(out, y),
                     lambda optim, p: optim.Adam(p, lr=1e-3), 25)
    assert losses[-1] < 0.7 * losses[0]


def test_module_class_with_sgd() -> None:
    def make(nn: Any) -> Any:
        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.hidden = nn.Linear(2, 10)
                self.out = nn.Linear(10, 2)

            def forward(self, x: Any) -> Any:
                f = F if nn is gf.nn else TF
                return self.out(f.relu(self.hidden(x)))
        return Net()
    torch.manual_seed(1)
    rs = np.random.RandomState(1)
    xv = np.concatenate([rs.normal(2, 1, (50, 2)), rs.normal(-2, 1, (50, 2))])
    yv = np.repeat([0, 1], 50).astype(np.int64)
    losses = _follow(make(gf.nn), make(torch.nn).double(), (2,), xv, yv,
                     lambda nn, f, out, y: nn.CrossEntropyLoss()(out, y),
                     lambda optim, p: optim.SGD(p, lr=0.02), 30)
    assert losses[-1] < losses[0]


def test_lenet_with_momentum_and_cross_entropy() -> None:
    def make(nn: Any) -> Any:
        class LeNet(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x: Any) -> Any:
                f = F if nn is gf.nn else TF
                x = f.max_pool2d(f.relu(self.conv1(x)), (2, 2))
                x = f.max_pool2d(f.relu(self.conv2(x)), 2)
                x = nn.Flatten()(x)
                return self.fc3(f.relu(self.fc2(f.relu(self.fc1(x)))))
        return LeNet()
    torch.manual_seed(2)
    rs = np.random.RandomState(2)
    losses = _follow(make(gf.nn), make(torch.nn).double(), (1, 32, 32), rs.rand(8, 1, 32, 32),
                     rs.randint(0, 10, 8).astype(np.int64), lambda nn, f, out, y: f.cross_entropy(out, y),
                     lambda optim, p: optim.SGD(p, lr=0.05, momentum=0.9), 6)
    assert losses[-1] < losses[0]


def test_lstm_classifier_with_adam() -> None:
    def make(nn: Any) -> Any:
        class Tagger(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.lstm = nn.LSTM(3, 8, num_layers=2, batch_first=True)
                self.head = nn.Linear(8, 4)

            def forward(self, x: Any) -> Any:
                out, (h, c) = self.lstm(x)
                f = F if nn is gf.nn else TF
                return f.log_softmax(self.head(out[:, -1]), dim=1)
        return Tagger()
    torch.manual_seed(3)
    rs = np.random.RandomState(3)
    losses = _follow(make(gf.nn), make(torch.nn).double(), (6, 3), rs.randn(10, 6, 3),
                     rs.randint(0, 4, 10).astype(np.int64), lambda nn, f, out, y: f.nll_loss(out, y),
                     lambda optim, p: optim.Adam(p, lr=0.01), 12)
    assert losses[-1] < losses[0]
