"""Write docs/tf1_coverage.md: which public TF1 names (tensorflow.compat.v1 of the installed
TensorFlow) graphflow provides, per module, and which it does not.

    python tools/tf1_coverage.py            # needs tensorflow installed
"""
from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

MODULES = ["", "nn", "train", "losses", "math", "linalg", "random", "strings", "metrics", "debugging",
           "layers", "initializers", "summary", "image", "test", "io", "data", "sparse", "ragged", "saved_model",
           "keras", "estimator", "feature_column", "distributions", "logging", "gfile", "app", "flags",
           "graph_util", "profiler", "lite", "compat", "dtypes", "errors", "bitwise"]


# Why a missing name is missing, where there is a reason other than "not built yet": (module,
# regular expression over the name, reason). The first match wins; names no row matches are listed
# as not built yet.
_PROTO_ANY = "protobuf messages of any descriptor decoded in the graph: not built (tf.train.Example's are)"
_STATE_SAVER = "needs contrib's SequenceQueueingStateSaver (a queue of per-sequence RNN states): not built"
_I25 = "issue 25: tf.estimator and tf.keras in graph mode"
_CLUSTER = ("TF's gRPC cluster runtime (servers, parameter servers): graphflow distributes with MPI "
            "(docs/distributed.md)")
_COMPLEX = "complex dtypes: graphflow has none"
_QUANT = "quantized dtypes and ops: graphflow has none"
_DTYPES = "bfloat16, unsigned 16-64-bit, resource and variant dtypes: graphflow has none"
_TF2 = "TF2 or eager-mode API: graphflow is TF1's graph mode"
_LATER = "added to compat.v1 after TF 1.15: not TF1's"
REASONS = [
    ("", r"(ConditionalAccumulator.*|SparseConditionalAccumulator)$",
     "gradient accumulators of synchronous replicas on parameter servers: " + _CLUSTER),
    ("", r"LMDBReader$", "an LMDB database reader: not built (the other readers are)"),
    ("", r"decode_json_example$", _PROTO_ANY),
    ("", r"extract_volume_patches$", "3-D patches: not built (extract_image_patches is)"),
    ("", r"(angle|complex(64|128)?|conj|real|imag|i?fft[23]?d?|to_complex(64|128))$", _COMPLEX),
    ("", r"(QUANTIZED_DTYPES|q(u)?int(8|16|32)|quantize(_v2)?|quantized_concat|dequantize|fake_quant_.*)$", _QUANT),
    ("", r"(bfloat16|to_bfloat16|uint(16|32|64)|resource|variant)$", _DTYPES),
    ("", r"(GradientTape|Module|TypeSpec|.*Spec|type_spec_from_value|function|wrap_function|init_scope|"
         r"variable_creator_scope|is_symbolic_tensor|nondifferentiable_batch_function)$", _TF2),
    ("", r"(approx_top_k|random_index_shuffle|(i|r|ir)?fftnd|ragged_fill_empty_rows(_grad)?|check_pinned|"
         r"conv2d_backprop_(filter|input)_v2|conv)$", _LATER),
    ("", r"(serialize_sparse|serialize_many_sparse|deserialize_many_sparse)$",
     "sparse tensors serialized to strings (to pass through queues): not built"),
    ("", r"(COMPILER_VERSION|CXX11_ABI_FLAG|CXX_VERSION|GIT_VERSION|MONOLITHIC_BUILD|VERSION|GRAPH_DEF_VERSION.*)$",
     "constants of TensorFlow's binary build"),
    ("", r"load_(file_system_library|library|op_library)$",
     "TF's plug-in libraries (shared objects built for TF's runtime)"),
    ("", r"(create_partitioned_variables|.*_partitioner)$",
     "partitioned variables shard across parameter servers: " + _CLUSTER),
    ("nn", r"quantized_.*", _QUANT),
    ("nn", r"static_state_saving_rnn", _STATE_SAVER),
    ("train", r"(ClusterDef|ClusterSpec|JobDef|Server|ServerDef|replica_device_setter|SyncReplicasOptimizer)$",
     _CLUSTER),
    ("train", r"(Checkpoint|CheckpointManager|CheckpointOptions|experimental)$", _TF2),
    ("train", r"sdca_.*", _I25),
    ("train", r"do_quantize_training_on_graphdef", _QUANT),
    ("train", r"VocabInfo", "warm_start's vocabulary remapping is not supported (docs/differences.md)"),
    ("sparse", r"SparseConditionalAccumulator", "gradient accumulators of synchronous replicas: " + _CLUSTER),
    ("ragged", r"cross(_hashed)?", "feature crosses (as sparse.cross and cross_hashed, not built): "
                                   "hashed string products"),
    ("math", r"(angle|conj|imag|real)$", _COMPLEX),
    ("linalg", r"logm", "complex dtypes: graphflow has none, and TF's logm takes complex64 and complex128 "
                        "matrices only (float input raises TypeError)"),
    ("dtypes", r"(QUANTIZED_DTYPES|q(u)?int(8|16|32))$", _QUANT),
    ("dtypes", r"(bfloat16|uint(16|32|64)|resource|variant)$", _DTYPES),
    ("dtypes", r"complex(64|128)?$", _COMPLEX),
    ("image", r"(decode_jxl|decode_webp)$", _LATER),
    ("image", r"(combined_non_max_suppression|extract_glimpse|generate_bounding_box_proposals)$",
     "detection ops beyond non_max_suppression: not built"),
    ("io", r"(decode_jxl|decode_webp|RaggedFeature)$", _LATER),
    ("io", r"(decode_json_example|decode_proto|encode_proto)$", _PROTO_ANY),
    ("io", r"(serialize_sparse|serialize_many_sparse|deserialize_many_sparse)$",
     "sparse tensors serialized to strings (to pass through queues): not built"),
    ("saved_model", r"(Asset|SaveOptions|experimental|load_v2|save)$", _TF2),
    ("keras", r".*", _I25), ("estimator", r".*", _I25), ("feature_column", r".*", _I25),
    ("lite", r".*", "TensorFlow Lite's converter and interpreter: graphflow exports ONNX and GraphDef instead"),
]


