"""Count how often public TF1 code uses each TensorFlow name, and rank what graphflow lacks.

    python tools/tf1_usage.py [--out docs/tf1_usage.md] [--mirror DIR] [--exclude GLOB] REPO... | @LISTFILE

A REPO is a checked-out repository, a git directory (read at HEAD), or `owner/name` for a snapshot
at `DIR/owner+name/repo`; `@LISTFILE` reads them one a line. In each `*.py` file and notebook code
cell the tool finds what TensorFlow is bound to (`import tensorflow.compat.v1 as tf`, `from
tensorflow.contrib import slim`, `slim = tf.contrib.slim`, `from tensorflow.nn import relu`, ...)
and counts the uses of `tf.<name>` / `tf.<module>.<name>` (attribute chains; comments and strings
skipped), per repository (the ranking), file and occurrence. Modules and reasons come from
tools/tf1_coverage.py; a name is provided when `graphflow.<module>.<name>` resolves. The counting
needs neither TensorFlow nor graphflow; the report imports graphflow (and TensorFlow, if installed,
to tell names TF1 never had).
"""
from __future__ import annotations

import argparse
import fnmatch
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tf1_coverage import _I25, _TF2, CONTRIB, MODULES, REASONS  # noqa: E402

# Modules of TF1's tree beyond tf1_coverage's: a chain `tf.a.b.c` walks these before naming a name.
# Every `tf.contrib.<x>` is a module, and below contrib.*, python.*, examples.* and keras.* a lower-case
# part followed by another `.part` is one.
KNOWN = {m for m in MODULES if m} | set(CONTRIB) | {
    "contrib", "nn.rnn_cell", "app.flags", "python_io", "sysconfig", "resource_loader", "user_ops", "manip",
    "spectral", "bitwise", "quantization", "sets", "signal", "lookup", "distribute", "autograph", "config",
    "experimental", "ragged", "tpu", "version", "xla", "audio", "mixed_precision", "train.queue_runner",
    "saved_model.builder", "saved_model.loader", "saved_model.signature_constants", "saved_model.utils",
    "saved_model.signature_def_utils", "saved_model.tag_constants", "estimator.inputs", "estimator.export",
    "python", "examples", "compat.v1", "compat.v2", "layers.experimental", "summary.experimental", "core", "tools",
    "optimizers", "data.experimental", "autograph.experimental", "nn.seq2seq"}
_OPEN = ("contrib.", "python.", "examples.", "keras.", "core.", "tools.")
_SLIM_DATA = "tf.contrib.slim's dataset readers over TFRecords (decoders, providers, parallel readers): not built"
# Reasons of this tool's own, for modules tf1_coverage.py does not list; tried after its REASONS.
MORE_REASONS = [
    ("contrib", r"nccl\..*", "NCCL's multi-GPU collectives: graphflow distributes with MPI (docs/distributed.md)"),
    ("contrib.slim", r"(tfexample_decoder|dataset_data_provider|dataset|data_decoder|queues|prefetch_queue|"
                     r"parallel_reader)\..*", _SLIM_DATA),
    ("contrib.learn", r"(Estimator|Experiment|RunConfig|MetricSpec|ModeKeys|learn_runner\..*)", _I25),
    ("contrib", r"(boosted_trees|tensor_forest|factorization)\..*", _I25),
    ("contrib", r"(tpu|cluster_resolver)\..*", "TPUs and TPUEstimator: graphflow has no TPU backend"),
    ("tpu", r".*", "TPUs and TPUEstimator: graphflow has no TPU backend"),
    ("contrib.training", r"(bucket|bucket_by_sequence_length|batch_sequences_with_states|SequenceQueueingStateSaver|"
                         r"NextQueuedSequenceBatch|FeedingQueueRunner|stratified_sample|rejection_sample|"
                         r"resample_at_rate|weighted_resample)", (
         "tf.contrib.training's queue-based bucketing, sampling and state saving: not built")),
    ("contrib.keras", r"(?!initializers\.(he|glorot|lecun)_(normal|uniform)$).*", _I25),
    ("contrib", r"eager\..*", _TF2), ("optimizers", r".*", _TF2)]
_INTERNAL = ("internal path (tensorflow.python, tf.contrib.<x>.python, tensorflow.core protos) that graphflow does "
             "not offer: it offers the internal modules public code commonly imports, as views of its public names")
