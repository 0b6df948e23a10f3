"""TF1's naming of a graph's operations: unique names under the current name scope
("add", "add_1", ...; compared case-insensitively), and names an importer holds for the file's
nodes. ``Graph`` inherits it; it reads the graph's nodes, names and current scope."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class NameTable:
    """The name bookkeeping of a ``Graph`` (which sets ``_nodes``, ``_names`` and ``_scope``)."""

    _nodes: Sequence[_Named]
    _names: Mapping[str, _Named]
    _scope: str

    def _init_names(self) -> None:
        self._names_in_use: dict[str, int] = {}  # lowercased name -> next suffix to try
        self._held: set[str] = set()  # exact names an import holds for the file's nodes
        self._handed: set[str] = set()  # exact names the next request receives as they are
        self._scopes_of_ops: set[str] = set()  # "a", "a/b" of an op "a/b/c" (for reserve_name)
        self._scopes_upto = 0  # nodes whose scopes are in _scopes_of_ops

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """``name`` under the current name scope, made unique as TF1 does: the first use keeps it,
        later ones get ``_1``, ``_2``, ...; names compare case-insensitively ("Add" takes "add").

        One counter per lowercased name: a request costs O(1) amortized, not a probe of every
        earlier suffix. The counter only moves past suffixes that are taken (a taken name stays
        taken), so resuming from it finds the same name TF1's count-from-the-last-request does.
        A name handed over by ``release_name`` goes to the first request for exactly it.

        >>> from graphflow.core.ir import Graph
        >>> g = Graph(); [g.unique_name("add") for _ in range(3)]
        ['add', 'add_1', 'add_2']
        """
        full = f"{self._scope}/{name}" if self._scope else name
        key = full.lower()
        used = self._names_in_use
        if self._handed and full in self._handed:
            if mark_as_used:
                self._handed.discard(full)
                used.setdefault(key, 1)  # later requests are numbered past it
            return full
        i = used.get(key, 0)
        if i == 0:
            if mark_as_used:
                used[key] = 1
            return full
        while f"{key}_{i}" in used:
            i += 1
        if mark_as_used:
            used[key] = i + 1
            used[f"{key}_{i}"] = 1
        return f"{full}_{i}"

    def reserve_name(self, name: str) -> bool:
        """Hold the exact ``name`` (already scoped) for a node built later: ``unique_name`` gives it
        to no one until ``release_name`` hands it over, so the importer's nodes get exactly the
        file's names ("x" beside "X", as TF1) and helpers built on the way take none of them. False,
        holding nothing, when an operation has the name or it is the scope of one ("a" of "a/b"):
        TF1's importer numbers that node. Holding marks the lowercased name used for good, as TF1
        marks an imported name, so later requests in any case are numbered past it."""
        if name in self._held or name in self._handed or name in self._names or name in self._op_scopes():
            return False
        self._held.add(name)
        self._names_in_use.setdefault(name.lower(), 1)
        return True

    def release_name(self, name: str, hand_over: bool = True) -> None:
        """End the hold on ``name``. ``hand_over``: the next request for exactly ``name`` receives
        it, whatever the lowercased counter says; otherwise a hand-over not yet taken is withdrawn."""
        if hand_over:
            if name in self._held:
                self._held.discard(name)
                self._handed.add(name)
        else:
            self._held.discard(name)
            self._handed.discard(name)

    def _op_scopes(self) -> set[str]:
        """The scopes of operations ("a", "a/b" of "a/b/c"), extended over the nodes added since
        the last call: each name is split once in the graph's life."""
        scopes = self._scopes_of_ops
        nodes = self._nodes
        for node in nodes[self._scopes_upto:]:
            cut = node.name.rfind("/")
            while cut > 0:
                prefix = node.name[:cut]
                if prefix in scopes:
                    break  # its own scopes were added with it
                scopes.add(prefix)
                cut = prefix.rfind("/")
        self._scopes_upto = len(nodes)
        return scopes
