"""Every example runs and reaches its stated outcome."""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np

from tests.optional import need

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(name: str):  # type: ignore[no-untyped-def]
    path = os.path.join(ROOT, "examples", name + ".py")
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_regression_fits_the_parabola() -> None:
    r = load("regression").main(verbose=False)
    assert r["final_loss"] < 0.01 < r["initial_loss"]  # noise variance is 0.0025


def test_classification_accuracy() -> None:
    assert load("classification").main(verbose=False)["accuracy"] > 0.95


def test_optimizers_all_reduce_the_loss(tmp_path) -> None:  # type: ignore[no-untyped-def]
    png = tmp_path / "curves.png"
    curves = load("optimizers").main(steps=300, plot=str(png), verbose=False)["curves"]
    assert set(curves) == {"SGD", "Momentum", "RMSProp", "Adam"}
    for name, c in curves.items():
        assert np.mean(c[-20:]) < 0.5 * np.mean(c[:10]), name
    # the adaptive and momentum methods beat plain SGD at this learning rate
    for name in ("Momentum", "RMSProp", "Adam"):
        assert np.mean(curves[name][-20:]) < np.mean(curves["SGD"][-20:]), name
    need("matplotlib")  # the plot is only written when matplotlib is installed
    assert png.exists() and png.stat().st_size > 1000


def test_dropout_reduces_overfitting() -> None:
    r = load("dropout").main(verbose=False)
    assert r["train_loss_plain"] < r["test_loss_plain"]  # the plain net over-fits
    assert r["test_loss_dropout"] < r["test_loss_plain"]


def test_polynomial_fits_sine() -> None:
    r = load("polynomial_sin").main(verbose=False)
    a, b, c, d = r["coefficients"]
    assert r["loss"] < 20
    assert abs(b - 0.85) < 0.05 and abs(d + 0.09) < 0.02 and abs(a) < 0.1 and abs(c) < 0.05


def test_bag_of_words_classifier() -> None:
    r = load("bow_classifier").main(verbose=False)
    assert r["predictions"] == r["expected"]


def test_digits_cnn_reaches_97_percent() -> None:
    need("sklearn")  # the digits data set
    assert load("digits_cnn").main(verbose=False)["accuracy"] >= 0.97


