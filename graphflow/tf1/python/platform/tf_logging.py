"""``tf.logging``: TF1's logging functions over Python's ``logging`` (the "graphflow" logger,
writing to stderr, WARN by default as TF1)."""
from __future__ import annotations

import logging as _logging
import sys
from typing import Any

DEBUG, INFO, WARN, ERROR, FATAL = _logging.DEBUG, _logging.INFO, _logging.WARN, _logging.ERROR, _logging.FATAL
WARNING = WARN

_logger = _logging.getLogger("graphflow")
if not _logger.handlers:
    _handler = _logging.StreamHandler(sys.stderr)
    _handler.setFormatter(_logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    _logger.addHandler(_handler)
    _logger.setLevel(WARN)
    _logger.propagate = False
_counts: dict[Any, int] = {}


def get_logger() -> _logging.Logger:
    return _logger


def set_verbosity(v: int) -> None:
    _logger.setLevel(v)


def get_verbosity() -> int:
    return _logger.getEffectiveLevel()


def log(level: int, msg: object, *args: object, **kwargs: Any) -> None:
    _logger.log(level, msg, *args, **kwargs)


def debug(msg: object, *args: object, **kwargs: Any) -> None:
    _logger.debug(msg, *args, **kwargs)


def info(msg: object, *args: object, **kwargs: Any) -> None:
    _logger.info(msg, *args, **kwargs)


def warning(msg: object, *args: object, **kwargs: Any) -> None:
    _logger.warning(msg, *args, **kwargs)


warn = warning


def error(msg: object, *args: object, **kwargs: Any) -> None:
    _logger.error(msg, *args, **kwargs)


def fatal(msg: object, *args: object, **kwargs: Any) -> None:
    _logger.fatal(msg, *args, **kwargs)


def vlog(level: int, msg: object, *args: object, **kwargs: Any) -> None:
    _logger.log(level, msg, *args, **kwargs)


def log_every_n(level: int, msg: object, n: int, *args: object) -> None:
    """Log on the 1st, (n+1)th, (2n+1)th... call from the calling line."""
    key = sys._getframe(1).f_code, sys._getframe(1).f_lineno
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    if count % max(int(n), 1) == 0:
        _logger.log(level, msg, *args)


def log_first_n(level: int, msg: object, n: int, *args: object) -> None:
    key = sys._getframe(1).f_code, sys._getframe(1).f_lineno
    count = _counts.get(key, 0)
    _counts[key] = count + 1
    if count < n:
        _logger.log(level, msg, *args)


def log_if(level: int, msg: object, condition: object, *args: object) -> None:
    if condition:
        _logger.log(level, msg, *args)


def flush() -> None:
    for h in _logger.handlers:
        h.flush()


TaskLevelStatusMessage = info
