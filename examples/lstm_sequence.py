"""An LSTM reading a sequence, PyTorch style: from windows of sin(t) predict cos(t) at every step
(the classic RNN regression), with ``gf.nn.LSTM(batch_first=True)`` on the native loop, a Linear
head on every step's output, MSELoss and Adam. The state carries what the current input alone
cannot tell: whether the sine is rising or falling.

    python examples/lstm_sequence.py
"""
from __future__ import annotations

import numpy as np

import graphflow as gf

TIME_STEP, HIDDEN = 20, 32


class Regressor(gf.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = gf.nn.LSTM(input_size=1, hidden_size=HIDDEN, num_layers=1, batch_first=True)
        self.out = gf.nn.Linear(HIDDEN, 1)

    def forward(self, x, state=None):  # type: ignore[no-untyped-def]
        r_out, (h_n, c_n) = self.rnn(x, state)  # r_out [batch, time, hidden]
        return self.out(r_out), (h_n, c_n)


def windows(rs: np.random.RandomState, batch: int) -> tuple[np.ndarray, np.ndarray]:
    starts = rs.uniform(0, 2 * np.pi, (batch, 1))
    t = starts + np.linspace(0, np.pi, TIME_STEP)[None, :]
    return np.sin(t)[..., None].astype(np.float32), np.cos(t)[..., None].astype(np.float32)


def main(steps: int = 150, seed: int = 0, verbose: bool = True) -> dict:
    rs = np.random.RandomState(seed)
    np.random.seed(seed)
    with gf.Graph().as_default():
        net = Regressor()
        x = gf.placeholder(gf.float32, [None, TIME_STEP, 1])
        y = gf.placeholder(gf.float32, [None, TIME_STEP, 1])
        prediction, _ = net(x)
        loss = gf.nn.MSELoss()(prediction, y)
        train = gf.optim.Adam(net.parameters(), lr=0.02).minimize(loss)
        losses = []
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for step in range(steps):
                xb, yb = windows(rs, 16)
                losses.append(float(sess.run([loss, train], {x: xb, y: yb})[0]))
                if verbose and step % 30 == 0:
                    print(f"step {step}: loss {losses[-1]:.4f}")
            xt, yt = windows(np.random.RandomState(seed + 1), 64)
            test = float(sess.run(loss, {x: xt, y: yt}))
    if verbose:
        print(f"held-out loss {test:.4f} (predicting 0 everywhere: {float(np.mean(yt ** 2)):.4f})")
    return {"first_loss": losses[0], "last_loss": losses[-1], "test_loss": test,
            "baseline": float(np.mean(yt ** 2))}


if __name__ == "__main__":
    main()
