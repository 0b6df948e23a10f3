"""The op enum and the registry: one row per primitive holding its whole story.

A row gives the shape rule, the dtype rule, the numpy reference (the test oracle), the gradient
rule (a function building graph nodes) and the per-target kernels. Elementwise ops give a scalar
template that every target's fused loops share; other ops give one emitter per target.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from graphflow.core.dtypes import DType
    from graphflow.core.shapes import TensorShape


class Op(enum.Enum):
    # sources and state
    PLACEHOLDER = "Placeholder"
    PLACEHOLDER_WITH_DEFAULT = "PlaceholderWithDefault"
    CONST = "Const"
    VARIABLE = "VariableV2"
    ASSIGN = "Assign"
    NO_OP = "NoOp"
    RANDOM = "Random"
    STATELESS_RANDOM = "StatelessRandom"
    FILL = "Fill"
    RANGE = "Range"
    # elementwise unary
    IDENTITY = "Identity"
    STOP_GRADIENT = "StopGradient"
    CAST = "Cast"
    BITCAST = "Bitcast"
    NEG = "Neg"
    ABS = "Abs"
    SIGN = "Sign"
    EXP = "Exp"
    LOG = "Log"
    LOG1P = "Log1p"
    SQRT = "Sqrt"
    RSQRT = "Rsqrt"
    SQUARE = "Square"
    RECIPROCAL = "Reciprocal"
    SIN = "Sin"
    COS = "Cos"
    TANH = "Tanh"
    SIGMOID = "Sigmoid"
    FLOOR = "Floor"
    CEIL = "Ceil"
    RINT = "Rint"
    TAN = "Tan"
    ASIN = "Asin"
    ACOS = "Acos"
    ATAN = "Atan"
    SINH = "Sinh"
    COSH = "Cosh"
    ASINH = "Asinh"
    ACOSH = "Acosh"
    ATANH = "Atanh"
    ERF = "Erf"
    ERFC = "Erfc"
    LGAMMA = "Lgamma"
    DIGAMMA = "Digamma"
    TRIGAMMA = "Polygamma1"
    ERFINV = "Erfinv"
    NDTRI = "Ndtri"
    BESSEL_I0E = "BesselI0e"
    BESSEL_I1E = "BesselI1e"
    IGAMMA = "Igamma"
    IGAMMAC = "Igammac"
    IGAMMA_GRAD_A = "IgammaGradA"
    BETAINC = "Betainc"
    ZETA = "Zeta"
    NEXTAFTER = "NextAfter"
    EXPM1 = "Expm1"
    IS_FINITE = "IsFinite"
    IS_NAN = "IsNan"
    IS_INF = "IsInf"
    LOGICAL_NOT = "LogicalNot"
    INVERT = "Invert"
    RELU = "Relu"
    SOFTSIGN = "Softsign"
    # elementwise binary
    ADD = "Add"
    SUB = "Sub"
    MUL = "Mul"
    DIV = "RealDiv"
    FLOORDIV = "FloorDiv"
    MOD = "FloorMod"
    TRUNCATEDIV = "TruncateDiv"
    TRUNCATEMOD = "TruncateMod"
    POW = "Pow"
    MAXIMUM = "Maximum"
    MINIMUM = "Minimum"
    EQUAL = "Equal"
    NOT_EQUAL = "NotEqual"
    LESS = "Less"
    LESS_EQUAL = "LessEqual"
    GREATER = "Greater"
    GREATER_EQUAL = "GreaterEqual"
    BITWISE_AND = "BitwiseAnd"
    BITWISE_OR = "BitwiseOr"
    BITWISE_XOR = "BitwiseXor"
    LEFT_SHIFT = "LeftShift"
    RIGHT_SHIFT = "RightShift"
    LOGICAL_AND = "LogicalAnd"
    LOGICAL_OR = "LogicalOr"
    # elementwise ternary
    SELECT = "Select"
    # broadcasting
    BROADCAST_TO = "BroadcastTo"
    SUM_TO = "SumTo"
    KEEP_DIMS = "KeepDims"
    TOP_K_INDICES = "TopKIndices"
    UNIQUE = "Unique"
    # reductions
    REDUCE_SUM = "Sum"
    REDUCE_MEAN = "Mean"
    REDUCE_MAX = "Max"
    REDUCE_MIN = "Min"
    REDUCE_PROD = "Prod"
    REDUCE_ANY = "Any"
    REDUCE_ALL = "All"
    ARGMAX = "ArgMax"
    ARGMIN = "ArgMin"
    # linear algebra
    MATMUL = "MatMul"
    MATRIX_INVERSE = "MatrixInverse"
    MATRIX_DETERMINANT = "MatrixDeterminant"
    CHOLESKY = "Cholesky"
    MATRIX_SOLVE = "MatrixSolve"
    SVD = "Svd"
    QR = "Qr"
    SELF_ADJOINT_EIG = "SelfAdjointEigV2"
    LOG_MATRIX_DETERMINANT = "LogMatrixDeterminant"
    LU = "Lu"
    MATRIX_EXPONENTIAL = "MatrixExponential"
    MATRIX_SQUARE_ROOT = "MatrixSquareRoot"
    CUMPROD = "Cumprod"
    # shape and data movement
    RESHAPE = "Reshape"
    TRANSPOSE = "Transpose"
    CONCAT = "ConcatV2"
    SLICE = "StridedSlice"
    SLICE_GRAD = "StridedSliceGrad"
    PAD = "Pad"
    TILE = "Tile"
    GATHER = "GatherV2"
    GATHER_ND = "GatherNd"
    SCATTER_ADD = "UnsortedSegmentSum"
    SCATTER_ND_ADD = "ScatterNd"
    ONE_HOT = "OneHot"
    SHAPE = "Shape"
    BOOLEAN_MASK = "BooleanMask"
    # neural-network primitives
    CONV2D = "Conv2D"
    CONV2D_BACKPROP_INPUT = "Conv2DBackpropInput"
    CONV2D_BACKPROP_FILTER = "Conv2DBackpropFilter"
    MAX_POOL = "MaxPool"
    MAX_POOL_GRAD = "MaxPoolGrad"
    AVG_POOL = "AvgPool"
    AVG_POOL_GRAD = "AvgPoolGrad"
    SOFTMAX_XENT = "SoftmaxCrossEntropyWithLogits"
    SOFTMAX_XENT_GRAD = "SoftmaxCrossEntropyGrad"
    # run-time checks (identity on the value; raise when the check fails)
    CHECK = "Check"
    # host ops: strings and printing, evaluated by their numpy reference beside the compiled call
    AS_STRING = "AsString"
    STRING_JOIN = "StringJoin"
    REDUCE_JOIN = "ReduceJoin"
    STRING_MAP = "StringMap"
    STRING_TO_HASH_BUCKET = "StringToHashBucket"
    FINGERPRINT = "Fingerprint"
    REGEX_REPLACE = "RegexReplace"
    REGEX_FULL_MATCH = "RegexFullMatch"
    ENCODE_BASE64 = "EncodeBase64"
    DECODE_BASE64 = "DecodeBase64"
    STRING_SPLIT = "StringSplitV2"
    UNICODE_TRANSCODE = "UnicodeTranscode"
    UNICODE_ENCODE = "UnicodeEncode"
    STRING_FORMAT = "StringFormat"
    UNSORTED_SEGMENT_JOIN = "UnsortedSegmentJoin"
    STRING_NGRAMS = "StringNGrams"
    PARSE_EXAMPLE = "ParseExample"  # tf.train.Example protos -> dense and sparse features
    PARSE_SEQUENCE_EXAMPLE = "ParseSingleSequenceExample"
    DECODE_RAW = "DecodeRaw"
    READ_FILE = "ReadFile"
    WRITE_FILE = "WriteFile"
    SERIALIZE_TENSOR = "SerializeTensor"
    PARSE_TENSOR = "ParseTensor"
    PRINT = "Print"
    PY_FUNC = "PyFunc"
    IS_INITIALIZED = "IsVariableInitialized"
    GET_SESSION_HANDLE = "GetSessionHandle"  # the session keeps its input, the handle names it
    GET_SESSION_TENSOR = "GetSessionTensor"
    DELETE_SESSION_TENSOR = "DeleteSessionTensor"
    SCALAR_SUMMARY = "ScalarSummary"
    HISTOGRAM_SUMMARY = "HistogramSummary"
    IMAGE_SUMMARY = "ImageSummary"
    AUDIO_SUMMARY = "AudioSummaryV2"
    TEXT_SUMMARY = "TensorSummaryV2"
    MERGE_SUMMARY = "MergeSummary"
    # collectives across the ranks of an MPI job (graphflow.distributed): Python calls in the glue
    ALLREDUCE = "MPIAllreduce"
    ALLGATHER = "MPIAllgather"
    BROADCAST = "MPIBroadcast"
    # control flow (their bodies are FuncGraphs, lowered as sub-programs)
    COND = "If"
    WHILE = "While"
    # built when the program is specialised (an op needing a rank the graph does not know yet)
    DEFERRED = "Deferred"
    # user-defined gradients
    CUSTOM_GRADIENT = "CustomGradient"
    # compiler-made
    FUSED = "Fused"


class Kind(enum.Enum):
    ELEMENTWISE = "elementwise"  # scalar template; fusable
    REDUCE = "reduce"  # reduction over axes; may absorb an elementwise producer
    OTHER = "other"  # its own emitter per target
    SOURCE = "source"  # no inputs computed in the kernel (feeds, variables, constants)
    HOST = "host"  # evaluated on the host by its numpy reference (strings, printing)


ShapeRule = Callable[[Sequence["TensorShape"], Any], Sequence["TensorShape"]]
DTypeRule = Callable[[Sequence["DType"], Any], Sequence["DType"]]


@dataclass(frozen=True)
class OpDef:
    """Everything about one primitive. ``vjp`` is None for ops with no gradient rule;
    ``no_gradient`` marks ops whose gradient is defined to be zero (comparisons, argmax...)."""

    op: Op
    kind: Kind
    shape_rule: ShapeRule
    dtype_rule: DTypeRule
    reference: Callable[..., Any]
    vjp: Callable[..., Any] | None = None
    no_gradient: bool = False
    scalar: Callable[..., str] | None = None  # elementwise: (attrs, in_dtypes, out_dtype, *args) -> expr
    # elementwise: (attrs, in_dtypes, out_dtype, *args) -> (condition that must hold, message) or None;
    # checked per element before ``scalar`` (integer division by zero)
    guard: Callable[..., tuple[str, str] | None] | None = None
    # target -> its rule: the CPU's emitter, the CUDA target's ``CudaRule``, or ``NotOnTarget``
    kernels: dict[str, Any] = field(default_factory=dict)
    stateful: bool = False  # never folded or merged (random, assign)
    num_outputs: int = 1
    # its one-to-one translations in graph files (None: a rule of graphdef/ or onnx/ translates it,
    # or nothing does): the TF1 op with the same name in GraphDefs (same inputs, a "T" attribute),
    # written by the exporter and read back by the importer, and the ONNX operator it is
    graphdef: str | None = None
    onnx: str | None = None


_ROWS: dict[Op, OpDef] = {}


def register(row: OpDef) -> OpDef:
    if row.op in _ROWS:
        raise ValueError(f"op {row.op.name} registered twice")
    _ROWS[row.op] = row
    return row


def get(op: Op) -> OpDef:
    try:
        return _ROWS[op]
    except KeyError:
        raise LookupError(f"op {op.name} has no registry row") from None


def rows() -> dict[Op, OpDef]:
    return dict(_ROWS)


@dataclass(frozen=True)
class NotOnTarget:
    """A target's entry for a primitive it does not run, saying why."""

    reason: str


R = TypeVar("R")


def register_kernel(op: Op, target: str, rule: R) -> R:
    """Attach a target's rule to an op's row (kept beside the op's other rules)."""
    get(op).kernels[target] = rule
    return rule


def kernel(op: Op, target: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator form of :func:`register_kernel`."""
    return lambda fn: register_kernel(op, target, fn)