# Reasons for names of internal modules, tried before REASONS and MORE_REASONS (which give a contrib.<x>.python
# path its contrib.<x>'s reason): (module pattern, name pattern, reason), both matched whole.
INTERNAL_REASONS = [
    (r"contrib\.slim\.python\.slim\.data(\..*)?", r".*", _SLIM_DATA),
    (r"contrib\.slim\.python\.slim", r"queues", _SLIM_DATA),
    (r"python\.ops\.lookup_ops", r".*", "lookup tables (tf.lookup, tf.contrib.lookup): graphflow has none"),
    (r"python\.keras(\..*)?", r".*", _I25),
    (r"contrib\.learn\.python\.learn\.(estimators|learn_runner)(\..*)?", r".*", _I25),
    (r"python\.ops\.gen_audio_ops", r".*", "audio ops (decode_wav, mfcc, audio_spectrogram): graphflow has none"),
    (r"python\.framework\.dtypes", r"(q(u)?int\d+|.*_ref)", "quantized and reference dtypes: graphflow has none"),
    (r"python\.debug(\..*)?", r".*", "tfdbg, TF's debugger: graphflow has none (its dumps: graphflow's own)"),
    (r"python\.ops\.variable_scope", r"Eager.*", _TF2), (r"python\.tf2", r".*", _TF2)]
_NOT_TF1 = "not in TF1's API (tensorflow.compat.v1): a name TF 1.0 removed (tf.pack, tf.mul, tf.*_summary) or none"

_STRING = r"""(?:[rRbBuUfF]{1,2})?(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")"""
_TOKEN = re.compile(rf"""(?P<str>{_STRING})|(?P<comment>\#[^\n]*)|(?P<cont>\\\r?\n)|(?P<name>[A-Za-z_]\w*)
    |(?P<num>\d[\w.]*)|(?P<nl>\n)|(?P<op>[^\s\w])""", re.VERBOSE)


def statements(source: str) -> list[list[str]]:
    """Split source into statements of tokens: names and operators; a string is one '"' token,
    comments and line continuations are dropped. Tolerates Python 2 and broken code."""
    out: list[list[str]] = [[]]
    depth = 0
    for m in _TOKEN.finditer(source):
        kind, text = m.lastgroup, m.group()
        if kind in ("comment", "cont"):
            continue
        if kind == "nl" or (kind == "op" and text == ";" and depth == 0):
            if depth == 0 and out[-1]:
                out.append([])
            continue
        if kind == "op":
            depth = max(0, depth + (text in "([{") - (text in ")]}"))
        out[-1].append('"' if kind == "str" else "0" if kind == "num" else text)
    return [s for s in out if s]


def canonical(module: str) -> str:
    """TF1's module path with `compat.v1` read as the root."""
    return "" if module == "compat.v1" else module[len("compat.v1."):] if module.startswith("compat.v1.") else module


def is_module(path: str, followed_by_attr: bool = False, part: str = "") -> bool:
    if path in KNOWN or path.startswith("contrib.") and path.count(".") == 1:
        return True
    return followed_by_attr and part.islower() and path.startswith(_OPEN)


def _dotted(toks: list[str], i: int) -> tuple[str, int]:
    parts = [toks[i]]
    while i + 2 < len(toks) and toks[i + 1] == "." and re.match(r"[A-Za-z_]", toks[i + 2]):
        parts.append(toks[i + 2])
        i += 2
    return ".".join(parts), i + 1


def _walk(module: str, parts: list[str]) -> tuple[str, str | None]:
    """Resolve attribute parts below `module`: (module reached, the name used or None)."""
    for k, part in enumerate(parts):
        sub = f"{module}.{part}" if module else part
        if is_module(sub, k + 1 < len(parts), part):
            module = canonical(sub)
        else:
            return module, part
    return module, None


@dataclass
class FileScan:
    """What one file binds TensorFlow to, and the TF names it uses with their occurrence counts."""
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> TF module path ("" is tf)
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)  # local name -> (module, name)
    uses: Counter[tuple[str, str]] = field(default_factory=Counter)


def _imports(st: list[str], scan: FileScan, attr_names: set[str]) -> None:
    if st[0] == "import":
        i = 1
        while i < len(st):
            path, i = _dotted(st, i)
            if i + 1 < len(st) and st[i] == "as":
                local, i = st[i + 1], i + 2
                if path == "tensorflow" or path.startswith("tensorflow."):
                    mod, name = _walk("", path.split(".")[1:])
                    if name is None:
                        scan.aliases[local] = mod
            elif path.split(".")[0] == "tensorflow":
                scan.aliases["tensorflow"] = ""
            i += 1  # the comma
    elif st[0] == "from" and len(st) > 3 and st[1] == "tensorflow":
        path, i = _dotted(st, 1)
        base = canonical(path[len("tensorflow."):] if "." in path else "")
        names = [t for t in st[i + 1:] if t not in "(),"]
        for k, name in enumerate(names):
            if name == "as" or k > 0 and names[k - 1] == "as" or name == "*":
                continue
            local = names[k + 2] if k + 2 < len(names) and names[k + 1] == "as" else name
            sub = f"{base}.{name}" if base else name
            if is_module(sub, local in attr_names, name):
                scan.aliases[local] = canonical(sub)
            else:
                scan.imported[local] = (base, name)
                scan.uses[(base, name)] += 0


