"""tf.saved_model: graphflow's SavedModels load back in graphflow (same outputs, variables restored
from the tensor bundle, main op fed its assets), the loader's errors are TF1's (tag sets listed,
a missing directory, a corrupt file), ``graphflow show`` / ``run`` serve a signature; and against
TF1 both ways: TF's simple_save and builder output loads in graphflow, graphflow's in TF's loader,
which restores the variables through the saver subgraph graphflow writes."""
from __future__ import annotations

import os

import numpy as np
import pytest

import graphflow as gf
from graphflow.core.errors import DataLossError, NotFoundError
from graphflow.runtime.cli import main
from tests.optional import tf1

pytestmark = pytest.mark.needs("tensorboard")  # SavedModel files are protobuf messages TensorBoard ships

X = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], np.float32)
W = np.arange(6, dtype=np.float32).reshape(3, 2) / 4
B = np.array([0.5, -1.0], np.float32)
EXPECTED = np.maximum(X @ W + B, 0)


def _dense(tf: object, **var_kwargs: object) -> tuple[object, object]:
    """x -> relu(x @ w + b), built with ``tf`` (graphflow or TF1)."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(W, name="w", **var_kwargs)
    b = tf.Variable(B, name="b", **var_kwargs)
    return x, tf.nn.relu(tf.matmul(x, w) + b, name="y")


def _fed_check(asset: object, copied: str) -> object:
    """An init op setting the variable ``fed`` to 1 when it runs with ``asset`` fed ``copied``."""
    fed = gf.Variable(0, name="fed")
    return gf.group(fed.assign(gf.cast(gf.equal(asset, copied), gf.int32)), name="legacy_init")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A graphflow SavedModel: serve (simple_save's signature) and train (a second meta graph)."""
    d = str(tmp_path_factory.mktemp("sm") / "model")
    with gf.Graph().as_default():
        x, y = _dense(gf)
        with gf.Session(device="reference") as sess:
            sess.run(gf.global_variables_initializer())
            b = gf.saved_model.builder.SavedModelBuilder(d)
            sig = gf.saved_model.predict_signature_def({"x": x}, {"y": y})
            b.add_meta_graph_and_variables(sess, [gf.saved_model.SERVING],
                                           {gf.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY: sig})
            b.add_meta_graph([gf.saved_model.TRAINING, "extra"], {"scores": sig})
            path = b.save()
    assert path == os.path.join(d, "saved_model.pb").encode()
    return d


def _serve(export_dir: str, tags: list[str], key: str = "serving_default",
           scope: str | None = None) -> tuple[np.ndarray, list[str]]:
    with gf.Graph().as_default() as g, gf.Session(device="reference") as sess:
        mg = gf.saved_model.loader.load(sess, tags, export_dir, import_scope=scope)
        sig = mg.signature_def[key]
        x = gf.saved_model.utils.get_tensor_from_tensor_info(sig.inputs["x"], g, import_scope=scope)
        y = gf.saved_model.get_tensor_from_tensor_info(sig.outputs["y"], g, import_scope=scope)
        return sess.run(y, {x: X}), sorted(v.name for v in gf.global_variables())


def test_round_trip(exported: str) -> None:
    assert sorted(os.listdir(exported)) == ["saved_model.pb", "variables"]
    assert sorted(os.listdir(os.path.join(exported, "variables"))) == ["variables.data-00000-of-00001",
                                                                       "variables.index"]
    assert gf.saved_model.loader.maybe_saved_model_directory(exported)
    assert gf.saved_model.contains_saved_model(exported)
    y, names = _serve(exported, ["serve"])
    np.testing.assert_allclose(y, EXPECTED, rtol=1e-6)
    assert names == ["b:0", "w:0"]
    y, _ = _serve(exported, ["extra", "train"], "scores")  # a tag set is a set: any order
    np.testing.assert_allclose(y, EXPECTED, rtol=1e-6)
    y, names = _serve(exported, ["serve"], scope="imported")
    np.testing.assert_allclose(y, EXPECTED, rtol=1e-6)
    assert names == ["imported/b:0", "imported/w:0"]


