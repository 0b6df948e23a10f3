"""Special functions in CUDA kernels (digamma, trigamma, ndtri, erfinv, i0e, i1e; igamma, igammac,
igamma_grad_a, betainc and zeta from special_blocks.py): the CPU's
``fastmath`` / ``special_math`` functions loop, and numba-cuda cannot type a call to a device
function when it compiles PTX without a GPU driver, so a call is hoisted out of its line into a
block of statements (the same algorithm as the CPU's, written without early returns) that leaves
the value in a fresh variable."""
from __future__ import annotations

import re
import textwrap
import zlib

from graphflow.compiler.cuda import special_blocks

_CALL = re.compile(r"gfmath\.(digamma|trigamma|ndtri|erfinv|i0e|i1e|igamma|igammac|igamma_grad_a|betainc|zeta)\(")

_DIGAMMA = """\
{r}_z = float({arg})
if {r}_z != {r}_z or ({r}_z <= 0.0 and math.floor({r}_z) == {r}_z):
    {r} = math.nan
else:
    {r}_s = 0.0
    if {r}_z < 0.0:
        {r}_s = -math.pi / math.tan(math.pi * {r}_z)
        {r}_z = 1.0 - {r}_z
    {r}_a = 0.0
    while {r}_z < 6.0:
        {r}_a -= 1.0 / {r}_z
        {r}_z += 1.0
    {r}_f = 1.0 / ({r}_z * {r}_z)
    {r} = {r}_s + {r}_a + math.log({r}_z) - 0.5 / {r}_z - {r}_f * (1.0 / 12 - {r}_f * (1.0 / 120 - {r}_f * (
        1.0 / 252 - {r}_f * (1.0 / 240 - {r}_f * (1.0 / 132)))))"""

_TRIGAMMA = """\
{r}_z = float({arg})
if {r}_z != {r}_z or ({r}_z <= 0.0 and math.floor({r}_z) == {r}_z):
    {r} = math.nan
else:
    {r}_r = 0.0
    {r}_g = 1.0
    if {r}_z < 0.0:
        {r}_q = math.sin(math.pi * {r}_z)
        {r}_r = math.pi * math.pi / ({r}_q * {r}_q)
        {r}_g = -1.0
        {r}_z = 1.0 - {r}_z
    {r}_a = 0.0
    while {r}_z < 6.0:
        {r}_a += 1.0 / ({r}_z * {r}_z)
        {r}_z += 1.0
    {r}_f = 1.0 / ({r}_z * {r}_z)
    {r} = {r}_r + {r}_g * ({r}_a + 1.0 / {r}_z + 0.5 * {r}_f + ({r}_f / {r}_z) * (1.0 / 6 - {r}_f * (
        1.0 / 30 - {r}_f * (1.0 / 42 - {r}_f * (1.0 / 30)))))"""


# Phi^-1(1/2 + {r}_q) from {r}_q and the tail mass {r}_t (special_math._normal_quantile)
_QUANTILE = """\
if {r}_t == 0.0:
    {r} = math.copysign(math.inf, {r}_q)
elif {r}_q == 0.0:
    {r} = 0.0
else:
    {r}_s = math.sqrt(-2.0 * math.log({r}_t))
    {r}_x = {r}_s - (2.515517 + {r}_s * (0.802853 + {r}_s * 0.010328)) / (
        1.0 + {r}_s * (1.432788 + {r}_s * (0.189269 + {r}_s * 0.001308)))
    if {r}_q < 0.0:
        {r}_x = -{r}_x
    if abs({r}_q) <= 0.425:
        for {r}_k in range(4):
            {r}_x -= (0.5 * math.erf({r}_x / 1.4142135623730951) - {r}_q) / (
                math.exp(-0.5 * {r}_x * {r}_x) / 2.5066282746310002)
    else:
        {r}_x = -abs({r}_x)
        for {r}_k in range(4):
            {r}_c = 0.5 * math.erfc(-{r}_x / 1.4142135623730951)
            {r}_x -= (math.log({r}_c) - math.log({r}_t)) * {r}_c / (
                math.exp(-0.5 * {r}_x * {r}_x) / 2.5066282746310002)
        if {r}_q > 0.0:
            {r}_x = -{r}_x
    {r} = {r}_x"""

