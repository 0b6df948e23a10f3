"""Images from files to a served model, the TF1 way: PNGs in TFRecord files, read with tf.data,
augmented with tf.image, a CNN trained on them, exported as a SavedModel and served by the
command line.

1. Three classes of 24x24 colour pictures (horizontal stripes, vertical stripes, a square) are
   drawn with random colours and noise, encoded with ``tf.image.encode_png`` and written as
   ``tf.train.Example`` records to TFRecord shards (GZIP-compressed).
2. Training reads them with ``tf.data.TFRecordDataset``, ``tf.parse_single_example``,
   ``tf.image.decode_png``, then augments each picture: ``convert_image_dtype``,
   ``random_flip_up_down`` (no stripe changes class by it), ``random_brightness``,
   ``random_contrast``, ``resize_images`` to 28x28 and ``random_crop`` back to 24x24, and
   ``per_image_standardization``.
3. A serving graph takes a batch of uint8 pictures, standardizes and classifies them; the
   trained variables are restored into it and ``tf.saved_model.simple_save`` writes it.
4. The SavedModel is loaded back in a fresh graph (``tf.saved_model.loader.load``) and served by
   ``graphflow run``; both agree with the training process.

    python examples/images_tfrecord_serving.py --steps 300
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

import graphflow as tf

SIZE, CLASSES = 24, ("horizontal", "vertical", "square")


def draw(rng: np.random.RandomState, label: int) -> np.ndarray:
    """One uint8 picture of class ``label``: two random colours, a pattern, noise."""
    fg, bg = rng.randint(0, 256, 3), rng.randint(0, 256, 3)
    while np.abs(fg - bg).sum() < 150:
        fg = rng.randint(0, 256, 3)
    mask = np.zeros((SIZE, SIZE), bool)
    if label == 2:
        a, b = rng.randint(2, 8), rng.randint(14, 22)
        mask[a:b, a:b] = True
    else:
        period, phase = rng.randint(4, 7), rng.randint(0, 4)
        stripes = ((np.arange(SIZE) + phase) // (period // 2)) % 2 == 0
        mask[:] = stripes[:, None] if label == 0 else stripes[None, :]
    img = np.where(mask[..., None], fg, bg) + rng.normal(0, 12, (SIZE, SIZE, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_records(out: str, n: int, seed: int, shards: int = 2) -> list[str]:
    """``n`` labelled pictures as PNG-encoded tf.train.Examples in GZIP'd TFRecord shards."""
    rng = np.random.RandomState(seed)
    with tf.Graph().as_default():
        pixels = tf.placeholder(tf.uint8, [SIZE, SIZE, 3])
        png = tf.image.encode_png(pixels)
        with tf.Session() as sess:
            encoded = [(sess.run(png, {pixels: draw(rng, i % 3)}), i % 3) for i in range(n)]
    options = tf.python_io.TFRecordOptions(tf.python_io.TFRecordCompressionType.GZIP)
    paths = [os.path.join(out, f"shapes-{k:05d}-of-{shards:05d}.tfrecord.gz") for k in range(shards)]
    writers = [tf.python_io.TFRecordWriter(p, options) for p in paths]
    for i, (data, label) in enumerate(encoded):
        example = tf.train.Example(features=tf.train.Features(feature={
            "image/encoded": tf.train.Feature(bytes_list=tf.train.BytesList(value=[data])),
            "image/format": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"png"])),
            "image/class/label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
        }))
        writers[i % shards].write(example.SerializeToString())
    for w in writers:
        w.close()
    return paths


FEATURES = {"image/encoded": tf.FixedLenFeature([], tf.string),
            "image/format": tf.FixedLenFeature([], tf.string, default_value="png"),
            "image/class/label": tf.FixedLenFeature([], tf.int64)}


def augment(serialized):  # type: ignore[no-untyped-def]
    parsed = tf.parse_single_example(serialized, FEATURES)
    image = tf.image.convert_image_dtype(tf.image.decode_png(parsed["image/encoded"], channels=3), tf.float32)
    image = tf.image.random_flip_up_down(image)
    image = tf.image.random_brightness(image, 0.15)
    image = tf.image.random_contrast(image, 0.7, 1.3)
    image = tf.image.resize_images(image, [SIZE + 4, SIZE + 4])
    image = tf.random_crop(image, [SIZE, SIZE, 3])
    return tf.image.per_image_standardization(image), tf.cast(parsed["image/class/label"], tf.int32)


