"""The compile cache is checked before anything in it runs (runtime/cache.py, cache_store.py): a
truncated module, numba index or machine-code file is rebuilt with a warning instead of failing
every later run, and a cache folder others can write to is refused.

Each run is a child process over a cache folder of its own, copied from one the first run filled
(so the kernels are compiled once for the module); the shared test cache is never touched.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from graphflow.errors import PermissionDeniedError
from graphflow.runtime import cache, cache_store

# float32 tanh calls the kernel library's vectorised tanh (compiler/cpu_math.py), so numba's
# artefacts of a library function are in the cache too, under numba/
SCRIPT = textwrap.dedent("""
    import json, warnings
    import numpy as np, graphflow as gf
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        x = gf.placeholder(gf.float32, (None, 5))
        y = gf.reduce_sum(gf.tanh(x * 0.5) * 3.0 + x, axis=1)
        with gf.Session() as sess:
            value = sess.run(y, {x: np.arange(15, dtype=np.float32).reshape(3, 5) / 7})
            units = [k for e in sess._cache.values() for k in e[2].kernels if hasattr(k, "stats")]
    print(json.dumps({"value": value.tolist(), "warnings": [str(w.message) for w in caught],
                      "hits": sum(sum(k.stats.cache_hits.values()) for k in units),
                      "misses": sum(sum(k.stats.cache_misses.values()) for k in units), "units": len(units)}))
""")
X = np.arange(15, dtype=np.float32).reshape(3, 5) / 7
WANT = (np.tanh(X * np.float32(0.5)) * np.float32(3.0) + X).sum(axis=1)


def run(folder: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(folder / "gf"), NUMBA_CACHE_DIR=str(folder / "numba"),
               GRAPHFLOW_GLUE="1", GRAPHFLOW_COMPILE_WORKERS="0")
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)


def result(folder: Path) -> dict:
    out = run(folder)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    np.testing.assert_allclose(got["value"], WANT, rtol=1e-6)
    assert got["units"] >= 1  # a compiled kernel, with numba's artefacts in the cache
    return got


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder the script has filled, created by it (the first run in a fresh folder)."""
    folder = tmp_path_factory.mktemp("filled")
    got = result(folder)
    assert got["warnings"] == [] and got["misses"] == got["units"]
    return folder


@pytest.fixture
def copy(filled: Path, tmp_path: Path) -> Path:
    shutil.copytree(filled, tmp_path / "cache")
    return tmp_path / "cache"


def one(folder: Path, pattern: str) -> Path:
    found = glob.glob(str(folder / pattern))
    assert found, pattern
    return Path(sorted(found)[0])


def test_a_fresh_cache_folder_is_private(filled: Path) -> None:
    for d in (filled / "gf", filled / "gf" / "__pycache__"):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    for f in glob.glob(str(filled / "gf" / "**" / "*"), recursive=True):
        if os.path.isfile(f):
            assert stat.S_IMODE(os.stat(f).st_mode) & 0o077 == 0, f  # nobody else reads the code either


def test_the_second_run_loads_everything_from_the_cache(copy: Path) -> None:
    got = result(copy)
    assert got["warnings"] == [] and got["hits"] == got["units"] and got["misses"] == 0