def scan_source(source: str) -> FileScan:
    """Find TensorFlow's aliases in source and count the TF names it uses."""
    scan = FileScan()
    sts = statements(source)
    attr_names = {st[i] for st in sts for i in range(len(st) - 1) if st[i + 1] == "." and (i == 0 or st[i - 1] != ".")}
    for st in sts:
        if st[0] in ("import", "from"):
            _imports(st, scan, attr_names)
    for st in sts + sts:  # `slim = tf.contrib.slim`, then `layers = slim.layers`
        if len(st) >= 3 and st[1] == "=" and st[2] in scan.aliases and _dotted(st, 2)[1] == len(st):
            mod, name = _walk(scan.aliases[st[2]], _dotted(st, 2)[0].split(".")[1:])
            if name is None:
                scan.aliases[st[0]] = mod
    for st in sts:
        if st[0] in ("import", "from"):
            continue
        for i, tok in enumerate(st):
            if i > 0 and st[i - 1] == ".":
                continue
            if tok in scan.aliases and i + 2 < len(st) and st[i + 1] == ".":
                path, _ = _dotted(st, i)
                mod, name = _walk(scan.aliases[tok], path.split(".")[1:])
                if name is not None:
                    scan.uses[(mod, name)] += 1
            elif tok in scan.imported and (i + 1 == len(st) or st[i + 1] != "="):
                scan.uses[scan.imported[tok]] += 1
    for key, n in scan.uses.items():
        scan.uses[key] = max(n, 1)  # an imported name counts once where the file only imports it
    return scan


def notebook_code(text: str) -> str:
    """The code cells of a notebook (format 3 or 4), IPython magics and shell lines dropped."""
    try:
        nb = json.loads(text)
    except ValueError:  # a notebook that is not JSON
        return ""
    cells = nb.get("cells") or [c for w in nb.get("worksheets", []) for c in w.get("cells", [])]
    srcs = [c.get("source", c.get("input", "")) for c in cells if c.get("cell_type") == "code"]
    lines = "".join((s if isinstance(s, str) else "".join(s)) + "\n" for s in srcs).splitlines()
    return "\n".join(ln for ln in lines if not ln.lstrip().startswith(("%", "!")))


def _git_dir(path: Path) -> Path | None:
    if (path / "HEAD").is_file() and (path / "objects").is_dir():
        return path
    if (path / ".git").is_dir() and not [p for p in path.iterdir() if p.name != ".git"]:
        return path / ".git"
    return None


def repo_files(path: Path) -> Iterator[tuple[str, str]]:
    """(relative path, Python source) for each `*.py` file and notebook of a repository."""
    git = _git_dir(path)
    if git is None:
        for f in sorted(path.rglob("*")):
            if f.suffix in (".py", ".ipynb") and f.is_file() and ".git" not in f.parts:
                text = f.read_text(errors="replace")
                yield str(f.relative_to(path)), notebook_code(text) if f.suffix == ".ipynb" else text
        return
    listing = subprocess.run(["git", "--git-dir", str(git), "ls-tree", "-r", "-z", "HEAD"], capture_output=True,
                             check=True).stdout.decode(errors="replace").split("\0")
    entries = [(e.split("\t", 1)[1], e.split()[2]) for e in listing
               if "\t" in e and e.split()[1] == "blob" and e.endswith((".py", ".ipynb"))]
    batch = subprocess.run(["git", "--git-dir", str(git), "cat-file", "--batch"], capture_output=True, check=False,
                           input="".join(f"{sha}\n" for _, sha in entries).encode()).stdout
    pos = 0
    for rel, _ in entries:
        end = batch.index(b"\n", pos)
        header, pos = batch[pos:end].split(), end + 1
        if len(header) == 3:  # else "<sha> missing": a file the snapshot lacks (4 MiB and more)
            text, pos = batch[pos:pos + int(header[2])].decode(errors="replace"), pos + int(header[2]) + 1
            yield rel, notebook_code(text) if rel.endswith(".ipynb") else text


