"""TF1 math ops that graphflow builds as compositions, read from GraphDefs: Xdivy, Xlog1py,
MulNoNan, DivNoNan, Polygamma, BesselI0, BesselI1, CumulativeLogsumexp, HistogramFixedWidth,
TensorScatterMax / Min, SobolSample and Bitcast, each through its public function. (Erfinv, Ndtri,
BesselI0e / I1e, Igamma, Igammac, IgammaGradA, Betainc, Zeta and NextAfter are registry rows and
import through ``row_rule``.)"""
from __future__ import annotations

from typing import Any

from graphflow.graphdef.import_rules import Node, _gf
from graphflow.graphdef.import_rules import _rule as _import

_BY_NAME = {"Xdivy": "math.xdivy", "Xlog1py": "math.xlog1py", "MulNoNan": "math.multiply_no_nan",
            "DivNoNan": "div_no_nan", "Polygamma": "polygamma", "BesselI0": "math.bessel_i0",
            "BesselI1": "math.bessel_i1", "TensorScatterMax": "tensor_scatter_nd_max",
            "TensorScatterMin": "tensor_scatter_nd_min"}


@_import(*_BY_NAME)
def _public(n: Node) -> Any:
    fn = _gf()
    for part in _BY_NAME[n.op].split("."):
        fn = getattr(fn, part)
    return fn(*n.inputs, name=n.name)


@_import("CumulativeLogsumexp")
def _cumulative_logsumexp(n: Node) -> Any:
    return _gf().math.cumulative_logsumexp(n.inputs[0], int(n.const_input(1)), exclusive=n.attr("exclusive", False),
                                           reverse=n.attr("reverse", False), name=n.name)


@_import("HistogramFixedWidth")
def _histogram(n: Node) -> Any:
    values, value_range, nbins = n.inputs
    return _gf().histogram_fixed_width(values, value_range, nbins, dtype=n.attr("dtype"), name=n.name)


@_import("SobolSample")
def _sobol(n: Node) -> Any:
    dim, count, skip = (int(n.const_input(i)) for i in range(3))
    return _gf().math.sobol_sample(dim, count, skip, dtype=n.attr("dtype"), name=n.name)


@_import("Bitcast")
def _bitcast(n: Node) -> Any:
    return _gf().bitcast(n.inputs[0], n.attr("type"), name=n.name)