def test_loader_errors(exported: str, tmp_path: os.PathLike[str]) -> None:
    with gf.Graph().as_default(), gf.Session(device="reference") as sess:
        with pytest.raises(RuntimeError, match=r"(?s)tags 'gpu' could not be found.*available_tags: "
                                               r"\[\['serve'\], \['extra', 'train'\]\]"):
            gf.saved_model.load(sess, [gf.saved_model.GPU], exported)
        with pytest.raises(NotFoundError, match="SavedModel file does not exist at") as e:
            gf.saved_model.loader.load(sess, ["serve"], str(tmp_path / "nowhere"))
        assert isinstance(e.value, OSError)  # what TF1 raises there
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "saved_model.pb").write_bytes(b"\x12\xff\xff\xff\x7f not a SavedModel")
        with pytest.raises(DataLossError, match="saved_model.pb: not a binary SavedModel"):
            gf.saved_model.loader.load(sess, ["serve"], str(bad))
    status = main(["run", str(bad), "--input", "x=[[1, 2, 3]]"])
    assert status == 2


def test_builder_rules(exported: str, tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(AssertionError, match="Export directory already exists, and isn't empty"):
        gf.saved_model.Builder(exported)
    b = gf.saved_model.builder.SavedModelBuilder(str(tmp_path / "new"))
    with pytest.raises(AssertionError, match="has not been saved yet"):
        b.add_meta_graph(["serve"])
    info = gf.saved_model.utils.build_tensor_info
    with gf.Graph().as_default():
        s = gf.placeholder(gf.string, [None], name="examples")
        f = gf.placeholder(gf.float32, [None], name="f")
        assert gf.saved_model.is_valid_signature(gf.saved_model.regression_signature_def(s, f))
        assert gf.saved_model.is_valid_signature(gf.saved_model.classification_signature_def(s, None, f))
        assert not gf.saved_model.is_valid_signature(gf.saved_model.build_signature_def({"x": info(f)}, {},
                                                                                        "tensorflow/serving/predict"))
        with pytest.raises(ValueError, match="Regression examples must be a string Tensor"):
            gf.saved_model.regression_signature_def(f, f)
        with pytest.raises(ValueError, match="Classification scores must be a float Tensor"):
            gf.saved_model.classification_signature_def(s, None, s)
        with pytest.raises(ValueError, match="Prediction inputs cannot be None or empty"):
            gf.saved_model.predict_signature_def({}, {"f": f})
        v = gf.Variable(3.0, name="v")
        with gf.Session(device="reference") as sess:
            sess.run(gf.saved_model.main_op.main_op())  # initializes the globals
            assert sess.run(v) == 3.0
            sess.run(v.assign(5.0))
            restore = gf.group(v.assign(4.0), name="restore")
            sess.run(gf.saved_model.main_op_with_restore(restore.name))  # initializes, then restores
            assert sess.run(v) == 4.0


def test_as_text_main_op_and_assets(tmp_path: os.PathLike[str]) -> None:
    """saved_model.pbtxt; the legacy init op runs after the restore, fed the copied asset's path."""
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\nb\n")
    d = str(tmp_path / "text")
    with gf.Graph().as_default():
        x, y = _dense(gf)
        asset = gf.constant(str(vocab), name="asset_path")
        gf.add_to_collection(gf.GraphKeys.ASSET_FILEPATHS, asset)
        init = _fed_check(asset, os.path.join(d, "assets", "vocab.txt"))
        with gf.Session(device="reference") as sess:
            sess.run(gf.global_variables_initializer())
            gf.saved_model.simple_save(sess, d, {"x": x}, {"y": y}, legacy_init_op=init)
    assert sorted(os.listdir(d)) == ["assets", "saved_model.pb", "variables"]
    assert (tmp_path / "text" / "assets" / "vocab.txt").read_text() == "a\nb\n"
    text = str(tmp_path / "text2")
    with gf.Graph().as_default(), gf.Session(device="reference") as sess:
        mg = gf.saved_model.load(sess, ["serve"], d)
        assert [a.filename for a in mg.asset_file_def] == ["vocab.txt"]
        assert sess.run("fed:0") == 1  # the init op saw the asset's path in the SavedModel
        b = gf.saved_model.Builder(text)
        b.add_meta_graph_and_variables(sess, ["serve"], dict(mg.signature_def))
        assert b.save(as_text=True).endswith(b"saved_model.pbtxt")
    assert open(os.path.join(text, "saved_model.pbtxt")).read().startswith("saved_model_schema_version: 1\n")
    y, _ = _serve(text, ["serve"])
    np.testing.assert_allclose(y, EXPECTED, rtol=1e-6)


def test_cli_show_and_run(exported: str, tmp_path: os.PathLike[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", exported]) == 0
    out = capsys.readouterr().out
    assert "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:" in out
    assert "inputs['x'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 3)\n        name: x:0" in out
    assert "signature_def['scores']" in out and "Method name is: tensorflow/serving/predict" in out
    np.save(tmp_path / "x.npy", X)
    out_dir = str(tmp_path / "out")
    assert main(["run", exported, "--input", f"x={tmp_path / 'x.npy'}", "--output_dir", out_dir]) == 0
    assert capsys.readouterr().out.startswith("y: float32 (2, 2)")
    np.testing.assert_allclose(np.load(os.path.join(out_dir, "y.npy")), EXPECTED, rtol=1e-6)
    assert main(["run", exported, "--input", "x=[[1, 2, 3]]", "--output_dir", out_dir]) == 2
    assert "add --overwrite" in capsys.readouterr().err
    assert main(["run", exported, "--tag", "train,extra", "--signature", "nope", "--input", "x=[[1, 2, 3]]"]) == 2
    assert "has signatures ['scores']" in capsys.readouterr().err
    assert main(["run", exported, "--input", "z=[[1, 2, 3]]"]) == 2
    assert "has no input 'z'; its inputs: ['x']" in capsys.readouterr().err
    assert main(["run", exported, "--input", "x=[[1.0, 2.0, 3.0]]"]) == 0  # a Python literal
    assert capsys.readouterr().out.strip() == \
        f"y: float32 (1, 2) {np.array2string(EXPECTED[0], precision=5, separator=', ')}"


# ---- against TF1 ----------------------------------------------------------------------------------

def _tf_serve(tf: object, export_dir: str, tags: list[str], key: str = "serving_default") -> np.ndarray:
    with tf.Graph().as_default(), tf.Session() as sess:
        mg = tf.saved_model.loader.load(sess, tags, export_dir)
        sig = mg.signature_def[key]
        return sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: X})


@pytest.mark.needs("tensorflow")
def test_names_match_tf1() -> None:
    tf = tf1()
    tf2_only = {"Asset", "SaveOptions", "experimental", "load_v2", "save"}  # TF 2's object-based SavedModel
    for module in ("", "builder", "constants", "loader", "main_op", "signature_constants", "signature_def_utils",
                   "tag_constants", "utils"):
        theirs = tf.saved_model if not module else getattr(tf.saved_model, module)
        ours = gf.saved_model if not module else getattr(gf.saved_model, module)
        names = {n for n in dir(theirs) if not n.startswith("_")} - tf2_only - {"MethodNameUpdater"}
        assert names <= set(dir(ours)), (module, sorted(names - set(dir(ours))))
        for n in names:
            if isinstance(getattr(theirs, n), (str, int)):
                assert getattr(ours, n) == getattr(theirs, n), n
    assert gf.saved_model.load is gf.saved_model.loader.load and gf.saved_model.Builder is \
        gf.saved_model.builder.SavedModelBuilder


@pytest.mark.needs("tensorflow")
def test_tf_saved_models_load_in_graphflow(tmp_path: os.PathLike[str]) -> None:
    tf = tf1()
    simple, built = str(tmp_path / "simple"), str(tmp_path / "built")
    with tf.Graph().as_default():
        x, y = _dense(tf, use_resource=False)  # TF 1.15's variables
        counter = tf.Variable(0.0, name="counter", use_resource=False)
        vocab = tmp_path / "vocab.txt"
        vocab.write_text("a\n")
        asset = tf.constant(str(vocab), name="asset_path")
        fed = tf.Variable(0, name="fed", use_resource=False)
        copied = os.path.join(built, "assets", "vocab.txt")
        init = tf.group(counter.assign_add(1.0), fed.assign(tf.cast(tf.equal(asset, copied), tf.int32)))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(counter.assign(7.0))
            tf.saved_model.simple_save(sess, simple, {"x": x}, {"y": y})
            b = tf.saved_model.builder.SavedModelBuilder(built)
            sig = tf.saved_model.predict_signature_def({"x": x}, {"y": y})
            b.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig}, assets_collection=[asset],
                                           legacy_init_op=init)
            b.add_meta_graph(["train"], {"scores": sig})
            b.save(as_text=True)
    resource = str(tmp_path / "resource")
    with tf.Graph().as_default():
        x, y = _dense(tf, use_resource=True)  # TF 2's tf.compat.v1.Variable: VarHandleOp, ReadVariableOp...
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.saved_model.simple_save(sess, resource, {"x": x}, {"y": y})
    y, names = _serve(resource, ["serve"])
    np.testing.assert_allclose(y, _tf_serve(tf, resource, ["serve"]), rtol=1e-6)
    assert names == ["b:0", "w:0"]
    tf_y = _tf_serve(tf, simple, ["serve"])
    for d, tags, key in ((simple, ["serve"], "serving_default"), (built, ["serve"], "serving_default"),
                         (built, ["train"], "scores")):
        y, names = _serve(d, tags, key)
        np.testing.assert_allclose(y, tf_y, rtol=1e-6)
        assert names == ["b:0", "counter:0", "fed:0", "w:0"]
    with gf.Graph().as_default(), gf.Session(device="reference") as sess:
        gf.saved_model.load(sess, ["serve"], built)
        assert sess.run("counter:0") == 8.0  # restored 7, then the legacy init op's += 1
        assert sess.run("fed:0") == 1  # ... fed the asset's path in the SavedModel