@dataclass
class Tally:
    """Use counts over repositories: per name the repositories, files and occurrences."""
    repos: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    files: Counter[tuple[str, str]] = field(default_factory=Counter)
    occurrences: Counter[tuple[str, str]] = field(default_factory=Counter)
    per_repo: dict[str, tuple[int, int]] = field(default_factory=dict)  # repo -> (files read, files using TF)

    def add(self, repo: str, files: Iterable[tuple[str, str]], exclude: Iterable[str] = ()) -> None:
        read = using = 0
        for rel, source in files:
            if any(fnmatch.fnmatch(rel, pat) for pat in exclude):
                continue
            read += 1
            scan = scan_source(source)
            using += bool(scan.aliases or scan.imported)
            for key, n in scan.uses.items():
                self.repos.setdefault(key, set()).add(repo)
                self.files[key] += 1
                self.occurrences[key] += n
        self.per_repo[repo] = (read, using)

    def ranked(self) -> list[tuple[str, str]]:
        return sorted(self.repos, key=lambda k: (-len(self.repos[k]), -self.files[k], -self.occurrences[k], k))


def label(key: tuple[str, str]) -> str:
    return f"tf.{key[0]}.{key[1]}" if key[0] else f"tf.{key[1]}"


def resolves(package: str, module: str, name: str) -> bool | None:
    """Whether `<package>.<module>.<name>` resolves, part by part (an attribute, else an importable module
    path, as `import graphflow.examples.tutorials.mnist` works); None where the package does not import."""
    try:
        obj: object = importlib.import_module(package)
    except Exception:  # noqa: BLE001 - TensorFlow not installed
        return None
    for part in [p for p in module.split(".") if p] + [name]:
        package += "." + part
        try:
            obj = getattr(obj, part) if hasattr(obj, part) else importlib.import_module(package)
        except Exception:  # noqa: BLE001 - no such module
            return False
    return True


def provided(module: str, name: str) -> bool:
    return resolves("graphflow", module, name) is True


def tf1_has(module: str, name: str) -> bool | None:
    """Whether tensorflow.compat.v1 has the name; None where TensorFlow is not installed or cannot tell
    (tf.contrib is in no TensorFlow 2, internal paths)."""
    if module.split(".")[0] in ("contrib", "python", "examples", "core", "tools"):
        return None
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # as tf1_coverage.py: compat.v1's keras is tf-keras
    return resolves("tensorflow.compat.v1", module, name)


def reason(module: str, name: str) -> str | None:
    """INTERNAL_REASONS' reason for a missing name of an internal module, else REASONS' (a submodule's name
    also looked up in its parents), else this tool's MORE_REASONS, else _INTERNAL for an internal module,
    else whether TF1 has the name at all."""
    parts = module.split(".") if module else []
    internal = "python" in parts or parts[:1] in (["core"], ["tools"])
    if internal:
        why = next((w for m, p, w in INTERNAL_REASONS if re.fullmatch(m, module) and re.fullmatch(p, name)), None)
        if why is not None:
            return why
    for table in (REASONS, MORE_REASONS):
        for i in range(len(parts), 0 if parts else -1, -1):
            mod, rest = ".".join(parts[:i]), ".".join(parts[i:] + [name])
            why = next((w for m, p, w in table if m == mod and re.fullmatch(p, rest)), None)
            if why is not None:
                return why
    if internal:
        return _INTERNAL
    return _NOT_TF1 if tf1_has(module, name) is False else None