def test_a_truncated_kernel_module_is_written_again(copy: Path) -> None:
    module = one(copy, "gf/gfk_*.py")
    good = module.read_bytes()
    module.write_bytes(good[: len(good) // 2])
    got = result(copy)
    assert any("does not match the sha256 in its name" in w and module.name in w for w in got["warnings"])
    assert module.read_bytes() == good
    assert hashlib.sha256(good).hexdigest()[:24] == module.stem.rpartition("_")[2]
    # the module is the same again, so numba's machine code of it still applies
    assert got["hits"] == got["units"] and got["misses"] == 0


@pytest.mark.parametrize("kind", ["index", "machine code"])
@pytest.mark.parametrize("damage", ["truncated", "one byte flipped"])
def test_corrupt_numba_artefacts_of_a_kernel_are_rebuilt(copy: Path, kind: str, damage: str) -> None:
    artefact = one(copy, "gf/__pycache__/gfk_*" + (".gfi" if kind == "index" else ".gfc"))
    data = bytearray(artefact.read_bytes())
    if damage == "truncated":
        del data[len(data) // 2:]
    else:
        data[len(data) // 2] ^= 0x40
    artefact.write_bytes(bytes(data))
    got = result(copy)
    assert any("is corrupt" in w and artefact.name in w for w in got["warnings"]), got["warnings"]
    assert got["misses"] >= 1  # compiled again
    assert cache_store.read_verified(str(artefact)) is not None  # and written again, whole
    again = result(copy)
    assert again["warnings"] == [] and again["hits"] == again["units"] and again["misses"] == 0


def test_corrupt_numba_artefacts_of_a_library_function_are_rebuilt(copy: Path) -> None:
    """The kernel's own machine code inlines the library's; with it gone, numba loads the
    library function's cached code, which is checked in the same way."""
    for f in glob.glob(str(copy / "gf" / "__pycache__" / "*")):
        os.unlink(f)
    code = one(copy, "numba/*/cpu_math.tanh-*.gfc")
    data = bytearray(code.read_bytes())
    data[-10] ^= 0x01
    code.write_bytes(bytes(data))
    got = result(copy)
    assert any("is corrupt" in w and code.name in w for w in got["warnings"]), got["warnings"]
    assert cache_store.read_verified(str(code)) is not None


def test_a_cache_folder_others_can_write_is_refused(copy: Path) -> None:
    folder = copy / "gf"
    os.chmod(folder, 0o777)
    out = run(copy)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("graphflow.errors.PermissionDeniedError: ") and str(folder) in last
    assert f"chmod 700 {folder}" in last and "GRAPHFLOW_CACHE_DIR" in last and "mode 777" in last
    assert out.stdout == ""


@pytest.mark.parametrize("mode", [0o770, 0o722, 0o1777])
def test_group_or_other_writable_folders_are_refused(tmp_path: Path, mode: int) -> None:
    os.chmod(tmp_path, mode)
    with pytest.raises(PermissionDeniedError, match=re.escape(f"`chmod 700 {tmp_path}`")):
        cache_store.private_dir(str(tmp_path))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a folder to another user needs root")
def test_a_cache_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "theirs"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, -1)
    with pytest.raises(PermissionDeniedError, match="belongs to user id 65534.*GRAPHFLOW_CACHE_DIR"):
        cache_store.private_dir(str(folder))


def test_a_new_folder_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        folder = cache_store.private_dir(str(tmp_path / "a" / "cache"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(folder, "__pycache__")).st_mode) == 0o700
    assert cache_store.private_dir(folder) == folder  # an existing private folder is accepted


def test_the_compile_helper_loads_only_modules_that_hash_to_their_name(filled: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    good = one(filled, "gf/gfk_*.py")
    # this process's loaded modules are left as they were
    monkeypatch.setattr(cache, "_loaded", {})
    monkeypatch.setitem(sys.modules, good.stem, None)
    bad = tmp_path / ("gfk_" + "0" * 24 + ".py")
    bad.write_bytes(good.read_bytes())
    assert cache.load_file(str(bad)) is None
    mod = cache.load_file(str(good))
    assert mod is not None and callable(mod.kernel)


def test_a_verified_file_stands_or_falls_by_its_hash(tmp_path: Path) -> None:
    path = str(tmp_path / "f.gfc")
    cache_store.write_verified(path, b"payload")
    assert cache_store.read_verified(path) == b"payload"
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        f.write(b"P")
    with pytest.warns(cache_store.CacheWarning, match="does not match the sha256"):
        assert cache_store.read_verified(path) is None
    assert not os.path.exists(path)
    assert cache_store.read_verified(path) is None  # missing: nothing to say
