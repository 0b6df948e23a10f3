"""The compile cache is checked before anything in it runs (runtime/cache.py, cache_store.py): a
truncated module, numba index or machine-code file is rebuilt with a warning instead of failing
every later run, a cache folder others can write to is refused, and numba's artefacts of
graphflow's kernel libraries are kept in that folder too (never in the package's __pycache__ or
NUMBA_CACHE_DIR).

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
from types import SimpleNamespace

import numpy as np
import pytest

from graphflow.core.errors import PermissionDeniedError
from graphflow.runtime import cache, cache_store

# float32 tanh calls the kernel library's vectorised tanh (compiler/cpu/fastmath.py), so numba's
# artefacts of a library function are in the cache too, under gf/lib/graphflow.compiler.cpu.fastmath-<digest>/
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


def run(folder: Path, **env_vars: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, GRAPHFLOW_CACHE_DIR=str(folder / "gf"), NUMBA_CACHE_DIR=str(folder / "numba"),
               GRAPHFLOW_GLUE="1", GRAPHFLOW_COMPILE_WORKERS="0")
    env.update(env_vars)
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


def cache_in(folder: str, module: str) -> str:
    """Where a library's artefacts go: named by the digest of it and the modules it compiles in."""
    return os.path.join(folder, "lib", f"{module}-{cache._library_digest(module)[:16]}")


def one(folder: Path, pattern: str) -> Path:
    found = glob.glob(str(folder / pattern))
    assert found, pattern
    return Path(sorted(found)[0])


def files_under(folder: Path) -> list[str]:
    return sorted(f for f in glob.glob(str(folder / "**" / "*"), recursive=True) if os.path.isfile(f))


def test_a_fresh_cache_folder_is_private(filled: Path) -> None:
    library = one(filled, "gf/lib/graphflow.compiler.cpu.fastmath-*")
    folders = [filled / "gf", filled / "gf" / "__pycache__", filled / "gf" / "lib", library]
    folders += [Path(d) for d in glob.glob(str(filled / "gf" / "**" / "*"), recursive=True) if os.path.isdir(d)]
    for d in folders:
        assert d.is_dir() and stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    for f in files_under(filled / "gf"):
        assert stat.S_IMODE(os.stat(f).st_mode) & 0o077 == 0, f  # nobody else reads the code either
    # the library function's index and machine code are in the private folder, checked files
    assert glob.glob(str(library / "fastmath.tanh-*.gfi")) and glob.glob(str(library / "fastmath.tanh-*.gfc"))
    assert files_under(filled / "numba") == []  # numba's own folder holds nothing of graphflow's


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
    code = one(copy, "gf/lib/graphflow.compiler.cpu.fastmath-*/fastmath.tanh-*.gfc")
    data = bytearray(code.read_bytes())
    data[-10] ^= 0x01
    code.write_bytes(bytes(data))
    got = result(copy)
    assert any("is corrupt" in w and code.name in w for w in got["warnings"]), got["warnings"]
    assert cache_store.read_verified(str(code)) is not None


@pytest.mark.parametrize("where", ["gf", "gf/lib", "gf/lib/graphflow.compiler.cpu.fastmath-*"])
@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_cache_folder_others_can_write_is_refused(copy: Path, where: str, workers: str) -> None:
    """The cache folder, or the folder of a library's artefacts, whether the compile helper
    (which checks the library folders as it starts) is on or off."""
    folder = one(copy, where)
    os.chmod(folder, 0o777)
    out = run(copy, GRAPHFLOW_COMPILE_WORKERS=workers)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("graphflow.core.errors.PermissionDeniedError: ") and str(folder) in last
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