def report(tally: Tally, commits: dict[str, str], command: str, top: int) -> str:
    ranked = tally.ranked()
    have = {k: provided(*k) for k in ranked}
    missing = [k for k in ranked if not have[k]]
    files = sum(r for r, _ in tally.per_repo.values())
    using = sum(u for _, u in tally.per_repo.values())
    lines = ["# TF1 usage: which TensorFlow names public TF1 code uses, and which graphflow lacks", "",
             f"Generated by `{command}`. Each repository was read at the commit listed below; to rerun, clone "
             "each at that commit and pass its directory, or put its git directory at `DIR/owner+name/repo` "
             "and pass `--mirror DIR`.", "",
             f"{len(tally.per_repo)} public TF1-era repositories, {files} Python files and notebooks read at each "
             f"snapshot's HEAD, {using} of them binding TensorFlow; {len(ranked)} distinct TF names used, "
             f"{len(missing)} of them not in graphflow. A use is an attribute chain from what a file binds "
             "TensorFlow to (`tf.nn.relu`, `slim.conv2d` after `slim = tf.contrib.slim`, `tf.compat.v1.X` as "
             "`tf.X`) or a name imported from tensorflow; comments and strings do not count. *repos* is the "
             "number of repositories using the name (the ranking), *files* the files, *uses* the occurrences. "
             "*graphflow* is whether `graphflow.<module>.<name>` resolves. Limits: a file that uses `tf` "
             "bound only by a star import (`from ops import *`) is not counted; a snapshot lacks files of 4 MiB "
             "and more (large notebooks), which are not read; names reached through a value "
             "(`tf.train.Saver().save`) count as the first name (`tf.train.Saver`).", "",
             "## Repositories", "", "| repository | commit | files read | files using TF |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {r} | `{commits.get(r, '?')[:12]}` | {n} | {u} |" for r, (n, u) in tally.per_repo.items()]

    def row(k: tuple[str, str], *extra: str) -> str:
        return " | ".join([f"| `{label(k)}`", str(len(tally.repos[k])), str(tally.files[k]),
                           str(tally.occurrences[k]), *extra]) + " |"
    used = sum(tally.occurrences.values())
    lines += ["", "## Coverage by use", "", f"The first name graphflow lacks is number "
              f"{next((i + 1 for i, k in enumerate(ranked) if not have[k]), 0)} of the ranking; graphflow has the "
              f"names of {sum(tally.occurrences[k] for k in ranked if have[k]) / max(used, 1):.1%} of all {used} uses.",
              "", "| names used by at least | names | in graphflow |", "| --- | --- | --- |"]
    for least in (1, 2, 3, 5, 10, 20):
        ks = [k for k in ranked if len(tally.repos[k]) >= least]
        lines.append(f"| {least} repositories | {len(ks)} | {sum(have[k] for k in ks)} |")
    lines += ["", f"## The {top} most used names", "", "| name | repos | files | uses | graphflow |",
              "| --- | --- | --- | --- | --- |"]
    lines += [row(k, "yes" if have[k] else "**no**") for k in ranked[:top]]
    lines += ["", "## Missing from graphflow, ranked by use", "",
              "Every missing name used in at least one repository, with REASONS' reason (tools/tf1_coverage.py) "
              "where one applies, else this tool's MORE_REASONS, else whether TF1 has the name at all. By reason "
              "(*repos using one*: repositories using at least one name of the group):", ""]
    why = {k: reason(*k) for k in missing}
    groups: dict[str, list[tuple[str, str]]] = {}
    for k in missing:
        groups.setdefault(why[k] or "not built yet", []).append(k)
    lines += ["| reason | missing names | repos using one | the most used |", "| --- | --- | --- | --- |"]
    lines += [f"| {w} | {len(ks)} | {len(set().union(*(tally.repos[k] for k in ks)))} | "
              + ", ".join(f"`{label(k)}` ({len(tally.repos[k])})" for k in ks[:4]) + " |"
              for w, ks in sorted(groups.items(), key=lambda g: -len(set().union(*(tally.repos[k] for k in g[1]))))]
    lines += [""]
    lines += [f"### Not built yet, and no reason against ({sum(w is None for w in why.values())} names)", "",
              "The gap to close from the top: missing names with no reason in REASONS or below.", "",
              "| name | repos | files | uses |", "| --- | --- | --- | --- |"]
    lines += [row(k) for k in missing if why[k] is None]
    lines += ["", "### All missing names", "", "| name | repos | files | uses | reason |",
              "| --- | --- | --- | --- | --- |"]
    lines += [row(k, why[k] or "not built yet") for k in missing]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], fromfile_prefix_chars="@")
    ap.add_argument("repos", nargs="+", help="repository paths, git directories, or owner/name under --mirror")
    ap.add_argument("--mirror", default="/work/.mirror", help="where fetched snapshots live (owner+name/repo)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "tf1_usage.md"))
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--exclude", action="append", default=[], help="skip files matching this glob (repo-relative)")
    args = ap.parse_args(argv)
    tally, commits = Tally(), {}
    for spec in args.repos:
        path = Path(spec)
        if not path.exists() and spec.count("/") == 1:
            path = Path(args.mirror) / spec.replace("/", "+") / "repo"
        tally.add(spec, repo_files(path), args.exclude)
        git = ["git", "--git-dir", str(_git_dir(path) or path / ".git"), "rev-parse", "HEAD"]
        commits[spec] = subprocess.run(git, capture_output=True, check=False).stdout.decode().strip() or "?"
    command = shlex.join(["python", "tools/tf1_usage.py", *(argv if argv is not None else sys.argv[1:])])
    Path(args.out).write_text(report(tally, commits, command, args.top))
    print(f"wrote {args.out}: {len(tally.per_repo)} repositories, {len(tally.repos)} names")


if __name__ == "__main__":
    main()
