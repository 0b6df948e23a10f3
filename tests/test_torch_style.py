"""PyTorch-style gf.nn modules, gf.optim and DataLoader against PyTorch (when torch is
installed): the same outputs, gradients and loss trajectories from the same weights."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphflow as gf
from graphflow.utils.data import DataLoader, TensorDataset
from tests.optional import need


def _torch() -> Any:
    return need("torch")


pytestmark = pytest.mark.usefixtures("float64_modules")


OPTS = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)), ("Adam", dict(lr=0.05)),
        ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01)), ("AdamW", dict(lr=0.05, weight_decay=0.1)),
        ("RMSprop", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
        ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1))]


@pytest.mark.parametrize("name,kw", OPTS)
def test_optimizers_follow_pytorch(name: str, kw: dict) -> None:
    torch = _torch()
    rs = np.random.RandomState(0)
    w0, xv, yv = rs.randn(3, 2), rs.randn(8, 3), rs.randn(8, 2)
    w = gf.Variable(w0.copy())
    loss = gf.reduce_mean((gf.matmul(gf.constant(xv), w) - yv) ** 2)
    train = getattr(gf.optim, name)([w], **kw).minimize(loss)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    topt = getattr(torch.optim, name)([tw], **kw)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        for _ in range(6):
            got = s.run([loss, train])[0]
            topt.zero_grad()
            tl = ((torch.tensor(xv) @ tw - torch.tensor(yv)) ** 2).mean()
            tl.backward()
            topt.step()
            assert got == pytest.approx(tl.item(), rel=1e-12)
        np.testing.assert_allclose(s.run(w), tw.detach().numpy(), rtol=1e-12)


def test_schedulers_change_the_rate_without_recompiling() -> None:
    torch = _torch()
    w = gf.Variable(1.0, dtype=gf.float64)
    opt = gf.optim.SGD([w], lr=0.1)
    train = opt.minimize(w * w)
    scheds = [gf.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)]
    tw = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.1)
    tsched = torch.optim.lr_scheduler.StepLR(topt, 2, gamma=0.5)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        for _ in range(5):
            s.run(train)
            topt.zero_grad()
            (tw * tw).backward()
            topt.step()
            scheds[0].step()
            tsched.step()
            assert opt.lr == pytest.approx(tsched.get_last_lr()[0])
        assert s.run(w) == pytest.approx(tw.item(), rel=1e-12)
        assert len([k for k in s._cache if k[0] is train]) == 1  # one compiled train op for every rate
    for make, tmake in [(lambda o: gf.optim.lr_scheduler.ExponentialLR(o, 0.9),
                         lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.9)),
                        (lambda o: gf.optim.lr_scheduler.CosineAnnealingLR(o, 4, 0.01),
                         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 4, 0.01))]:
        o = gf.optim.SGD([w], lr=0.1)
        to = torch.optim.SGD([tw], lr=0.1)
        a, b = make(o), tmake(to)
        for _ in range(6):
            to.step()
            a.step()
            b.step()
            assert o.lr == pytest.approx(b.get_last_lr()[0])
    o = gf.optim.SGD([w], lr=1.0)
    to = torch.optim.SGD([tw], lr=1.0)
    a = gf.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1)
    b = torch.optim.lr_scheduler.ReduceLROnPlateau(to, patience=1)
    for m in [5, 4, 4, 4, 4, 3, 3, 3, 3]:
        a.step(m)
        b.step(m)
        assert o.lr == pytest.approx(to.param_groups[0]["lr"])


class _Net(gf.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = gf.nn.Sequential(gf.nn.Linear(4, 8), gf.nn.GELU(), gf.nn.Dropout(0.5), gf.nn.Linear(8, 8),
                                     gf.nn.LeakyReLU(0.1))
        self.heads = gf.nn.ModuleList([gf.nn.Linear(8, 3), gf.nn.Linear(8, 3, bias=False)])
        self.act = gf.nn.ELU()

    def forward(self, x: Any) -> Any:
        h = self.body(x)
        return self.act(self.heads[0](h)) + self.heads[1](h)


def _torch_net(torch: Any) -> Any:
    class TNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU(), torch.nn.Dropout(0.5),
                                            torch.nn.Linear(8, 8), torch.nn.LeakyReLU(0.1))
            self.heads = torch.nn.ModuleList([torch.nn.Linear(8, 3), torch.nn.Linear(8, 3, bias=False)])
            self.act = torch.nn.ELU()

        def forward(self, x: Any) -> Any:
            h = self.body(x)
            return self.act(self.heads[0](h)) + self.heads[1](h)
    return TNet().double()


LOSSES = [("MSELoss", {}, "real"), ("L1Loss", {"reduction": "sum"}, "real"), ("SmoothL1Loss", {"beta": 0.5}, "real"),
          ("CrossEntropyLoss", {}, "class"), ("CrossEntropyLoss", {"label_smoothing": 0.1}, "class"),
          ("CrossEntropyLoss", {"ignore_index": 1}, "class"),
          ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5]}, "class"),
          ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5], "label_smoothing": 0.2, "ignore_index": 0}, "class"),
          ("NLLLoss", {"reduction": "none"}, "class"), ("BCEWithLogitsLoss", {}, "prob"),
          ("BCEWithLogitsLoss", {"pos_weight": [2.0, 0.5, 1.0], "reduction": "sum"}, "prob"),
          ("HuberLoss", {"delta": 0.5}, "real"), ("KLDivLoss", {"reduction": "batchmean"}, "prob")]


@pytest.mark.parametrize("loss_name,kw,kind", LOSSES)
def test_modules_and_losses_match_pytorch(loss_name: str, kw: dict, kind: str) -> None:
    torch = _torch()
    torch.manual_seed(0)
    tnet = _torch_net(torch).eval()  # dropout off: deterministic comparison
    net = _Net().eval()
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    rs = np.random.RandomState(1)
    xv = rs.randn(6, 4)
    target = {"real": rs.randn(6, 3), "class": rs.randint(0, 3, 6), "prob": rs.rand(6, 3)}[kind]
    x = gf.placeholder(gf.float64, [None, 4])
    t = gf.placeholder(gf.float64 if kind != "class" else gf.int64, list(target.shape))
    tkw = {k: (torch.tensor(v, dtype=torch.float64) if k in ("weight", "pos_weight") else v) for k, v in kw.items()}
    loss = getattr(gf.nn, loss_name)(**kw)(net(x), t)
    out = net(x)
    grads = gf.gradients(gf.reduce_sum(loss), list(net.parameters()) + [x])
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        net.load_state_dict(s, {k: v.detach().numpy() for k, v in tnet.state_dict().items()})
        got = s.run([out, loss] + grads, {x: xv, t: target})
    tx = torch.tensor(xv, requires_grad=True)
    tt = torch.tensor(target)
    tloss = getattr(torch.nn, loss_name)(**tkw)(tnet(tx) if loss_name != "NLLLoss" else tnet(tx), tt)
    tloss.sum().backward()
    want = [tnet(tx).detach().numpy(), tloss.detach().numpy()] + [p.grad.numpy() for p in tnet.parameters()] + \
        [tx.grad.numpy()]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_state_dict_round_trip_and_partial_loads() -> None:
    torch = _torch()
    net = _Net()
    tnet = _torch_net(torch)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        sd = {k: v.detach().numpy() for k, v in tnet.state_dict().items()}
        assert net.load_state_dict(s, sd) == ([], [])
        back = net.state_dict(s)
        assert list(back) == list(sd)
        for k in sd:
            np.testing.assert_array_equal(back[k], sd[k])
        tnet2 = _torch_net(torch)
        tnet2.load_state_dict({k: torch.tensor(v) for k, v in back.items()})  # PyTorch loads ours
        partial = {k: v for k, v in sd.items() if k.startswith("body")}
        partial["extra.weight"] = np.zeros(1)
        keys = net.load_state_dict(s, partial, strict=False)
        assert keys.unexpected_keys == ["extra.weight"] and "heads.0.weight" in keys.missing_keys
        with pytest.raises(RuntimeError, match="missing keys"):
            net.load_state_dict(s, partial)
        bad = dict(sd, **{"heads.0.bias": np.zeros(4)})
        with pytest.raises(RuntimeError, match="size mismatch"):
            net.load_state_dict(s, bad)


def test_train_and_eval_share_one_compiled_graph() -> None:
    net = gf.nn.Sequential(gf.nn.Linear(5, 50), gf.nn.Dropout(0.5))
    x = gf.placeholder(gf.float64, [None, 5])
    y = net(x)
    xv = np.ones((4, 5))
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        net.eval()
        a, b = s.run(y, {x: xv}), s.run(y, {x: xv})
        np.testing.assert_array_equal(a, b)  # dropout off
        net.train()
        c = s.run(y, {x: xv})
        zeros = np.mean(c == 0)
        assert 0.3 < zeros < 0.7 and np.allclose(c[c != 0], 2 * a[c != 0])
        assert len([k for k in s._cache if k[0] is y]) == 1


def test_dataloader_batches() -> None:
    torch = _torch()
    xs, ys = np.arange(20.0).reshape(10, 2), np.arange(10)
    ds = TensorDataset(xs, ys)
    batches = list(DataLoader(ds, batch_size=4))
    tb = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(xs), torch.tensor(ys)),
                                          batch_size=4))
    assert len(batches) == len(tb) == 3
    for (a, b), (c, d) in zip(batches, tb):
        np.testing.assert_array_equal(a, c.numpy())
        np.testing.assert_array_equal(b, d.numpy())
    shuffled = np.concatenate([b for _, b in DataLoader(ds, batch_size=3, shuffle=True, seed=1)])
    assert sorted(shuffled.tolist()) == list(range(10)) and shuffled.tolist() != list(range(10))
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3

    class Pairs(gf.utils.data.Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int) -> dict:
            return {"x": np.full(2, i), "y": i * 10}
    (first, *_) = DataLoader(Pairs(), batch_size=2)
    np.testing.assert_array_equal(first["x"], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(first["y"], [0, 10])
    assert gf.data.DataLoader is DataLoader and gf.data.TensorDataset is TensorDataset


def test_cnn_modules_train_like_pytorch_with_batch_norm_statistics() -> None:
    torch = _torch()
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                             torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 4, 3, padding="same", groups=2, dilation=1),
                             torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.LayerNorm(4),
                             torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 3)).double()
    gm = gf.nn.Sequential(gf.nn.Conv2d(2, 4, 3, padding=1), gf.nn.BatchNorm2d(4), gf.nn.ReLU(), gf.nn.MaxPool2d(2),
                          gf.nn.Conv2d(4, 4, 3, padding="same", groups=2), gf.nn.AvgPool2d(2), gf.nn.Flatten(),
                          gf.nn.LayerNorm(4), gf.nn.BatchNorm1d(4), gf.nn.Linear(4, 3))
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    x = gf.placeholder(gf.float64, [None, 2, 4, 4])
    labels = gf.placeholder(gf.int64, [None])
    y = gm(x)
    loss = gf.nn.CrossEntropyLoss()(y, labels)
    train = gf.optim.SGD(gm.parameters(), lr=0.05, momentum=0.9).minimize(loss)
    topt = torch.optim.SGD(tm.parameters(), lr=0.05, momentum=0.9)
    rs = np.random.RandomState(0)
    xv, lv = rs.rand(6, 2, 4, 4), rs.randint(0, 3, 6)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gm.load_state_dict(s, {k: v.numpy() for k, v in tm.state_dict().items()})
        for _ in range(4):
            got = s.run([loss, train], {x: xv, labels: lv})[0]
            topt.zero_grad()
            tl = torch.nn.functional.cross_entropy(tm(torch.tensor(xv)), torch.tensor(lv))
            tl.backward()
            topt.step()
            assert got == pytest.approx(tl.item(), rel=1e-10)
        ours, theirs = gm.state_dict(s), tm.state_dict()
        for k in ours:  # running_mean / running_var included
            np.testing.assert_allclose(ours[k], theirs[k].numpy(), rtol=1e-10, atol=1e-12)
        gm.eval()
        tm.eval()
        np.testing.assert_allclose(s.run(y, {x: xv}), tm(torch.tensor(xv)).detach().numpy(), rtol=1e-10)


# hidden 4 over inputs of 3: the inputs are projected before the loop; hidden 7: step by step
# (rnn_modules._run), as the first layer of the last two cases
@pytest.mark.parametrize("cls,kw,hidden", [("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True), 4),
                                           ("GRU", dict(num_layers=2), 4), ("RNN", dict(nonlinearity="relu"), 4),
                                           ("LSTM", dict(), 4), ("LSTM", dict(num_layers=2), 7), ("GRU", dict(), 7)])
def test_recurrent_modules_match_pytorch(cls: str, kw: dict, hidden: int) -> None:
    torch = _torch()
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(3, hidden, **kw).double()
    gm = getattr(gf.nn, cls)(3, hidden, **kw)
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    xv = np.random.RandomState(2).rand(2, 5, 3)
    x = gf.placeholder(gf.float64, [None, 5, 3])
    out, h = gm(x)
    hn = h[0] if isinstance(h, tuple) else h
    loss = gf.reduce_sum(out * out) + gf.reduce_sum(hn)
    grads = gf.gradients(loss, list(gm.parameters()) + [x])
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gm.load_state_dict(s, {k: v.numpy() for k, v in tm.state_dict().items()})
        got = s.run([out, hn, loss] + grads, {x: xv})
    tx = torch.tensor(xv, requires_grad=True)
    tout, th = tm(tx)
    thn = th[0] if isinstance(th, tuple) else th
    tl = (tout * tout).sum() + thn.sum()
    tl.backward()
    want = [tout.detach().numpy(), thn.detach().numpy(), tl.item()] + [p.grad.numpy() for p in tm.parameters()] + \
        [tx.grad.numpy()]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_embedding_padding_row_gets_no_gradient() -> None:
    torch = _torch()
    torch.manual_seed(0)
    te = torch.nn.Embedding(5, 3, padding_idx=0).double()
    ge = gf.nn.Embedding(5, 3, padding_idx=0)
    ids = np.array([[0, 2], [4, 0]])
    i = gf.placeholder(gf.int64, [2, 2])
    loss = gf.reduce_sum(ge(i) ** 2)
    (g,) = gf.gradients(loss, [ge.weight])
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        ge.load_state_dict(s, {k: v.numpy() for k, v in te.state_dict().items()})
        gv = s.run(g, {i: ids})
    (te(torch.tensor(ids)) ** 2).sum().backward()
    np.testing.assert_allclose(gv, te.weight.grad.numpy(), rtol=1e-12)
    assert np.all(gv[0] == 0)


def test_float32_modules_match_pytorch() -> None:
    """float32 parameters and inputs: the same values as PyTorch's float32, to float32 precision."""
    torch = _torch()
    gf.nn.modules.set_default_dtype(gf.float32)
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    tl = torch.nn.LSTM(3, 5, batch_first=True)
    gm = gf.nn.Sequential(gf.nn.Linear(4, 8), gf.nn.Tanh(), gf.nn.Linear(8, 3))
    gl = gf.nn.LSTM(3, 5, batch_first=True)
    xv = np.random.RandomState(3).rand(6, 4).astype(np.float32)
    x = gf.placeholder(gf.float32, [None, 4])
    y = gm(x)
    out, _ = gl(gf.reshape(y, [2, 3, 3]))
    loss = gf.reduce_sum(out * out)
    grads = gf.gradients(loss, list(gm.parameters()) + list(gl.parameters()))
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gm.load_state_dict(s, {k: v.numpy() for k, v in tm.state_dict().items()})
        gl.load_state_dict(s, {k: v.numpy() for k, v in tl.state_dict().items()})
        got = s.run([out, loss] + grads, {x: xv})
    tout, _ = tl(tm(torch.tensor(xv)).reshape(2, 3, 3))
    tloss = (tout * tout).sum()
    tloss.backward()
    want = [tout.detach().numpy(), tloss.item()]
    want += [p.grad.numpy() for p in list(tm.parameters()) + list(tl.parameters())]
    assert got[0].dtype == np.float32
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 7)),
    (lambda m: m.Conv1d(4, 4, 2, padding="same", groups=2, dilation=2), (2, 4, 6)),
    (lambda m: m.GroupNorm(2, 4), (2, 4, 5)),
    (lambda m: m.MaxPool1d(2), (2, 3, 6)),
    (lambda m: m.Sequential(m.Conv2d(2, 3, 3), m.AdaptiveAvgPool2d(1), m.Flatten()), (2, 2, 5, 5)),
    (lambda m: m.Sequential(m.Conv2d(2, 3, 2), m.AdaptiveMaxPool2d((2, 3))), (2, 2, 6, 6)),
    (lambda m: m.Sequential(m.AvgPool1d(3, 2, 1), m.PReLU(3)), (2, 3, 7)),
    (lambda m: m.Sequential(m.Linear(4, 6), m.SiLU(), m.Mish(), m.Hardswish(), m.Softplus(beta=2), m.Hardtanh(),
                            m.CELU(0.5), m.SELU(), m.ReLU6(), m.LogSigmoid(), m.Linear(6, 4), m.GLU()), (3, 4)),
    (lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, groups=2), (2, 4, 3, 3)),
    (lambda m: m.Sequential(m.Linear(4, 4), m.BatchNorm1d(4, track_running_stats=False), m.Linear(4, 3)), (5, 4)),
    (lambda m: m.Sequential(m.Conv2d(2, 4, 3, padding=1, stride=2), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2),
                            m.Flatten(), m.LayerNorm(16), m.Linear(16, 2)), (3, 2, 8, 8)),
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_more_modules_match_pytorch(make: Any, shape: tuple, dtype: str) -> None:
    torch = _torch()
    torch.manual_seed(0)
    gf.nn.modules.set_default_dtype(getattr(gf, dtype))
    tm, gm = make(torch.nn).to(getattr(torch, dtype)), make(gf.nn)
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    xv = np.random.RandomState(4).rand(*shape).astype(dtype)
    if dtype == "float64":
        _agrees(torch, tm, gm, xv, rtol=1e-9, atol=1e-12)
    else:  # float32 rounding of sums over a few dozen terms
        _agrees(torch, tm, gm, xv, rtol=1e-4, atol=1e-5)


