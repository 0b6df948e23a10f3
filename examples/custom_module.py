"""The notes' custom modules: TwoLayerNet (Linear, clamp, Linear) trained with SGD, and
DynamicNet, whose middle layer is applied a number of times fed at run time (a native loop over
the shared layer: one compiled graph for every count), trained with SGD with momentum.

    python examples/custom_module.py
"""
from __future__ import annotations

import numpy as np

import graphflow as gf


class TwoLayerNet(gf.nn.Module):
    def __init__(self, d_in: int, h: int, d_out: int) -> None:
        super().__init__()
        self.linear1, self.linear2 = gf.nn.Linear(d_in, h), gf.nn.Linear(h, d_out)

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.linear2(gf.clip_by_value(self.linear1(x), 0.0, np.inf))


class DynamicNet(gf.nn.Module):
    def __init__(self, d_in: int, h: int, d_out: int) -> None:
        super().__init__()
        self.input_linear = gf.nn.Linear(d_in, h)
        self.middle_linear = gf.nn.Linear(h, h)
        self.output_linear = gf.nn.Linear(h, d_out)
        self.repeats = gf.placeholder(gf.int32, [], name="repeats")

    def forward(self, x):  # type: ignore[no-untyped-def]
        h = gf.nn.ReLU()(self.input_linear(x))
        _, h = gf.while_loop(lambda i, h: i < self.repeats,
                             lambda i, h: (i + 1, gf.nn.ReLU()(self.middle_linear(h))), (gf.constant(0), h))
        return self.output_linear(h)


def main(steps: int = 200, seed: int = 0, verbose: bool = True) -> dict:
    rs = np.random.RandomState(seed)
    np.random.seed(seed)
    xv, yv = rs.randn(64, 100).astype(np.float32), rs.randn(64, 10).astype(np.float32)
    out = {}
    with gf.Graph().as_default():
        x, y = gf.placeholder(gf.float32, [None, 100]), gf.placeholder(gf.float32, [None, 10])
        two = TwoLayerNet(100, 50, 10)
        loss = gf.nn.MSELoss(reduction="sum")(two(x), y)
        train = gf.optim.SGD(two.parameters(), lr=1e-4).minimize(loss)
        dyn = DynamicNet(100, 50, 10)
        dloss = gf.nn.MSELoss(reduction="sum")(dyn(x), y)
        dtrain = gf.optim.SGD(dyn.parameters(), lr=1e-4, momentum=0.9).minimize(dloss)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            two_losses = [float(sess.run([loss, train], {x: xv, y: yv})[0]) for _ in range(steps)]
            dyn_losses = [float(sess.run([dloss, dtrain], {x: xv, y: yv, dyn.repeats: rs.randint(0, 4)})[0])
                          for _ in range(steps)]
            compiled = len(sess._cache)  # the initializer and the two train steps, whatever the counts
    out = {"two_layer": (two_losses[0], two_losses[-1]), "dynamic": (dyn_losses[0], dyn_losses[-1]),
           "programs": compiled}
    if verbose:
        print(f"TwoLayerNet loss {two_losses[0]:.1f} -> {two_losses[-1]:.1f}; "
              f"DynamicNet loss {dyn_losses[0]:.1f} -> {dyn_losses[-1]:.1f}")
    return out


if __name__ == "__main__":
    main()