def test_a_new_folder_is_private_whatever_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = os.umask(0o002)
    monkeypatch.setenv("GRAPHFLOW_CACHE_DIR", str(tmp_path / "a" / "cache"))
    monkeypatch.setattr(cache, "_private", {})
    try:
        folder = cache.cache_dir()
        library = cache.library_dir("graphflow.compiler.cpu.blas")
    finally:
        os.umask(old)
    assert folder == str(tmp_path / "a" / "cache")
    assert library == cache_in(folder, "graphflow.compiler.cpu.blas")
    for d in (folder, os.path.join(folder, "__pycache__"), os.path.join(folder, "lib"), library):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
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


# Library functions compiled through cache.library (as generated modules and the compile helper
# reach them), with every file the process opens for writing, renames or replaces recorded
LIBRARY_SCRIPT = textwrap.dedent("""
    import os, sys
    written = []
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event, args):
        if event == "open" and isinstance(args[0], (str, bytes)) and isinstance(args[2], int):
            # a folder opened for writing is an unnamed temporary file in it (O_TMPFILE), never
            # linked there: numba's probe that it could write there
            if args[2] & WRITE and not os.path.isdir(args[0]):
                written.append(os.fsdecode(args[0]))
        elif event in ("os.rename", "os.replace"):
            written.append(os.fsdecode(args[1]))

    sys.addaudithook(hook)
    import json
    from graphflow.runtime import cache, compile_pool
    jobs = [("graphflow.compiler.cpu.fastmath", "tanh", [["float32", -1]]),
            ("graphflow.compiler.cpu.xent_kernels", "softmax_xent", [["float32", 2], ["float32", 2], ["float32", 1]]),
            ("graphflow.compiler.cpu.blas", "gemm", [["float32", 2], ["bool", -1], ["float32", 2], ["bool", -1],
                                                 ["float32", 2], ["float64", -1], ["float64", -1]]),
            ("graphflow.compiler.cpu.gemm_threads", "narrow", [["int64", -1]] * 3)]
    stats = {}
    for module, name, args in jobs:
        fn = getattr(cache.library(module), name)
        fn.compile(tuple(compile_pool._numba_type(*a) for a in args))
        stats[name] = [sum(fn.stats.cache_hits.values()), sum(fn.stats.cache_misses.values()),
                       fn._cache._cache_path]
    print(json.dumps({"stats": stats, "written": written}))
""")


