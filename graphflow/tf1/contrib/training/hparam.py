"""``tf.contrib.training.HParams`` (TF 1.15): named hyperparameters with a type fixed when each is
added, overridden from a ``"a=1,b=[1,2],c=hi"`` string (a command-line flag), a dict or JSON.

Pure Python, as TF's was; the ``HParamDef`` protocol buffer (``to_proto``, ``hparam_def=``) is TF's
graph-collection serialisation and is not provided (JSON is).
"""
from __future__ import annotations

import json
import numbers
import re
from typing import TYPE_CHECKING, Any

# one clause of a parse string: name, an optional [index], '=', then a token or a bracketed list
_CLAUSE = re.compile(r"""
  (?P<name>[a-zA-Z][\w.]*)
  (\[\s*(?P<index>\d+)\s*\])?
  \s*=\s*
  ((?P<val>[^,\[]*) | \[(?P<vals>[^\]]*)\])
  ($|,\s*)""", re.VERBOSE)


def _cannot_parse(name: str, kind: type, text: str, values: str) -> ValueError:
    return ValueError(f"Could not parse hparam '{name}' of type '{kind.__name__}' with value '{text}' in {values}")


def _twice(name: str, values: str) -> ValueError:
    return ValueError(f"Multiple assignments to variable '{name}' in {values}")


def _parser(name: str, kind: type, values: str) -> Any:
    if kind is not bool:
        return kind

    def as_bool(text: str) -> bool:
        if text in ("true", "True"):
            return True
        if text in ("false", "False"):
            return False
        try:
            return bool(int(text))
        except ValueError:
            raise _cannot_parse(name, kind, text, values) from None
    return as_bool


def parse_values(values: str, type_map: dict[str, type], ignore_unknown: bool = False) -> dict[str, Any]:
    """Parse ``"name=value,..."`` into ``{name: value}`` with each value of ``type_map[name]``.

    A value is a token (``lr=0.1``, ``act=relu``, ``flag=true``) or a bracketed list (``dims=[1,2]``);
    ``arr[1]=3`` gives ``{"arr": {1: 3}}``. Assigning a name twice, an unknown name (unless
    ``ignore_unknown``) or a value the type cannot parse raises ``ValueError``.

    >>> parse_values("a=1,b=[2,3]", {"a": int, "b": int})
    {'a': 1, 'b': [2, 3]}
    """
    out: dict[str, Any] = {}
    pos = 0
    while pos < len(values):
        m = _CLAUSE.match(values, pos)
        if not m:
            raise ValueError(f"Malformed hyperparameter value: {values[pos:]}")
        pos = m.end()
        name, index, val, vals = m.group("name", "index", "val", "vals")
        if name not in type_map:
            if ignore_unknown:
                continue
            raise ValueError(f"Unknown hyperparameter type for {name}")
        kind = type_map[name]
        parse = _parser(name, kind, values)
        if val is not None:
            try:
                parsed = parse(val)
            except ValueError:
                raise _cannot_parse(name, kind, val, values) from None
            if index is None:
                if name in out:
                    raise _twice(name, values)
                out[name] = parsed
            else:
                slots = out.setdefault(name, {})
                if not isinstance(slots, dict):
                    raise _twice(name, values)
                if int(index) in slots:
                    raise _twice(f"{name}[{index}]", values)
                slots[int(index)] = parsed
        elif vals is not None:
            if index is not None:
                raise ValueError("Assignment of a list to a list index.")
            if name in out:
                raise _twice(name, values)
            try:
                out[name] = [parse(e) for e in re.split("[ ,]", vals) if e]
            except ValueError:
                raise _cannot_parse(name, kind, vals, values) from None
        else:
            raise _cannot_parse(name, kind, "", values)
    return out


def _cast(name: str, kind: type, value: Any) -> Any:
    """``value`` as ``kind`` where TF1 allows it (an int into a float hparam, not the reverse; no
    number into a string or bool and no string or bool into a number), else ``ValueError``."""
    if type(value) is kind or issubclass(kind, type(None)):
        return value
    bad = ValueError(f"Could not cast hparam '{name}' of type '{kind}' from value {value!r}")
    if issubclass(kind, (str, bytes)) and not isinstance(value, (str, bytes)):
        raise bad
    if issubclass(kind, bool) != isinstance(value, bool):
        raise bad
    if issubclass(kind, numbers.Integral) and not isinstance(value, numbers.Integral):
        raise bad
    if issubclass(kind, numbers.Number) and not isinstance(value, numbers.Number):
        raise bad
    return kind(value)  # type: ignore[call-arg]  # kind is a number or string type here