# tf.contrib is in no TensorFlow 2 release: its names as TF 1.15's API documentation lists them
# (tensorflow.org/versions/r1.15/api_docs/python/tf/contrib/...)
CONTRIB = {
    "contrib.layers": """GDN OPTIMIZER_CLS_NAMES OPTIMIZER_SUMMARIES RevBlock SPARSE_FEATURE_CROSS_DEFAULT_HASH_KEY
        apply_regularization avg_pool2d avg_pool3d batch_norm bias_add bow_encoder bucketized_column
        check_feature_columns conv1d conv2d conv2d_in_plane conv2d_transpose conv3d conv3d_transpose convolution
        convolution1d convolution2d convolution2d_in_plane convolution2d_transpose convolution3d
        convolution3d_transpose create_feature_spec_for_parsing crossed_column dense_to_sparse dropout elu
        embed_sequence embedding_column embedding_lookup_unique feature_column flatten fully_connected gdn
        group_norm images_to_sequence infer_real_valued_columns input_from_feature_columns instance_norm
        joint_weighted_sum_from_feature_columns l1_l2_regularizer l1_regularizer l2_regularizer layer_norm
        legacy_fully_connected legacy_linear legacy_relu linear make_place_holder_tensors_for_base_features
        max_pool2d max_pool3d maxout multi_class_target one_hot_column one_hot_encoding optimize_loss
        parse_feature_columns_from_examples parse_feature_columns_from_sequence_examples real_valued_column
        recompute_grad regression_target relu relu6 repeat rev_block safe_embedding_lookup_sparse
        scattered_embedding_column separable_conv2d separable_convolution2d sequence_input_from_feature_columns
        sequence_to_images shared_embedding_columns softmax sparse_column_with_hash_bucket
        sparse_column_with_integerized_feature sparse_column_with_keys sparse_column_with_vocabulary_file
        spatial_softmax stack sum_regularizer summaries summarize_activation summarize_activations
        summarize_collection summarize_tensor summarize_tensors transform_features unit_norm
        variance_scaling_initializer weighted_sparse_column weighted_sum_from_feature_columns xavier_initializer
        xavier_initializer_conv2d""".split(),
    "contrib.framework": """BoundedTensorSpec CriticalSection RecordInput TensorSpec VariableDeviceChooser
        add_arg_scope add_model_variable arg_scope arg_scoped_arguments argsort assert_global_step
        assert_or_get_global_step assert_same_float_dtype assert_scalar assert_scalar_int assign_from_checkpoint
        assign_from_checkpoint_fn assign_from_values assign_from_values_fn convert_to_tensor_or_sparse_tensor
        create_global_step current_arg_scope deprecated deprecated_arg_values deprecated_args filter_variables
        fuse_op get_graph_from_inputs get_global_step get_local_variables get_model_variables get_name_scope
        get_or_create_global_step get_placeholders get_trainable_variables get_unique_variable
        get_variable_full_name get_variables get_variables_by_name get_variables_by_suffix
        get_variables_to_restore global_variable has_arg_scope init_from_checkpoint is_tensor list_variables
        load_and_remap_matrix_initializer load_checkpoint load_embedding_initializer
        load_linear_multiclass_bias_initializer load_variable load_variable_slot_initializer local_variable
        model_variable nest prepend_name_scope py_func reduce_sum_n remove_squeezable_dimensions smart_case
        smart_cond smart_constant_value sort strip_name_scope variable with_same_shape with_shape
        zero_initializer""".split(),
    "contrib.rnn": """AttentionCellWrapper BasicLSTMCell BasicRNNCell BidirectionalGridLSTMCell CompiledWrapper
        Conv1DLSTMCell Conv2DLSTMCell Conv3DLSTMCell ConvLSTMCell CoupledInputForgetGateLSTMCell DeviceWrapper
        DropoutWrapper EmbeddingWrapper FusedRNNCell FusedRNNCellAdaptor GLSTMCell GRUBlockCell GRUBlockCellV2
        GRUCell GridLSTMCell HighwayWrapper IndRNNCell IndyGRUCell IndyLSTMCell InputProjectionWrapper
        IntersectionRNNCell LSTMBlockCell LSTMBlockFusedCell LSTMBlockWrapper LSTMCell LSTMStateTuple
        LayerNormBasicLSTMCell LayerRNNCell MultiRNNCell NASCell OutputProjectionWrapper PhasedLSTMCell RNNCell
        ResidualWrapper SRUCell TimeFreqLSTMCell TimeReversedFusedRNN UGRNNCell best_effort_input_batch_size
        stack_bidirectional_dynamic_rnn stack_bidirectional_rnn static_bidirectional_rnn static_rnn
        static_state_saving_rnn transpose_batch_time""".split(),
    "contrib.legacy_seq2seq": """attention_decoder basic_rnn_seq2seq embedding_attention_decoder
        embedding_attention_seq2seq embedding_rnn_decoder embedding_rnn_seq2seq embedding_tied_rnn_seq2seq
        model_with_buckets one2many_rnn_seq2seq rnn_decoder sequence_loss sequence_loss_by_example
        tied_rnn_seq2seq""".split(),
    "contrib.distributions": """Autoregressive BatchReshape Bernoulli Beta BetaWithSoftplusConcentration Binomial
        Categorical Cauchy Chi2 Chi2WithAbsDf ConditionalTransformedDistribution Deterministic Dirichlet
        DirichletMultinomial Distribution ExpRelaxedOneHotCategorical Exponential ExponentialWithSoftplusRate
        FULLY_REPARAMETERIZED Gamma GammaGamma GammaWithSoftplusConcentrationRate Geometric HalfNormal Independent
        InverseGamma InverseGammaWithSoftplusConcentrationRate Kumaraswamy Laplace LaplaceWithSoftplusScale Logistic
        Mixture MixtureSameFamily Multinomial MultivariateNormalDiag MultivariateNormalDiagPlusLowRank
        MultivariateNormalDiagWithSoftplusScale MultivariateNormalFullCovariance MultivariateNormalLinearOperator
        MultivariateNormalTriL NOT_REPARAMETERIZED NegativeBinomial Normal NormalWithSoftplusScale OneHotCategorical
        Poisson PoissonLogNormalQuadratureCompound QuantizedDistribution RegisterKL RelaxedBernoulli
        RelaxedOneHotCategorical ReparameterizationType SinhArcsinh StudentT StudentTWithAbsDfSoftplusScale
        TransformedDistribution Uniform VectorDeterministic VectorDiffeomixture VectorExponentialDiag
        VectorLaplaceDiag VectorSinhArcsinhDiag WishartCholesky WishartFull assign_log_moving_mean_exp
        assign_moving_mean_variance auto_correlation bijectors fill_triangular fill_triangular_inverse kl_divergence
        matrix_diag_transform moving_mean_variance normal_conjugates_known_scale_posterior
        normal_conjugates_known_scale_predictive percentile quadrature_scheme_lognormal_gauss_hermite
        quadrature_scheme_lognormal_quantiles quadrature_scheme_softmaxnormal_gauss_hermite
        quadrature_scheme_softmaxnormal_quantiles reduce_weighted_logsumexp softplus_and_shift
        tril_with_diag_softplus_and_shift""".split(),
}
_FEATURES = ("tf.contrib.layers' feature columns: tf.feature_column's world, with tf.estimator (issue 25)")
REASONS += [
    ("contrib.layers", r"(feature_column|.*_column(s)?|.*_columns|sparse_column_with_.*|check_feature_columns|"
                       r".*feature_columns.*|"
                       r"create_feature_spec_for_parsing|infer_real_valued_columns|transform_features|"
                       r"make_place_holder_tensors_for_base_features|SPARSE_FEATURE_CROSS_DEFAULT_HASH_KEY|"
                       r"multi_class_target|regression_target)$", _FEATURES),
    ("contrib.framework", r"(BoundedTensorSpec|TensorSpec)$", _TF2),
    ("contrib.rnn", r"static_state_saving_rnn", _STATE_SAVER),
    ("contrib.rnn", r"CompiledWrapper", "XLA's JIT scope: graphflow compiles every graph whole (docs/architecture.md)"),
    ("contrib.distributions", r"(bijectors|Autoregressive|ConditionalTransformedDistribution|TransformedDistribution|"
                              r"QuantizedDistribution|.*SinhArcsinh.*|VectorDiffeomixture|VectorExponentialDiag|"
                              r"VectorLaplaceDiag|PoissonLogNormalQuadratureCompound|quadrature_scheme_.*|"
                              r"ExpRelaxedOneHotCategorical|RelaxedBernoulli|RelaxedOneHotCategorical)$",
     "bijectors and the distributions built on them (transformed, quadrature compounds, relaxed categoricals): "
     "tf.contrib.distributions' bijector framework is not built (tf.distributions' families are)"),
    ("contrib.framework", r"RecordInput$", "a multi-threaded shuffling record reader of TF's runtime: "
                                           "not built (TFRecordDataset and TFRecordReader are)"),
    ("contrib.framework", r"fuse_op$", "TF's graph rewriting into fused FunctionDefs: graphflow's compiler fuses "
                                       "every graph (docs/architecture.md)"),
    ("contrib.framework", r"load_(and_remap_matrix|embedding|linear_multiclass_bias|variable_slot)_initializer$",
     "warm_start's vocabulary remapping is not supported (docs/differences.md)"),
]

