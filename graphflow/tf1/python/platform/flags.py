"""``tf.flags`` / ``tf.app.flags``: absl-py's flags, as in TF1, with TF1's ``FLAGS`` that parses
``sys.argv`` on first use (scripts read ``FLAGS.x`` at module level, before ``tf.app.run``)."""
from __future__ import annotations

import sys
from typing import Any

try:
    from absl import flags as _absl
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError("tf.flags and tf.app.run use absl-py, as TF1 does: pip install absl-py") from e


class _FlagValuesWrapper:
    """absl's ``FLAGS``, parsed from ``sys.argv`` (unknown flags tolerated) when first read."""

    def __init__(self, flag_values: _absl.FlagValues) -> None:
        self.__dict__["__wrapped"] = flag_values

    def _parse_if_needed(self) -> None:
        fv = self.__dict__["__wrapped"]
        if not fv.is_parsed():
            fv(sys.argv if sys.argv else ["graphflow"], known_only=True)

    def __getattr__(self, name: str) -> Any:
        fv = self.__dict__["__wrapped"]
        if name.startswith("__") or name in ("is_parsed", "mark_as_parsed", "unparse_flags"):
            return getattr(fv, name)
        self._parse_if_needed()
        return getattr(fv, name)

    def __setattr__(self, name: str, value: object) -> None:
        self._parse_if_needed()
        setattr(self.__dict__["__wrapped"], name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.__dict__["__wrapped"], name)

    def __dir__(self) -> list[str]:
        return dir(self.__dict__["__wrapped"])

    def __getitem__(self, name: str) -> Any:
        return self.__dict__["__wrapped"][name]

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__["__wrapped"]

    def __iter__(self) -> Any:
        return iter(self.__dict__["__wrapped"])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__dict__["__wrapped"](*args, **kwargs)


FLAGS = _FlagValuesWrapper(_absl.FLAGS)

DEFINE_string = _absl.DEFINE_string
DEFINE_integer = _absl.DEFINE_integer
DEFINE_float = _absl.DEFINE_float
DEFINE_boolean = _absl.DEFINE_boolean
DEFINE_bool = _absl.DEFINE_bool
DEFINE_enum = _absl.DEFINE_enum
DEFINE_list = _absl.DEFINE_list
DEFINE_multi_string = _absl.DEFINE_multi_string
DEFINE_multi_integer = _absl.DEFINE_multi_integer
DEFINE_spaceseplist = _absl.DEFINE_spaceseplist
mark_flag_as_required = _absl.mark_flag_as_required
mark_flags_as_required = _absl.mark_flags_as_required
FlagValues = _absl.FlagValues
Error = _absl.Error


def __getattr__(name: str) -> Any:
    """absl.flags' other names (``flags.BooleanParser``, ``flags.DEFINE``...), as TF1's module
    star-imports them."""
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_absl, name)
