"""The statement blocks of the multi-operand special functions for CUDA kernels (igamma, igammac,
igamma_grad_a, betainc, zeta): compiler/cpu/special_math.py's algorithms written without early
returns (a converged loop sets its counter to the limit). compiler/cuda/special.py inlines them:
``{r}`` is the result variable (and the prefix of every temporary), ``{a0}``, ``{a1}``, ``{a2}``
the operands' expressions; a ``gfmath.digamma`` call inside a block is expanded in turn."""
from __future__ import annotations

import math
import textwrap

import scipy.special as _sp

_EPS = "1.1102230246251565e-16"

# Cephes' series for P (x <= 1 or x <= a) and continued fraction for Q, each carrying its
# derivative in a; DERIV marks the lines only igamma_grad_a needs
_IGAMMA_CORE = """\
{r}_a = float({a0})
{r}_x = float({a1})
if not ({r}_a > 0.0 and {r}_x >= 0.0):
    {r} = math.nan
elif {r}_x == 0.0 or {r}_x == math.inf:
    {r} = EDGE
else:
    {r}_lf = {r}_a * math.log({r}_x) - {r}_x - math.lgamma({r}_a)
    {r}_useq = not ({r}_x <= 1.0 or {r}_x <= {r}_a)
    {r}_v = 0.0
    {r}_dv = 0.0
    if {r}_lf >= -745.0:
        {r}_f = math.exp({r}_lf)
        if not {r}_useq:
            {r}_term = 1.0
            {r}_dterm = 0.0
            {r}_sum = 1.0
            {r}_dsum = 0.0
            {r}_n = {r}_a
            {r}_it = 0
            while {r}_it < 100000:
                {r}_it += 1
                {r}_n += 1.0
                {r}_dterm = {r}_dterm * {r}_x / {r}_n - {r}_term * {r}_x / ({r}_n * {r}_n)
                {r}_term *= {r}_x / {r}_n
                {r}_sum += {r}_term
                {r}_dsum += {r}_dterm
                if {r}_term <= EPS * {r}_sum:
                    {r}_it = 100000
            {r}_v = {r}_f * {r}_sum / {r}_a
            DERIV{r}_dv = {r}_v * (math.log({r}_x) - gfmath.digamma({r}_a) - 1.0 / {r}_a) + {r}_f * {r}_dsum / {r}_a
        else:
            {r}_y = 1.0 - {r}_a
            {r}_z = {r}_x + 2.0 - {r}_a
            {r}_c = 0.0
            {r}_pkm2 = 1.0
            {r}_qkm2 = {r}_x
            {r}_pkm1 = {r}_x + 1.0
            {r}_qkm1 = {r}_z * {r}_x
            {r}_dpkm2 = 0.0
            {r}_dqkm2 = 0.0
            {r}_dpkm1 = 0.0
            {r}_dqkm1 = -{r}_x
            {r}_ans = {r}_pkm1 / {r}_qkm1
            {r}_dans = ({r}_dpkm1 * {r}_qkm1 - {r}_pkm1 * {r}_dqkm1) / ({r}_qkm1 * {r}_qkm1)
            {r}_it = 0
            while {r}_it < 100000:
                {r}_it += 1
                {r}_c += 1.0
                {r}_y += 1.0
                {r}_z += 2.0
                {r}_yc = {r}_y * {r}_c
                {r}_pk = {r}_pkm1 * {r}_z - {r}_pkm2 * {r}_yc
                {r}_qk = {r}_qkm1 * {r}_z - {r}_qkm2 * {r}_yc
                {r}_dpk = {r}_dpkm1 * {r}_z - {r}_pkm1 - {r}_dpkm2 * {r}_yc + {r}_pkm2 * {r}_c
                {r}_dqk = {r}_dqkm1 * {r}_z - {r}_qkm1 - {r}_dqkm2 * {r}_yc + {r}_qkm2 * {r}_c
                if {r}_qk != 0.0:
                    {r}_r = {r}_pk / {r}_qk
                    {r}_dr = ({r}_dpk * {r}_qk - {r}_pk * {r}_dqk) / ({r}_qk * {r}_qk)
                    {r}_ok = abs({r}_ans - {r}_r) <= EPS * abs({r}_r)
                    if {r}_ok and abs({r}_dans - {r}_dr) <= 1e-14 * abs({r}_dr) + 1e-300:
                        {r}_it = 100000
                    {r}_ans = {r}_r
                    {r}_dans = {r}_dr
                {r}_pkm2 = {r}_pkm1
                {r}_pkm1 = {r}_pk
                {r}_qkm2 = {r}_qkm1
                {r}_qkm1 = {r}_qk
                {r}_dpkm2 = {r}_dpkm1
                {r}_dpkm1 = {r}_dpk
                {r}_dqkm2 = {r}_dqkm1
                {r}_dqkm1 = {r}_dqk
                if abs({r}_pk) > 4503599627370496.0:
                    {r}_pkm2 *= 2.220446049250313e-16
                    {r}_pkm1 *= 2.220446049250313e-16
                    {r}_qkm2 *= 2.220446049250313e-16
                    {r}_qkm1 *= 2.220446049250313e-16
                    {r}_dpkm2 *= 2.220446049250313e-16
                    {r}_dpkm1 *= 2.220446049250313e-16
                    {r}_dqkm2 *= 2.220446049250313e-16
                    {r}_dqkm1 *= 2.220446049250313e-16
            {r}_v = {r}_ans * {r}_f
            DERIV{r}_dv = {r}_v * (math.log({r}_x) - gfmath.digamma({r}_a)) + {r}_dans * {r}_f
    {r} = RESULT"""