def model(images):  # type: ignore[no-untyped-def]
    h = tf.layers.conv2d(images, 16, 3, padding="same", activation=tf.nn.relu, name="conv1")
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.conv2d(h, 32, 3, padding="same", activation=tf.nn.relu, name="conv2")
    h = tf.layers.max_pooling2d(h, 2, 2)
    return tf.layers.dense(tf.layers.flatten(h), len(CLASSES), name="logits")


def train(files: list[str], ckpt: str, steps: int, seed: int) -> list[float]:
    with tf.Graph().as_default():
        tf.set_random_seed(seed)
        ds = tf.data.TFRecordDataset(files, compression_type="GZIP").map(augment)
        images, labels = ds.shuffle(256, seed=seed).repeat().batch(32).make_one_shot_iterator().get_next()
        loss = tf.losses.sparse_softmax_cross_entropy(labels, model(images))
        step = tf.train.AdamOptimizer(3e-3).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = [sess.run([step, loss])[1] for _ in range(steps)]
            tf.train.Saver().save(sess, ckpt)
    return losses


def export(ckpt: str, export_dir: str) -> None:
    """The serving graph: a batch of uint8 pictures in, class probabilities out, the trained
    variables restored into it."""
    with tf.Graph().as_default():
        pixels = tf.placeholder(tf.uint8, [None, SIZE, SIZE, 3], name="pixels")
        images = tf.image.per_image_standardization(tf.image.convert_image_dtype(pixels, tf.float32))
        probabilities = tf.nn.softmax(model(images), name="probabilities")
        classes = tf.argmax(probabilities, 1, name="classes")
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, ckpt)
            tf.saved_model.simple_save(sess, export_dir, inputs={"pixels": pixels},
                                       outputs={"probabilities": probabilities, "classes": classes})


def main(out: str | None = None, steps: int = 300, n: int = 600, seed: int = 0, verbose: bool = True) -> dict:
    out = out or tempfile.mkdtemp(prefix="shapes_")
    files = write_records(out, n, seed)
    losses = train(files, os.path.join(out, "ckpt", "model.ckpt"), steps, seed)
    export_dir = os.path.join(out, "export", "1")
    export(os.path.join(out, "ckpt", "model.ckpt"), export_dir)

    rng = np.random.RandomState(seed + 1)  # fresh pictures, never seen in training
    labels = np.arange(90) % 3
    test = np.stack([draw(rng, int(k)) for k in labels])
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, [tf.saved_model.tag_constants.SERVING], export_dir)
        sig = meta.signature_def[tf.saved_model.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY]
        loaded = sess.run(sig.outputs["classes"].name, {sig.inputs["pixels"].name: test})
    test_file, served_dir = os.path.join(out, "test_pixels.npy"), os.path.join(out, "served")
    np.save(test_file, test)
    subprocess.run([sys.executable, "-m", "graphflow.runtime.cli", "run", export_dir, "--input",
                    f"pixels={test_file}", "--output_dir", served_dir], check=True, capture_output=not verbose)
    served = np.load(os.path.join(served_dir, "classes.npy"))
    accuracy = float((loaded == labels).mean())
    if verbose:
        print(f"wrote {n} pictures to {len(files)} TFRecord files; trained {steps} steps, loss "
              f"{np.mean(losses[:10]):.3f} -> {np.mean(losses[-10:]):.3f}; SavedModel at {export_dir}; "
              f"accuracy on fresh pictures {accuracy:.3f}; graphflow run agrees: {bool((served == loaded).all())}")
    return {"accuracy": accuracy, "first_loss": float(np.mean(losses[:10])),
            "last_loss": float(np.mean(losses[-10:])), "cli_agrees": bool((served == loaded).all()),
            "export_dir": export_dir, "files": files}


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None)
    p.add_argument("--steps", type=int, default=300)
    a = p.parse_args()
    main(a.out, a.steps)
