"""Bag-of-words language classifier (Spanish or English) by logistic regression.

Each sentence becomes a vector of word counts; a linear layer and log_softmax give
log-probabilities of the two labels; the loss is the negative log-likelihood.

    python examples/bow_classifier.py
"""
from __future__ import annotations

import argparse

import numpy as np

import graphflow as tf

TRAIN = [
    ("el gato duerme en la casa", "SPANISH"),
    ("the dog runs in the park", "ENGLISH"),
    ("me gusta leer libros por la noche", "SPANISH"),
    ("we like to read books at night", "ENGLISH"),
    ("la comida de mi madre es muy buena", "SPANISH"),
    ("my mother cooks very good food", "ENGLISH"),
]
TEST = [
    ("el perro duerme en el parque", "SPANISH"),
    ("the cat likes good books", "ENGLISH"),
]
LABELS = {"SPANISH": 0, "ENGLISH": 1}


def vocabulary(sentences: list[str]) -> dict[str, int]:
    vocab: dict[str, int] = {}
    for s in sentences:
        for word in s.split():
            vocab.setdefault(word, len(vocab))
    return vocab


def bow(sentence: str, vocab: dict[str, int]) -> np.ndarray:
    v = np.zeros(len(vocab), dtype=np.float32)
    for word in sentence.split():
        if word in vocab:
            v[vocab[word]] += 1
    return v


def main(epochs: int = 100, seed: int = 1, verbose: bool = True) -> dict:
    vocab = vocabulary([s for s, _ in TRAIN + TEST])
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        x = tf.placeholder(tf.float32, [None, len(vocab)])
        label = tf.placeholder(tf.int64, [None])
        w = tf.Variable(tf.random_uniform([len(vocab), 2], -0.1, 0.1))
        b = tf.Variable(tf.zeros([2]))
        log_probs = tf.nn.log_softmax(tf.matmul(x, w) + b)
        nll = -tf.reduce_mean(tf.reduce_sum(tf.one_hot(label, 2) * log_probs, axis=1))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(nll)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            test_x = np.stack([bow(s, vocab) for s, _ in TEST])
            before = sess.run(log_probs, {x: test_x})
            for _ in range(epochs):
                for sentence, lab in TRAIN:  # one example at a time, as the tutorial does
                    sess.run(train, {x: bow(sentence, vocab)[None], label: [LABELS[lab]]})
            after = sess.run(log_probs, {x: test_x})
    predictions = ["SPANISH" if row[0] > row[1] else "ENGLISH" for row in after]
    if verbose:
        for (sentence, lab), b0, a0, pred in zip(TEST, before, after, predictions):
            print(f"{sentence!r}: log-probs {np.round(b0, 3)} -> {np.round(a0, 3)}, predicted {pred} ({lab})")
    return {"predictions": predictions, "expected": [lab for _, lab in TEST]}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=100)
    main(p.parse_args().epochs)
