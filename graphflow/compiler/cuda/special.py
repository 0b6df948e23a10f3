"""digamma and trigamma in CUDA kernels: the CPU's ``fastmath`` functions loop, and numba-cuda
cannot type a call to a device function when it compiles PTX without a GPU driver, so a call is
hoisted out of its line into a block of statements (the same recurrence, reflection and
asymptotic series as the CPU's) that leaves the value in a fresh variable."""
from __future__ import annotations

import re
import zlib

_CALL = re.compile(r"gfmath\.(digamma|trigamma)\(")

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


def expand(line: str) -> list[str]:
    """``line`` with each digamma / trigamma call replaced by a variable, preceded by the
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
        block = (_DIGAMMA if m.group(1) == "digamma" else _TRIGAMMA).format(r=var, arg=line[m.end():end])
        out += [indent + b for b in block.split("\n")]
        line = line[:m.start()] + var + line[end + 1:]