def _agrees(torch: Any, tm: Any, gm: Any, xv: np.ndarray, atol: float, rtol: float = 1e-9) -> None:
    """gm's output and the gradients of sum(y^2) (parameters and input), from tm's weights, equal tm's."""
    x = gf.placeholder(gf.as_dtype(xv.dtype), list(xv.shape))
    y = gm(x)
    grads = gf.gradients(gf.reduce_sum(y * y), list(gm.parameters()) + [x])
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gm.load_state_dict(s, {k: v.numpy() for k, v in tm.state_dict().items()})
        got = s.run([y] + grads, {x: xv})
    tx = torch.tensor(xv, requires_grad=True)
    ty = tm(tx)
    (ty * ty).sum().backward()
    for a, b in zip(got, [ty.detach().numpy()] + [p.grad.numpy() for p in tm.parameters()] + [tx.grad.numpy()]):
        assert a.dtype == xv.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_bilinear_and_dropout2d() -> None:
    torch = _torch()
    torch.manual_seed(0)
    tb, gb = torch.nn.Bilinear(3, 2, 4).double(), gf.nn.Bilinear(3, 2, 4)
    a, b = np.random.rand(5, 3), np.random.rand(5, 2)
    drop = gf.nn.Dropout2d(0.5)
    z = gf.placeholder(gf.float64, [4, 6, 3, 3])
    dz = drop(z)
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gb.load_state_dict(s, {k: v.numpy() for k, v in tb.state_dict().items()})
        np.testing.assert_allclose(s.run(gb(gf.constant(a), gf.constant(b))),
                                   tb(torch.tensor(a), torch.tensor(b)).detach().numpy(), rtol=1e-12)
        v = s.run(dz, {z: np.ones((4, 6, 3, 3))})
        per_channel = v.reshape(4, 6, 9)
        assert np.all((per_channel == 0).all(2) | (per_channel == 2).all(2))  # whole channels drop
        drop.eval()
        np.testing.assert_array_equal(s.run(dz, {z: np.ones((4, 6, 3, 3))}), np.ones((4, 6, 3, 3)))


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_pytorch(batch_first: bool) -> None:
    torch = _torch()
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    gm = gf.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    xv = np.random.RandomState(5).rand(3, 4, 8)
    b, s_ = (3, 4) if batch_first else (4, 3)
    pad = np.zeros((b, s_), bool)
    pad[0, -1] = True
    causal = np.triu(np.ones((s_, s_), bool), 1)
    x = gf.placeholder(gf.float64, list(xv.shape))
    out, w = gm(x, x, x, key_padding_mask=pad, attn_mask=causal)
    grads = gf.gradients(gf.reduce_sum(out * out), list(gm.parameters()) + [x])
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gm.load_state_dict(s, {k: v.numpy() for k, v in tm.state_dict().items()})
        got = s.run([out, w] + grads, {x: xv})
    tx = torch.tensor(xv, requires_grad=True)
    to, tw = tm(tx, tx, tx, key_padding_mask=torch.tensor(pad), attn_mask=torch.tensor(causal))
    (to * to).sum().backward()
    for a, bb in zip(got, [to.detach().numpy(), tw.detach().numpy()] + [p.grad.numpy() for p in tm.parameters()]
                     + [tx.grad.numpy()]):
        np.testing.assert_allclose(a, bb, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_layer_matches_pytorch(norm_first: bool) -> None:
    torch = _torch()
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first).double()
    gm = gf.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first)
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    xv = np.random.RandomState(6).rand(2, 5, 8)
    pad = np.zeros((2, 5), bool)
    pad[1, 3:] = True
    x = gf.placeholder(gf.float64, [2, 5, 8])
    y = gm(x, src_key_padding_mask=pad)
    (g,) = gf.gradients(gf.reduce_sum(y * y), [x])
    with gf.Session() as s:
        s.run(gf.global_variables_initializer())
        gm.load_state_dict(s, {k: v.numpy() for k, v in tm.state_dict().items()})
        got_y, got_g = s.run([y, g], {x: xv})
    tm.train()  # the slow path (the fused inference path rounds differently)
    tx = torch.tensor(xv, requires_grad=True)
    ty = tm(tx, src_key_padding_mask=torch.tensor(pad))
    (ty * ty).sum().backward()
    np.testing.assert_allclose(got_y, ty.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got_g, tx.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=1, padding=1, dilation=2), dict(stride=3, padding=2)])