_NDTRI = """\
{r}_p = float({arg})
if not ({r}_p >= 0.0 and {r}_p <= 1.0):
    {r} = math.nan
else:
    {r}_q = {r}_p - 0.5
    {r}_t = {r}_p if {r}_p < 0.5 else 1.0 - {r}_p
""" + textwrap.indent(_QUANTILE, "    ")

_ERFINV = """\
{r}_y = float({arg})
if not ({r}_y >= -1.0 and {r}_y <= 1.0):
    {r} = math.nan
else:
    {r}_q = 0.5 * {r}_y
    {r}_t = 0.5 * (1.0 - abs({r}_y))
""" + textwrap.indent(_QUANTILE, "    ") + """
    {r} = {r} / 1.4142135623730951"""

# exp(-|x|) I_order(x) (special_math._bessel_ie): the power series to 20, the asymptotic one beyond
_BESSEL_IE = """\
{r}_x = float({arg})
{r}_a = abs({r}_x)
if {r}_a != {r}_a:
    {r} = math.nan
elif {r}_a <= 20.0:
    {r}_q = 0.25 * {r}_a * {r}_a
    {r}_term = 1.0
    {r}_sum = 1.0
    {r}_k = 1
    while {r}_term > 1.1102230246251565e-17 * {r}_sum:
        {r}_term *= {r}_q / ({r}_k * ({r}_k + ORDER))
        {r}_sum += {r}_term
        {r}_k += 1
    {r} = {r}_sum * SCALE * math.exp(-{r}_a)
elif {r}_a == math.inf:
    {r} = 0.0
else:
    {r}_term = 1.0
    {r}_sum = 1.0
    {r}_k = 1
    {r}_go = True
    while {r}_go and {r}_k < 60:
        {r}_next = -{r}_term * (MU - (2 * {r}_k - 1) ** 2) / ({r}_k * 8.0 * {r}_a)
        if abs({r}_next) >= abs({r}_term):
            {r}_go = False
        else:
            {r}_term = {r}_next
            {r}_sum += {r}_term
            {r}_go = abs({r}_term) >= 1.1102230246251565e-17 * abs({r}_sum)
        {r}_k += 1
    {r} = {r}_sum / math.sqrt(2.0 * math.pi * {r}_a)"""

_BLOCKS = {"digamma": _DIGAMMA, "trigamma": _TRIGAMMA, "ndtri": _NDTRI, "erfinv": _ERFINV,
           "i0e": _BESSEL_IE.replace("ORDER", "0").replace("SCALE", "1.0").replace("MU", "0.0"),
           "i1e": _BESSEL_IE.replace("ORDER", "1").replace("SCALE", "(0.5 * {r}_a)").replace("MU", "4.0")
           + "\nif {r}_x < 0.0:\n    {r} = -{r}",
           "igamma": special_blocks.IGAMMA, "igammac": special_blocks.IGAMMAC,
           "igamma_grad_a": special_blocks.IGAMMA_GRAD_A, "betainc": special_blocks.BETAINC,
           "zeta": special_blocks.ZETA}


def _operands(text: str) -> list[str]:
    """The comma-separated operands of a call, split at the top level of parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return parts + [text[start:].strip()]


def expand(line: str) -> list[str]:
    """``line`` with each special-function call replaced by a variable, preceded by the
    statements computing it."""
    out: list[str] = []
    indent = line[:len(line) - len(line.lstrip())]
    count = 0
    while True:
        m = _CALL.search(line)
        if m is None:
            return out + [line]
        depth, end = 0, m.end() - 1
        for end in range(m.end() - 1, len(line)):
            depth += {"(": 1, ")": -1}.get(line[end], 0)
            if depth == 0:
                break
        count += 1
        var = f"sp{count}_{zlib.crc32(line.encode()) % 10 ** 6}"  # stable: the kernel source is its identity
        ops = _operands(line[m.end():end])
        block = _BLOCKS[m.group(1)].format(r=var, arg=ops[0], **{f"a{k}": v for k, v in enumerate(ops)})
        # a block may call another special function (igamma_grad_a calls digamma): expanded in turn
        out += [e for b in block.split("\n") for e in expand(indent + b)]
        line = line[:m.start()] + var + line[end + 1:]
