"""A small transformer encoder with a padding mask, PyTorch style: sequences of 3 to 12 tokens
(ids 1 and 2, padded with 0 to a length of 12) are classified by which token is in the majority.
Embedding(padding_idx=0) -> TransformerEncoderLayer(batch_first=True) with
``src_key_padding_mask`` -> a mean over the real tokens -> Linear, trained with
CrossEntropyLoss and Adam. Because the padding is masked, adding more of it changes nothing.

    python examples/attention.py
"""
from __future__ import annotations

import numpy as np

import graphflow as gf

LENGTH, D_MODEL, VOCAB = 12, 16, 3


class Classifier(gf.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = gf.nn.Embedding(VOCAB, D_MODEL, padding_idx=0)
        self.encoder = gf.nn.TransformerEncoderLayer(D_MODEL, nhead=2, dim_feedforward=32, dropout=0.1,
                                                     batch_first=True)
        self.head = gf.nn.Linear(D_MODEL, 2)

    def forward(self, ids):  # type: ignore[no-untyped-def]
        pad = gf.equal(ids, 0)  # True where there is no token: attention ignores those keys
        h = self.encoder(self.embed(ids), src_key_padding_mask=pad)
        real = gf.expand_dims(gf.cast(gf.logical_not(pad), h.dtype), -1)
        pooled = gf.reduce_sum(h * real, 1) / gf.reduce_sum(real, 1)
        return self.head(pooled)


def batch(rs: np.random.RandomState, n: int, length: int = LENGTH) -> tuple[np.ndarray, np.ndarray]:
    ids = np.zeros((n, length), np.int64)
    labels = np.zeros(n, np.int64)
    for i in range(n):
        k = rs.choice(np.arange(3, 13, 2))  # odd lengths: never a tie
        seq = rs.randint(1, 3, k)
        ids[i, :k] = seq
        labels[i] = int((seq == 2).sum() > (seq == 1).sum())
    return ids, labels


def main(steps: int = 300, seed: int = 0, verbose: bool = True) -> dict:
    rs = np.random.RandomState(seed)
    np.random.seed(seed)
    with gf.Graph().as_default():
        net = Classifier()
        ids = gf.placeholder(gf.int64, [None, None])
        labels = gf.placeholder(gf.int64, [None])
        logits = net(ids)
        loss = gf.nn.CrossEntropyLoss()(logits, labels)
        train = gf.optim.Adam(net.parameters(), lr=0.01).minimize(loss)
        predicted = gf.argmax(logits, 1)
        with gf.Session() as sess:
            sess.run(gf.global_variables_initializer())
            for step in range(steps):
                xb, yb = batch(rs, 32)
                lv, _ = sess.run([loss, train], {ids: xb, labels: yb})
                if verbose and step % 50 == 0:
                    print(f"step {step}: loss {lv:.4f}")
            net.eval()  # dropout off, the same compiled graph
            xt, yt = batch(np.random.RandomState(seed + 1), 500)
            acc = float((sess.run(predicted, {ids: xt}) == yt).mean())
            longer = np.concatenate([xt, np.zeros((len(xt), 8), np.int64)], 1)  # 8 more padding columns
            a, b = sess.run(logits, {ids: xt}), sess.run(logits, {ids: longer})
    if verbose:
        print(f"held-out accuracy {acc:.3f}; extra padding moves the logits by {np.abs(a - b).max():.2e}")
    return {"accuracy": acc, "padding_shift": float(np.abs(a - b).max())}


if __name__ == "__main__":
    main()