class HParams:
    """Hyperparameters as attributes, each with the type of the value it was added with.

    >>> hp = HParams(learning_rate=0.1, layers=[64, 32], act="relu")
    >>> hp.parse("learning_rate=0.3,layers=[8,8]").learning_rate
    0.3
    >>> hp.values()["layers"]
    [8, 8]
    """

    _HAS_DYNAMIC_ATTRIBUTES = True
    if TYPE_CHECKING:  # the hyperparameters are attributes set at run time
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, hparam_def: Any = None, model_structure: Any = None, **kwargs: Any) -> None:
        # name -> (the scalar type, or the type of a list's elements; whether the value is a list)
        self._hparam_types: dict[str, tuple[type, bool]] = {}
        self._model_structure = model_structure
        if hparam_def:
            raise NotImplementedError("HParams(hparam_def=...) reads TF's HParamDef protocol buffer, which "
                                      "graphflow does not provide: use HParams(**values) or parse_json")
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name: str, value: Any) -> None:
        """Add hyperparameter ``name``; a name that is already an attribute (a method, another
        hyperparameter) or an empty list raises ``ValueError``."""
        if getattr(self, name, None) is not None:
            raise ValueError(f"Hyperparameter name is reserved: {name}")
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError(f"Multi-valued hyperparameters cannot be empty: {name}")
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name: str, value: Any) -> None:
        """Set an existing hyperparameter, cast to its type; ``KeyError`` if there is none, and
        ``ValueError`` for a list given to a scalar one (or the reverse) or an incompatible type."""
        kind, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise ValueError(f"Must not pass a list for single-valued parameter: {name}")
            setattr(self, name, [_cast(name, kind, v) for v in value])
        else:
            if is_list:
                raise ValueError(f"Must pass a list for multi-valued parameter: {name}.")
            setattr(self, name, _cast(name, kind, value))

    def del_hparam(self, name: str) -> None:
        """Remove hyperparameter ``name`` (nothing happens when there is none)."""
        if hasattr(self, name):
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values: str) -> HParams:
        """Override hyperparameters from ``"name=value,..."`` (see ``parse_values``); returns self."""
        return self.override_from_dict(parse_values(values, {n: t for n, (t, _) in self._hparam_types.items()}))

    def override_from_dict(self, values_dict: dict[str, Any]) -> HParams:
        """``set_hparam`` for each item; returns self."""
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    def set_from_map(self, values_map: dict[str, Any]) -> HParams:
        """Deprecated in TF1 for ``override_from_dict``, which it is."""
        return self.override_from_dict(values_map)

    def set_model_structure(self, model_structure: Any) -> None:
        self._model_structure = model_structure

    def get_model_structure(self) -> Any:
        return self._model_structure

    def to_json(self, indent: int | None = None, separators: tuple[str, str] | None = None,
                sort_keys: bool = False) -> str:
        """The values as a JSON object."""
        return json.dumps(self.values(), indent=indent, separators=separators, sort_keys=sort_keys)

    def parse_json(self, values_json: str) -> HParams:
        """Override hyperparameters from a JSON object; returns self."""
        return self.override_from_dict(json.loads(values_json))

    def values(self) -> dict[str, Any]:
        """``{name: value}`` of every hyperparameter."""
        return {n: getattr(self, n) for n in self._hparam_types}

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, else ``default``; a ``default`` the hyperparameter's type could not
        hold raises ``ValueError``."""
        if key not in self._hparam_types:
            return default
        if default is not None:
            kind, is_list = self._hparam_types[key]
            shown = f"list<{kind}>" if is_list else str(kind)
            bad = f"Hparam '{key}' of type '{shown}' is incompatible with default={default}"
            if is_list != isinstance(default, list):
                raise ValueError(bad)
            try:
                for v in default if is_list else [default]:
                    _cast(key, kind, v)
            except ValueError as e:
                raise ValueError(f"{bad}. {e}") from None
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return key in self._hparam_types

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.values().items())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self.values().items())})"
