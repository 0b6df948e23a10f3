"""tf.contrib.learn's data utilities and tensorflow.examples.tutorials.mnist as TF 1.15 defines
them: MNIST read from local IDX files (scaling, one-hot, the validation split, next_batch's epoch
shuffling and wrap-around, clear errors for missing or corrupt files), VocabularyProcessor, and the
tutorial's model functions. No file is downloaded: the tests write small IDX files."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import graphflow as gf
from graphflow.examples.tutorials.mnist import input_data
from graphflow.examples.tutorials.mnist import mnist as tutorial

RS = np.random.RandomState(0)


def _write_idx(folder: Path, n_train: int = 30, n_test: int = 8) -> tuple[np.ndarray, ...]:
    out = []
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = RS.randint(0, 256, (n, 28, 28)).astype(np.uint8)
        labels = RS.randint(0, 10, n).astype(np.uint8)
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(struct.pack(">II", 2049, n) + labels.tobytes())
        out += [images, labels]
    return tuple(out)


def test_read_data_sets_scales_splits_and_one_hots(tmp_path: Path) -> None:
    train_x, train_y, test_x, test_y = _write_idx(tmp_path)
    data = input_data.read_data_sets(str(tmp_path), one_hot=True, validation_size=6)
    assert (data.train.num_examples, data.validation.num_examples, data.test.num_examples) == (24, 6, 8)
    assert data.train.images.dtype == np.float32 and data.train.images.shape == (24, 784)
    np.testing.assert_allclose(data.validation.images, train_x[:6].reshape(6, 784) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.test.labels, np.eye(10)[test_y])
    raw = input_data.read_data_sets(str(tmp_path), dtype=gf.uint8, reshape=False, validation_size=0)
    np.testing.assert_array_equal(raw.train.images[..., 0], train_x)
    np.testing.assert_array_equal(raw.train.labels, train_y)
    with pytest.raises(ValueError, match="Validation size should be between 0 and 30"):
        input_data.read_data_sets(str(tmp_path), validation_size=31)


def test_missing_and_corrupt_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz is not in .*does not download"):
        input_data.read_data_sets(str(tmp_path))
    _write_idx(tmp_path)
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 2051, 8) + bytes(8))
    with pytest.raises(ValueError, match="Invalid magic number 2051 in MNIST label file"):
        input_data.read_data_sets(str(tmp_path))


def test_next_batch_shuffles_each_epoch_and_joins_its_tail_to_the_next() -> None:
    images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    labels = np.arange(10)
    plain = input_data.DataSet(images, labels, dtype=gf.uint8, seed=1)
    batches = [plain.next_batch(4, shuffle=False)[1] for _ in range(3)]
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]
    assert plain.epochs_completed == 1
    shuffled = input_data.DataSet(images, labels, dtype=gf.uint8, seed=1)
    seen = np.concatenate([shuffled.next_batch(5)[1] for _ in range(2)])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    again = input_data.DataSet(images, labels, dtype=gf.uint8, seed=1)  # the seed fixes numpy's stream
    np.testing.assert_array_equal(np.concatenate([again.next_batch(5)[1] for _ in range(2)]), seen)
    xs, ys = input_data.read_data_sets("", fake_data=True, one_hot=True).train.next_batch(3, fake_data=True)
    assert np.asarray(xs).shape == (3, 784) and ys[0] == [1] + [0] * 9


def test_vocabulary_processor() -> None:
    vp = gf.contrib.learn.preprocessing.VocabularyProcessor(max_document_length=4)
    ids = np.array(list(vp.fit_transform(["a cat sat on mats", "a dog"])))
    np.testing.assert_array_equal(ids, [[1, 2, 3, 4], [1, 6, 0, 0]])
    assert list(vp.transform(["a bird"]))[0].tolist() == [1, 0, 0, 0]  # frozen: unknown words are 0
    assert list(vp.reverse([[1, 2, 0]])) == ["a cat <UNK>"]
    trimmed = gf.contrib.learn.preprocessing.VocabularyProcessor(3, min_frequency=1)
    # a and b seen twice, c once (trimmed): equal counts keep name order, so a is 1 and b is 2
    np.testing.assert_array_equal(list(trimmed.fit_transform(["b a a", "c b"])), [[2, 1, 1], [0, 2, 0]])
    tokens = list(gf.contrib.learn.preprocessing.tokenizer(["HTTPServer isn't well-known"]))[0]
    assert tokens == ["HTTP", "Server", "isn't", "well-known"]


def test_vocabulary_processor_saves_and_restores(tmp_path: Path) -> None:
    vp = gf.contrib.learn.preprocessing.VocabularyProcessor(3)
    vp.fit(["x y z"])
    vp.save(str(tmp_path / "vocab"))
    back = gf.contrib.learn.preprocessing.VocabularyProcessor.restore(str(tmp_path / "vocab"))
    assert list(back.transform(["z y w"]))[0].tolist() == [3, 2, 0]


def test_tutorial_model_trains() -> None:
    with gf.Graph().as_default():
        images = gf.placeholder(gf.float32, [None, tutorial.IMAGE_PIXELS])
        labels = gf.placeholder(gf.int32, [None])
        logits = tutorial.inference(images, 16, 8)
        loss = tutorial.loss(logits, labels)
        train = tutorial.training(loss, 0.5)
        correct = tutorial.evaluation(logits, labels)
        assert [v.name for v in gf.trainable_variables()] == [
            f"{s}/{w}:0" for s in ("hidden1", "hidden2", "softmax_linear") for w in ("weights", "biases")]
        y = RS.randint(0, 10, 40).astype(np.int32)
        x = (RS.rand(40, 784) * 0.1).astype(np.float32)
        for i, label in enumerate(y):  # each class lights its own block of pixels
            x[i, label * 78:(label + 1) * 78] += 1.0
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            first = s.run(loss, {images: x, labels: y})
            for _ in range(60):
                s.run(train, {images: x, labels: y})
            assert s.run(loss, {images: x, labels: y}) < first / 2
            assert s.run(correct, {images: x, labels: y}) >= 36
            assert s.run(gf.get_default_graph().get_tensor_by_name("global_step:0")) == 60