def _igamma(edge: str, result: str, deriv: bool) -> str:
    lines = []
    for line in _IGAMMA_CORE.replace("EPS", _EPS).replace("EDGE", edge).replace("RESULT", result).split("\n"):
        if "DERIV" in line:
            if not deriv:
                continue
            line = line.replace("DERIV", "")
        lines.append(line)
    return "\n".join(lines)


IGAMMA = _igamma("(0.0 if {r}_x == 0.0 else 1.0)", "1.0 - {r}_v if {r}_useq else {r}_v", False)
IGAMMAC = _igamma("(1.0 if {r}_x == 0.0 else 0.0)", "{r}_v if {r}_useq else 1.0 - {r}_v", False)
IGAMMA_GRAD_A = _igamma("0.0", "-{r}_dv if {r}_useq else {r}_dv", True)

# the continued fraction (modified Lentz) for I_z(p, o), z = x or 1 - x by the symmetry
_LENTZ_STEP = """\
{r}_d = 1.0 + {r}_aa * {r}_d
{r}_d = 1.0 / ({r}_d if abs({r}_d) > 1e-300 else 1e-300)
{r}_c = 1.0 + {r}_aa / {r}_c
{r}_c = {r}_c if abs({r}_c) > 1e-300 else 1e-300
{r}_h *= {r}_d * {r}_c"""

BETAINC = """\
{r}_a = float({a0})
{r}_b = float({a1})
{r}_x = float({a2})
if not ({r}_a > 0.0 and {r}_b > 0.0 and {r}_x >= 0.0 and {r}_x <= 1.0):
    {r} = math.nan
elif {r}_x == 0.0 or {r}_x == 1.0:
    {r} = {r}_x
else:
    {r}_f = math.lgamma({r}_a + {r}_b) - math.lgamma({r}_a) - math.lgamma({r}_b)
    {r}_f = math.exp({r}_f + {r}_a * math.log({r}_x) + {r}_b * math.log1p(-{r}_x))
    {r}_swap = not ({r}_x < ({r}_a + 1.0) / ({r}_a + {r}_b + 2.0))
    {r}_p = {r}_b if {r}_swap else {r}_a
    {r}_o = {r}_a if {r}_swap else {r}_b
    {r}_z = 1.0 - {r}_x if {r}_swap else {r}_x
    {r}_c = 1.0
    {r}_d = 1.0 - ({r}_p + {r}_o) * {r}_z / ({r}_p + 1.0)
    {r}_d = 1.0 / ({r}_d if abs({r}_d) > 1e-300 else 1e-300)
    {r}_h = {r}_d
    {r}_m = 0
    while {r}_m < 100000:
        {r}_m += 1
        {r}_aa = {r}_m * ({r}_o - {r}_m) * {r}_z / (({r}_p + 2 * {r}_m - 1.0) * ({r}_p + 2 * {r}_m))
STEP
        {r}_aa = -({r}_p + {r}_m) * ({r}_p + {r}_o + {r}_m) * {r}_z
        {r}_aa /= ({r}_p + 2 * {r}_m) * ({r}_p + 2 * {r}_m + 1.0)
STEP
        if abs({r}_d * {r}_c - 1.0) <= EPS:
            {r}_m = 100000
    {r} = 1.0 - {r}_f * {r}_h / {r}_p if {r}_swap else {r}_f * {r}_h / {r}_p""".replace(
    "STEP", textwrap.indent(_LENTZ_STEP, " " * 8)).replace("EPS", _EPS)

# Euler-Maclaurin's correction terms unrolled, each with its (2k)! / B_2k
_ZETA_TERM = """\
if not {r}_done:
    {r}_f *= {r}_x + {r}_k
    {r}_b /= {r}_w
    {r}_t = {r}_f * {r}_b / COEF
    {r}_s += {r}_t
    {r}_done = abs({r}_t / {r}_s) < EPS
    {r}_k += 1.0
    {r}_f *= {r}_x + {r}_k
    {r}_b /= {r}_w
    {r}_k += 1.0"""

ZETA = """\
{r}_x = float({a0})
{r}_q = float({a1})
if {r}_x != {r}_x or {r}_q != {r}_q or {r}_x < 1.0:
    {r} = math.nan
elif {r}_x == 1.0:
    {r} = math.inf
elif {r}_q <= 0.0 and {r}_q == math.floor({r}_q):
    {r} = math.inf if 0.5 * {r}_x == math.floor(0.5 * {r}_x) else math.nan
elif {r}_q <= 0.0 and {r}_x != math.floor({r}_x):
    {r} = math.nan
else:
    {r}_s = {r}_q ** -{r}_x
    {r}_a = {r}_q
    {r}_i = 0
    {r}_b = 0.0
    {r}_done = False
    while not {r}_done and ({r}_i < 9 or {r}_a <= 9.0):
        {r}_i += 1
        {r}_a += 1.0
        {r}_b = {r}_a ** -{r}_x
        {r}_s += {r}_b
        {r}_done = abs({r}_b / {r}_s) < EPS
    if not {r}_done:
        {r}_w = {r}_a
        {r}_s += {r}_b * {r}_w / ({r}_x - 1.0)
        {r}_s -= 0.5 * {r}_b
        {r}_f = 1.0
        {r}_k = 0.0
TERMS
    {r} = {r}_s""".replace("TERMS", "\n".join(
    textwrap.indent(_ZETA_TERM.replace("COEF", repr(math.factorial(2 * k) / b)), " " * 8)
    for k, b in enumerate(_sp.bernoulli(24)[2::2], 1))).replace("EPS", _EPS)
