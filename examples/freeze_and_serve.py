"""Train, freeze, ship, serve: a gf.layers network on scikit-learn's 8x8 digits is trained,
saved as a checkpoint, frozen into one GraphDef file (variables become constants), then loaded in
a fresh process (gf.import_graph_def) and by the command line (graphflow run) to predict; all
three agree.

    python examples/freeze_and_serve.py --out /tmp/digits_model
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

import graphflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digits_cnn import load_digits  # noqa: E402


def train_and_freeze(out: str, steps: int, seed: int, verbose: bool) -> tuple[str, np.ndarray, np.ndarray]:
    x_train, y_train, x_test, y_test = load_digits(seed)
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        images = tf.placeholder(tf.float32, [None, 8, 8, 1], name="images")
        labels = tf.placeholder(tf.int64, [None], name="labels")
        training = tf.placeholder_with_default(False, [], name="training")
        h = tf.layers.conv2d(images, 16, 3, padding="same", activation=tf.nn.relu)
        h = tf.layers.max_pooling2d(h, 2, 2)
        h = tf.layers.dropout(tf.layers.dense(tf.layers.flatten(h), 64, activation=tf.nn.relu), 0.3,
                              training=training)
        logits = tf.layers.dense(h, 10)
        tf.nn.softmax(logits, name="probabilities")
        predictions = tf.argmax(logits, 1, name="predictions")
        loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
        saver = tf.train.Saver()
        rng = np.random.RandomState(seed)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(steps):
                idx = rng.randint(0, len(x_train), 64)
                sess.run(train, {images: x_train[idx], labels: y_train[idx], training: True})
            saver.save(sess, os.path.join(out, "model.ckpt"))
            ours = sess.run(predictions, {images: x_test})
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, tf.get_default_graph().as_graph_def(), ["probabilities", "predictions"])
    frozen = tf.graph_util.remove_training_nodes(frozen)
    path = tf.train.write_graph(frozen, out, "digits_frozen.pb", as_text=False)
    if verbose:
        print(f"trained {steps} steps; wrote {path} ({len(frozen.node)} nodes)")
    np.save(os.path.join(out, "test_images.npy"), x_test)
    return path, ours, y_test


SERVE = textwrap.dedent("""
    import sys, numpy as np, graphflow as gf
    model, images, out = sys.argv[1:4]
    graph_def = gf.graph_util.read_graph(model)
    x, predictions = gf.import_graph_def(graph_def, return_elements=["images:0", "predictions:0"], name="")
    with gf.Session() as sess:
        np.save(out, sess.run(predictions, {x: np.load(images)}))
    """)


def main(out: str | None = None, steps: int = 300, seed: int = 0, verbose: bool = True) -> dict:
    out = out or tempfile.mkdtemp(prefix="digits_model_")
    os.makedirs(out, exist_ok=True)
    path, ours, y_test = train_and_freeze(out, steps, seed, verbose)
    images = os.path.join(out, "test_images.npy")
    fresh_out = os.path.join(out, "fresh_predictions.npy")
    subprocess.run([sys.executable, "-c", SERVE, path, images, fresh_out], check=True)
    cli_out = os.path.join(out, "cli_predictions.npy")
    subprocess.run([sys.executable, "-m", "graphflow.runtime.cli", "run", path, "--feed", f"images={images}",
                    "--fetch", "predictions", "--out", cli_out], check=True, capture_output=not verbose)
    fresh, cli = np.load(fresh_out), np.load(cli_out)
    accuracy = float((fresh == y_test).mean())
    if verbose:
        print(f"served: test accuracy {accuracy:.3f}; fresh process and command line agree with training: "
              f"{bool((fresh == ours).all() and (cli == ours).all())}")
    return {"accuracy": accuracy, "agree_fresh": bool((fresh == ours).all()), "agree_cli": bool((cli == ours).all()),
            "model": path}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None)
    p.add_argument("--steps", type=int, default=300)
    a = p.parse_args()
    main(a.out, a.steps)