def _reason(module: str, name: str) -> str | None:
    return next((why for mod, pattern, why in REASONS if mod == module and re.fullmatch(pattern, name)), None)


def _public(mod: object) -> list[str]:
    return sorted(n for n in dir(mod) if not n.startswith("_"))


def _kind(obj: object) -> str:
    return "module" if inspect.ismodule(obj) else "class" if inspect.isclass(obj) else "function" \
        if callable(obj) else "value"


def _is_module(mod: object, n: str) -> bool:
    try:
        return inspect.ismodule(getattr(mod, n, None))
    except Exception:  # noqa: BLE001
        return True


def main() -> None:
    import os
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.compat.v1.layers and rnn cells come from tf-keras
    import tensorflow.compat.v1 as tf

    import graphflow as gf
    lines = ["# TF1 coverage", "",
             "Generated by `python tools/tf1_coverage.py` against `tensorflow.compat.v1` of TensorFlow "
             f"{tf.__version__ if hasattr(tf, '__version__') else ''}. A name counts as provided when "
             "`graphflow.<module>.<name>` exists; behaviour is what the tests check "
             "(`tests/test_peers.py`, `tests/test_everyday_ops.py`, `tests/test_control_flow.py`, ...). "
             "Where graphflow differs on purpose: `docs/differences.md`. A missing name is listed with the reason "
             "it is missing where there is one other than not being built yet (`REASONS` in the tool).", ""]
    summary = ["| module | TF1 names | in graphflow | missing | of which with a reason |",
               "| --- | --- | --- | --- | --- |"]
    sections = []
    total = have_total = reasoned_total = 0
    modules: list[tuple[str, list[str], object]] = []
    for name in MODULES:
        try:
            tmod = tf if not name else getattr(tf, name, None)
            if tmod is not None:
                _public(tmod)
        except Exception:  # noqa: BLE001 - a lazily loaded TF module that fails to import here
            tmod = None
        if tmod is None:
            continue
        names = [n for n in _public(tmod) if not (not name and _is_module(tmod, n))]
        modules.append((name, names, gf if not name else getattr(gf, name, None)))
    for name, names in CONTRIB.items():
        gmod: object = gf
        for part in name.split("."):
            gmod = getattr(gmod, part, None)
        modules.append((name, sorted(names), gmod))
    for name, names, gmod in modules:
        have = [n for n in names if gmod is not None and hasattr(gmod, n)]
        missing = [n for n in names if n not in have]
        reasons: dict[str, list[str]] = {}
        for n in missing:
            why = _reason(name, n)
            if why is not None:
                reasons.setdefault(why, []).append(n)
        reasoned = sum(len(v) for v in reasons.values())
        not_yet = [n for n in missing if _reason(name, n) is None]
        total += len(names)
        have_total += len(have)
        reasoned_total += reasoned
        label = f"tf.{name}" if name else "tf"
        summary.append(f"| `{label}` | {len(names)} | {len(have)} | {len(missing)} | {reasoned} |")
        sections += [f"## `{label}`", "", f"Provided ({len(have)}): " + (", ".join(f"`{n}`" for n in have) or "none"),
                     "", f"Missing, not built yet ({len(not_yet)}): "
                     + (", ".join(f"`{n}`" for n in not_yet) or "none"), ""]
        for why, ns in reasons.items():
            sections += [f"Missing ({len(ns)}), {why}: " + ", ".join(f"`{n}`" for n in ns), ""]
    summary.append(f"| all | {total} | {have_total} | {total - have_total} | {reasoned_total} |")
    out = Path(__file__).resolve().parent.parent / "docs" / "tf1_coverage.md"
    out.write_text("\n".join(lines + summary + [""] + sections))
    print(f"wrote {out}: {have_total} of {total} names")


if __name__ == "__main__":
    sys.exit(main())