def test_conv_transpose2d_matches_pytorch(kw: dict) -> None:
    torch = _torch()
    torch.manual_seed(0)
    tm, gm = torch.nn.ConvTranspose2d(3, 2, 3, **kw).double(), gf.nn.ConvTranspose2d(3, 2, 3, **kw)
    _agrees(torch, tm, gm, np.random.RandomState(7).rand(2, 3, 4, 5), atol=1e-11)


def test_print_net_shows_what_pytorch_shows() -> None:
    torch = _torch()

    def make(m: Any) -> Any:
        return m.Sequential(m.Conv2d(1, 6, 5), m.ReLU(), m.MaxPool2d(2), m.Conv2d(6, 16, 3, padding=1, groups=2,
                                                                                 bias=False),
                            m.Flatten(), m.Dropout(0.25), m.Linear(400, 120), m.LeakyReLU(0.1), m.Softmax(dim=1),
                            m.ModuleList([m.LSTM(5, 10, 2, batch_first=True), m.Embedding(3, 16, padding_idx=0),
                                          m.Conv1d(3, 4, 3, stride=2, padding=1), m.AdaptiveAvgPool2d((1, 1))]))
    assert repr(make(gf.nn)) == repr(make(torch.nn))


def test_flatten_keeps_static_sizes() -> None:
    x = gf.placeholder(gf.float64, [None, 64, 12, 12])
    assert gf.nn.Flatten()(x).shape.as_list() == [None, 9216]  # a following Linear(9216, ...) checks it
    assert gf.nn.Flatten(2)(gf.placeholder(gf.float64, [2, None, 4, 5])).shape.as_list() == [2, None, 20]
    with gf.Session() as s:
        v = np.random.rand(3, 64, 12, 12)
        np.testing.assert_array_equal(s.run(gf.nn.Flatten()(x), {x: v}), v.reshape(3, -1))