@pytest.mark.parametrize("numba_cache_dir", [False, True], ids=["package __pycache__", "NUMBA_CACHE_DIR"])
def test_library_artefacts_are_private_checked_and_shared(tmp_path: Path, numba_cache_dir: bool) -> None:
    """numba would keep a library function's artefacts beside its module (the installed package's
    __pycache__) or in NUMBA_CACHE_DIR (often a shared /tmp); they are in the private cache folder,
    and a second process loads them: nothing is compiled again, nothing is written elsewhere."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(GRAPHFLOW_CACHE_DIR=str(tmp_path / "gf"), GRAPHFLOW_COMPILE_WORKERS="0", PYTHONDONTWRITEBYTECODE="1")
    if numba_cache_dir:
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", LIBRARY_SCRIPT], env=env, capture_output=True, text=True,
                             timeout=600)
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    gf = os.path.realpath(tmp_path / "gf")
    for got in runs:
        outside = [p for p in got["written"] if not os.path.realpath(p).startswith(gf + os.sep)]
        assert outside == [], outside
    first, second = runs[0]["stats"], runs[1]["stats"]
    assert set(first) == {"tanh", "softmax_xent", "gemm", "narrow"}
    for name, (hits, misses, path) in first.items():
        assert misses >= 1 and hits == 0, (name, first[name])  # compiled: an empty cache
        module = {"tanh": "fastmath", "softmax_xent": "xent_kernels", "gemm": "blas", "narrow": "gemm_threads"}[name]
        assert path == cache_in(str(tmp_path / "gf"), f"graphflow.compiler.cpu.{module}")
        assert glob.glob(os.path.join(path, f"{module}.{name}-*.gfi")), name
        assert glob.glob(os.path.join(path, f"{module}.{name}-*.gfc")), name
    for name, (hits, misses, path) in second.items():
        # loaded from the first process's files
        assert misses == 0 and hits >= 1 and path == first[name][2], (name, second[name])
    files = files_under(tmp_path / "gf")
    assert files and all(f.endswith((".gfi", ".gfc")) for f in files), files
    for f in files:
        assert cache_store.read_verified(f) is not None, f  # every one carries its sha256
    assert files_under(tmp_path / "numba") == []


def test_the_compile_helper_fills_the_same_library_folders(tmp_path: Path) -> None:
    """A Session whose graph calls an uncached library function starts the compile helper, which
    compiles it into this process's lib/ folder (the default folder here, under XDG_CACHE_HOME):
    this process then loads it and compiles nothing."""
    script = textwrap.dedent("""
        import json
        import graphflow as gf
        from graphflow.runtime import cache, compile_pool
        gf.sigmoid(gf.placeholder(gf.float32, ()))
        gf.Session()
        helped = len(compile_pool._helper)
        compile_pool.wait()
        fn = cache.library("graphflow.compiler.cpu.fastmath").sigmoid
        fn.compile((compile_pool._numba_type("float32", -1),))
        print(json.dumps([helped, sum(fn.stats.cache_hits.values()), sum(fn.stats.cache_misses.values()),
                          fn._cache._cache_path, cache.cache_dir()]))
    """)
    env = {k: v for k, v in os.environ.items() if k != "GRAPHFLOW_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "home"), NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               GRAPHFLOW_COMPILE_WORKERS="1")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    helped, hits, misses, path, folder = json.loads(out.stdout.strip().splitlines()[-1])
    assert folder == str(tmp_path / "home" / "graphflow")
    assert helped == 1 and hits == 1 and misses == 0
    assert path == cache_in(folder, "graphflow.compiler.cpu.fastmath")
    assert glob.glob(os.path.join(path, "fastmath.sigmoid-*.gfc"))
    assert files_under(tmp_path / "numba") == []


def test_a_library_folder_changes_with_the_modules_it_compiles_in(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """numba keys a library's index on its own file: a change to a compiler module it imports (whose
    functions it compiles in, as blas.gemm compiles gemm_threads.narrow) must start a fresh folder,
    or stale machine code would call what no longer exists."""
    files = {"graphflow.compiler.lib_a": "from graphflow.compiler import lib_b as _b\nimport numba\n",
             "graphflow.compiler.lib_b": "from graphflow.compiler.lib_c import f\nimport graphflow.core.ir\n",
             "graphflow.compiler.lib_c": "from graphflow.ops.lib_d import g\ndef f(): return 1\n",
             "graphflow.ops.lib_d": "def g(): return 1\n",  # an op module's rule compiled in (conv_geometry)
             "graphflow.core.ir": "class Graph: pass\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(cache.importlib.util, "find_spec",
                        lambda name: SimpleNamespace(origin=str(tmp_path / name)) if name in files else None)
    before = cache._digest("graphflow.compiler.lib_a", frozenset())
    (tmp_path / "graphflow.compiler.lib_c").write_text("from graphflow.ops.lib_d import g\ndef f(): return 2\n")
    assert cache._digest("graphflow.compiler.lib_a", frozenset()) != before
    with_f2 = cache._digest("graphflow.compiler.lib_a", frozenset())
    (tmp_path / "graphflow.ops.lib_d").write_text("def g(): return 2\n")
    assert cache._digest("graphflow.compiler.lib_a", frozenset()) != with_f2
    # only modules numba may compile in are followed: the core's classes are not
    lib_b = cache._digest("graphflow.compiler.lib_b", frozenset())
    (tmp_path / "graphflow.core.ir").write_text("class Graph: x = 1\n")
    assert cache._digest("graphflow.compiler.lib_b", frozenset()) == lib_b
    assert cache._imported(files["graphflow.compiler.lib_b"], "lib_b") == {"graphflow.compiler.lib_c"}