@pytest.mark.needs("tensorflow")
def test_graphflow_saved_models_load_in_tf(exported: str, tmp_path: os.PathLike[str]) -> None:
    """TF's loader restores the variables by running graphflow's saver subgraph, and runs the main
    op fed the assets; TF's Saver can save through the same subgraph."""
    tf = tf1()
    np.testing.assert_allclose(_tf_serve(tf, exported, ["serve"]), EXPECTED, rtol=1e-6)
    np.testing.assert_allclose(_tf_serve(tf, exported, ["train", "extra"], "scores"), EXPECTED, rtol=1e-6)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("a\n")
    d = str(tmp_path / "text")
    with gf.Graph().as_default():
        x, y = _dense(gf)
        asset = gf.constant(str(vocab), name="asset_path")
        gf.add_to_collection(gf.GraphKeys.ASSET_FILEPATHS, asset)
        init = _fed_check(asset, os.path.join(d, "assets", "vocab.txt"))
        with gf.Session(device="reference") as sess:
            sess.run(gf.global_variables_initializer())
            b = gf.saved_model.Builder(d)
            b.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": gf.saved_model.predict_signature_def(
                {"x": x}, {"y": y})}, assets_collection=[asset], main_op=init)
            b.save(as_text=True)
    with tf.Graph().as_default(), tf.Session() as sess:
        mg = tf.saved_model.loader.load(sess, ["serve"], d)
        sig = mg.signature_def["serving_default"]
        np.testing.assert_allclose(sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: X}), EXPECTED, rtol=1e-6)
        assert sess.run("fed:0") == 1
        saver = tf.train.Saver(saver_def=mg.saver_def)
        (tmp_path / "ckpt").mkdir()
        prefix = saver.save(sess, str(tmp_path / "ckpt" / "model"), write_meta_graph=False)
    np.testing.assert_allclose(tf.train.load_variable(prefix, "w"), W)
