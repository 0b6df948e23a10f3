"""Numba kernels of the matrix decompositions (compiled once, cached on disk): one call per batch
of matrices [batch, M, N], each matrix through numba's LAPACK-backed np.linalg, or a loop of
their own where numba has no routine (the pivoted LU, the matrix exponential and square root).

A kernel that can fail returns False and the generated code raises the node's error; SVD, QR and
the exponential give NaNs for a matrix with a non-finite entry, as TF1's kernels do.
"""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)

# Pade approximant of degree 13 (Higham 2005): its coefficients and the 1-norm it is exact for
_PADE13 = np.array([64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
                    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
                    40840800.0, 960960.0, 16380.0, 182.0, 1.0])
_THETA13 = 5.371920351148152


@_jit
def _finite(m):  # type: ignore[no-untyped-def]
    for x in m.ravel():
        if not np.isfinite(x):
            return False
    return True


@_jit
def svd(a, s, u, v, full, compute_uv):  # type: ignore[no-untyped-def]
    """s[b], u[b], v[b] (v, not v^T) of each a[b]; NaNs for a non-finite matrix."""
    for b in range(a.shape[0]):
        m = np.ascontiguousarray(a[b])
        if not _finite(m):
            s[b] = np.nan
            if compute_uv:
                u[b] = np.nan
                v[b] = np.nan
            continue
        if compute_uv:
            ub, sb, vh = np.linalg.svd(m, full_matrices=full)
            s[b] = sb
            u[b] = ub
            v[b] = vh.T
        else:
            s[b] = np.linalg.svd(m, full_matrices=False)[1]
    return True


@_jit
def qr(a, q, r, full):  # type: ignore[no-untyped-def]
    """q[b] r[b] = a[b]. The complete Q of a tall matrix is the Q of [A, 0]: its zero columns
    add identity reflectors, so its first columns and R are the reduced factorisation's."""
    rows, cols = a.shape[1], a.shape[2]
    for b in range(a.shape[0]):
        m = np.ascontiguousarray(a[b])
        if not _finite(m):
            q[b] = np.nan
            r[b] = np.nan
            continue
        if full and rows > cols:
            padded = np.zeros((rows, rows), a.dtype)
            padded[:, :cols] = m
            qb, rb = np.linalg.qr(padded)
            q[b] = qb
            r[b] = rb[:, :cols]
        else:
            qb, rb = np.linalg.qr(m)
            q[b] = qb
            r[b] = rb
    return True


@_jit
def eigh(a, e, v, compute_v):  # type: ignore[no-untyped-def]
    """Ascending eigenvalues (and eigenvectors) of the symmetric matrices whose lower triangles
    are a[b]'s; False where one has a non-finite entry there or LAPACK does not converge."""
    n = a.shape[1]
    sym = np.empty((n, n), a.dtype)
    for b in range(a.shape[0]):
        for i in range(n):
            for j in range(i + 1):
                sym[i, j] = a[b, i, j]
                sym[j, i] = a[b, i, j]
        if not _finite(sym):
            return False
        ok = True
        try:
            if compute_v:
                eb, vb = np.linalg.eigh(sym)
                v[b] = vb
                e[b] = eb
            else:
                e[b] = np.linalg.eigvalsh(sym)
        except Exception:  # noqa: BLE001 - numba raises LinAlgError as a plain exception
            ok = False
        if not ok:
            return False
    return True


@_jit
def slogdet(a, sign, logdet):  # type: ignore[no-untyped-def]
    """Sign and log |det| of each a[b] (NaNs for a non-finite matrix)."""
    for b in range(a.shape[0]):
        m = np.ascontiguousarray(a[b])
        if not _finite(m):
            sign[b] = np.nan
            logdet[b] = np.nan
            continue
        sg, ld = np.linalg.slogdet(m)
        sign[b] = sg
        logdet[b] = ld
    return True