def test_distributed_digits_on_one_rank(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The data-parallel example as a plain script (a world of one rank; the two-rank run is
    tests/test_distributed.py's)."""
    need("sklearn")  # the digits data set
    r = load("distributed_digits").main("cnn", epochs=6, checkpoint=str(tmp_path / "digits"), verbose=False)
    assert r["accuracy"] > 0.9 and (tmp_path / "digits.gfckpt").exists()


def test_rnn_digits_tf1_static_and_dynamic_rnn() -> None:
    need("sklearn")  # the digits data set
    acc = load("rnn_digits_tf1").main(verbose=False)
    assert acc["static"] >= 0.9 and acc["dynamic"] >= 0.9, acc


def test_layers_cnn_tf1_with_batch_norm_dropout_and_tf_data() -> None:
    need("sklearn")  # the digits data set
    r = load("layers_cnn_tf1").main(verbose=False)
    assert r["accuracy"] >= 0.95 and r["moving_mean_moved"], r


def test_char_rnn_tf1_learns_the_text() -> None:
    r = load("char_rnn_tf1").main(verbose=False)
    assert r["last_loss"] < 0.2 * r["first_loss"], r
    assert r["sample"].startswith("the quick brown fox"), r["sample"]


def test_seq2seq_tf1_translates_with_attention_greedily_and_by_beam_search() -> None:
    r = load("seq2seq_tf1").main(verbose=False)
    assert r["last_loss"] < 0.05 * r["first_loss"], r
    assert r["greedy_exact"] >= 0.9 and r["beam_exact"] >= 0.9, r


def test_ctc_tf1_learns_to_transcribe_greedily_and_by_beam_search() -> None:
    r = load("ctc_tf1").main(steps=80, verbose=False)
    assert r["last_loss"] < 0.05 * r["first_loss"], r
    assert r["greedy_ler"] <= 0.05 and r["beam_ler"] <= 0.05, r


def test_nn_regression_fits() -> None:
    r = load("nn_regression").main(verbose=False)
    assert r["last_loss"] < 0.01 < r["first_loss"]


def test_lenet_on_upsampled_digits() -> None:
    need("sklearn")  # the digits data set
    assert load("lenet").main(verbose=False)["accuracy"] >= 0.9


def test_custom_modules_train_and_one_program_serves_every_repeat_count() -> None:
    r = load("custom_module").main(verbose=False)
    assert r["two_layer"][1] < 0.2 * r["two_layer"][0]
    assert r["dynamic"][1] < 0.2 * r["dynamic"][0]
    assert r["programs"] == 3  # the initializer and the two train steps, for every fed count


def test_nn_classification_separates_the_clouds() -> None:
    r = load("nn_classification").main(verbose=False)
    assert r["accuracy"] >= 0.97 and r["last_loss"] < 0.15


def test_lstm_sequence_learns_what_the_input_alone_cannot_tell() -> None:
    r = load("lstm_sequence").main(verbose=False)
    assert r["test_loss"] < 0.2 * r["baseline"]  # the state knows if the sine rises or falls
    assert r["last_loss"] < 0.3 * r["first_loss"]


def test_attention_with_a_padding_mask() -> None:
    r = load("attention").main(verbose=False)
    assert r["accuracy"] > 0.95
    assert r["padding_shift"] < 1e-5  # masked padding changes nothing


def test_batching_with_a_shuffling_dataloader(capsys) -> None:  # type: ignore[no-untyped-def]
    r = load("batching").main(verbose=False, progress=True)
    assert r["batches"] == 20
    np.testing.assert_allclose(sorted(r["first_epoch_order"]), np.linspace(0.1, 1, 100), rtol=1e-6)  # each once
    assert r["first_epoch_order"] != sorted(r["first_epoch_order"])  # shuffled
    assert r["full_loss"] < 0.01 * r["first_epoch"]
    assert r["programs"] <= 3  # the initializer, the step, the full-data loss: every batch reuses one
    need("tqdm")  # the progress bar is only drawn with tqdm
    assert "20/20" in capsys.readouterr().err  # the progress bar


def test_tensorboard_mnist_writes_what_tensorboard_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("sklearn")  # the digits data set
    need("tensorboard")
    from tensorboard.backend.event_processing import event_accumulator as ea
    r = load("tensorboard_mnist").main(logdir=str(tmp_path), steps=120, verbose=False)
    assert r["accuracy"] > 0.85
    train = ea.EventAccumulator(str(tmp_path / "train"), size_guidance={"scalars": 0, "histograms": 0})
    train.Reload()
    test = ea.EventAccumulator(str(tmp_path / "test"), size_guidance={"scalars": 0})
    test.Reload()
    tags = train.Tags()
    assert tags["graph"] and "layer1/weights/summaries/histogram" in tags["histograms"]
    assert "input_reshape/input/image/0" in tags["images"]
    # a second "cross_entropy" scope makes the tag "cross_entropy_1", as TF1 names it
    assert [e.step for e in train.Scalars("cross_entropy_1")] == list(range(120))
    accs = [e.value for e in test.Scalars("accuracy_1")]
    assert len(accs) == 12 and accs[-1] > accs[0]
    assert "layer1/Wx_plus_b/MatMul" in {n.name for n in train.Graph().node}


def test_freeze_and_serve_agree_everywhere(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("sklearn")  # the digits data set
    need("tensorboard")
    r = load("freeze_and_serve").main(out=str(tmp_path), steps=200, verbose=False)
    assert r["agree_fresh"] and r["agree_cli"]  # training, a fresh process and the command line
    assert r["accuracy"] > 0.85


def test_distributions_vae_loss_and_policy_gradient() -> None:
    r = load("distributions_tf1").main(steps=200, verbose=False)
    assert r["vae"]["final_loss"] < 0.7 * r["vae"]["initial_loss"]
    assert r["bandit"]["probs"][2] > 0.8  # the policy learns the best arm


def test_csv_queue_pipeline_reads_every_row_of_every_epoch_and_learns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("sklearn")  # the iris data set
    r = load("csv_queue_pipeline").main(out=str(tmp_path), epochs=30, verbose=False)
    # shuffle_batch drops only the last partial batch: every full batch of 30 epochs was trained on
    assert r["steps"] == r["epochs"] * r["rows_per_epoch"] // r["batch_size"]
    assert r["test_rows"] == 30  # batch(allow_smaller_final_batch=True) reads the test file once, to the end
    assert r["last_loss"] < r["first_loss"] / 3
    assert r["accuracy"] >= 0.9


def test_images_tfrecord_to_saved_model_served_by_the_command_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    need("PIL")  # the PNG codec
    need("google-crc32c")  # TFRecord and tensor-bundle checksums
    need("tensorboard")  # the SavedModel's MetaGraphDef messages
    r = load("images_tfrecord_serving").main(out=str(tmp_path), steps=150, n=300, verbose=False)
    assert r["cli_agrees"]  # graphflow run serves the SavedModel as the in-process loader does
    assert r["last_loss"] < r["first_loss"] / 3
    assert r["accuracy"] > 0.9  # on pictures drawn after training
    assert os.path.exists(os.path.join(r["export_dir"], "saved_model.pb"))
    assert os.path.exists(os.path.join(r["export_dir"], "variables", "variables.index"))