@_jit
def lu(a, out, perm):  # type: ignore[no-untyped-def]
    """Partial pivoting, LAPACK's choice of pivot (the first largest magnitude): out[b] packs L
    (unit, below the diagonal) and U, with a[b][perm[b]] = L U; False for a singular matrix."""
    n = a.shape[1]
    for b in range(a.shape[0]):
        w = out[b]
        w[:] = a[b]
        p = perm[b]
        for i in range(n):
            p[i] = i
        for k in range(n):
            best, piv = -1.0, k
            for i in range(k, n):
                mag = abs(w[i, k])
                if mag > best:  # (a NaN is never chosen; it fails below)
                    best, piv = mag, i
            if not best > 0.0:
                return False
            if piv != k:
                for j in range(n):
                    w[k, j], w[piv, j] = w[piv, j], w[k, j]
                p[k], p[piv] = p[piv], p[k]
            for i in range(k + 1, n):
                f = w[i, k] / w[k, k]
                w[i, k] = f
                for j in range(k + 1, n):
                    w[i, j] -= f * w[k, j]
        for i in range(n):
            if not np.isfinite(w[i, i]) or w[i, i] == 0:
                return False
    return True


@_jit
def _expm_one(m):  # type: ignore[no-untyped-def]
    """Scaling and squaring with the degree-13 Pade approximant, in float64."""
    n = m.shape[0]
    norm = 0.0
    for j in range(n):
        col = 0.0
        for i in range(n):
            col += abs(m[i, j])
        norm = max(norm, col)
    squarings = 0
    if norm > _THETA13:
        squarings = int(np.ceil(np.log2(norm / _THETA13)))
    x = np.ascontiguousarray(m) / (2.0 ** squarings)
    c = _PADE13
    eye = np.eye(n)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (c[13] * x6 + c[11] * x4 + c[9] * x2) + c[7] * x6 + c[5] * x4 + c[3] * x2 + c[1] * eye)
    v = x6 @ (c[12] * x6 + c[10] * x4 + c[8] * x2) + c[6] * x6 + c[4] * x4 + c[2] * x2 + c[0] * eye
    r = np.ascontiguousarray(np.linalg.solve(v - u, v + u))
    for _ in range(squarings):
        r = r @ r
    return r


@_jit
def expm(a, out):  # type: ignore[no-untyped-def]
    for b in range(a.shape[0]):
        m = a[b].astype(np.float64)
        if not _finite(m):
            out[b] = np.nan
            continue
        out[b] = _expm_one(m)
    return True


@_jit
def _sqrtm_one(a):  # type: ignore[no-untyped-def]
    """The principal square root by the Denman-Beavers iteration with determinant scaling (Higham,
    Functions of Matrices, 6.3): Y -> A^(1/2), Z -> A^(-1/2). NaNs where it has none: a singular
    iterate (a zero or negative real eigenvalue drives one there) or no convergence in 100 steps."""
    n = a.shape[0]
    y = np.ascontiguousarray(a)
    if n == 0:
        return y
    z = np.eye(n)
    scale = True
    settled = -1  # iterations left once the change is small (convergence is quadratic)
    for _ in range(100):
        sy, ly = np.linalg.slogdet(y)
        sz, lz = np.linalg.slogdet(z)
        if sy == 0.0 or sz == 0.0 or not (np.isfinite(ly) and np.isfinite(lz)):
            break
        mu = np.exp(-(ly + lz) / (2.0 * n)) if scale else 1.0
        y_new = 0.5 * (mu * y + np.linalg.inv(z) / mu)
        z = np.ascontiguousarray(0.5 * (mu * z + np.linalg.inv(y) / mu))
        change = np.abs(y_new - y).sum() / max(np.abs(y_new).sum(), 1e-300)
        y = np.ascontiguousarray(y_new)
        if change < 1e-2:
            scale = False  # scaling speeds up the first steps and slows the last
        if settled < 0 and change < 1e-10:
            settled = 2
        if settled == 0:
            return y
        if settled > 0:
            settled -= 1
    return np.full((n, n), np.nan)


@_jit
def sqrtm(a, out):  # type: ignore[no-untyped-def]
    for b in range(a.shape[0]):
        m = a[b].astype(np.float64)
        if not _finite(m):
            out[b] = np.nan
            continue
        out[b] = _sqrtm_one(m)
    return True
