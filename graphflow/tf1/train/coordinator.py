"""``tf.train.Coordinator`` and ``LooperThread``: stopping a set of Python threads together.

A thread that fails reports its exception with ``request_stop(e)`` (or runs inside
``stop_on_exception()``); every thread sees ``should_stop()``; ``join`` waits for them and raises
the first reported exception in the joining thread. ``OutOfRangeError`` (the end of the input) is a
clean stop, as in TF1.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Union

from graphflow.core.errors import OutOfRangeError
from graphflow.tf1.python.platform import tf_logging as logging

__all__ = ["Coordinator", "LooperThread"]

ExcInfo = tuple[type[BaseException], BaseException, Union[TracebackType, None]]


class Coordinator:
    """Stops threads together and carries the first failure to ``join``.

    >>> import graphflow as gf
    >>> coord = gf.train.Coordinator()
    >>> coord.request_stop()
    >>> coord.should_stop()
    True
    """

    def __init__(self, clean_stop_exception_types: Sequence[type[BaseException]] | None = None) -> None:
        self._clean = tuple(clean_stop_exception_types if clean_stop_exception_types is not None
                            else (OutOfRangeError,))
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info: ExcInfo | None = None
        self._joined = False
        self._registered: set[threading.Thread] = set()

    def _filter(self, ex: BaseException | ExcInfo) -> ExcInfo | None:
        if isinstance(ex, tuple):
            kind, value, tb = ex
        else:
            kind, value, tb = type(ex), ex, ex.__traceback__
        if isinstance(value, self._clean):
            return None
        return (kind, value, tb)

    def request_stop(self, ex: BaseException | ExcInfo | None = None) -> None:
        """Ask every thread to stop; ``ex`` (an exception or ``sys.exc_info()``), unless a clean stop
        type, is raised later by ``join``. Only the first reported exception is kept."""
        with self._lock:
            if ex is not None and not self._joined:
                info = self._filter(ex)
                if info is not None and self._exc_info is None:
                    logging.info("Error reported to Coordinator: %s", info[1])
                    self._exc_info = info
            self._stop_event.set()

    def clear_stop(self) -> None:
        """Forget the stop request and the reported exception (to run the threads again)."""
        with self._lock:
            self._joined = False
            self._exc_info = None
            self._stop_event.clear()

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    @contextmanager
    def stop_on_exception(self) -> Iterator[None]:
        """``with coord.stop_on_exception(): ...``: an exception raised inside requests the stop and
        is swallowed here (``join`` raises it)."""
        try:
            yield
        except Exception:
            self.request_stop(ex=sys.exc_info())  # type: ignore[arg-type]

    def wait_for_stop(self, timeout: float | None = None) -> bool:
        """Wait (at most ``timeout`` seconds) until a stop is requested; True if it was."""
        return self._stop_event.wait(timeout)

    def register_thread(self, thread: threading.Thread) -> None:
        """Have ``join`` wait for ``thread`` too."""
        with self._lock:
            self._registered.add(thread)

    def join(self, threads: Iterable[threading.Thread] | None = None, stop_grace_period_secs: float = 120,
             ignore_live_threads: bool = False) -> None:
        """Wait until the threads (given and registered) end or a stop is requested, then give them
        ``stop_grace_period_secs`` to end. Raises the first exception reported to ``request_stop``;
        otherwise ``RuntimeError`` naming the threads still alive (unless ``ignore_live_threads``)."""
        with self._lock:
            waiting = set(threads or ()) | self._registered
        while any(t.is_alive() for t in waiting) and not self.wait_for_stop(1.0):
            pass
        deadline = time.monotonic() + max(float(stop_grace_period_secs), 0.0)
        pause = 0.001
        while any(t.is_alive() for t in waiting) and time.monotonic() < deadline:
            time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause *= 2
        stragglers = sorted(t.name for t in waiting if t.is_alive())
        with self._lock:
            self._joined = True
            self._registered = set()
            if self._exc_info is not None:
                raise self._exc_info[1].with_traceback(self._exc_info[2])
        if stragglers:
            if ignore_live_threads:
                logging.info("Coordinator stopped with threads still running: %s", " ".join(stragglers))
            else:
                raise RuntimeError("Coordinator stopped with threads still running: " + " ".join(stragglers))

    @property
    def joined(self) -> bool:
        return self._joined

    def raise_requested_exception(self) -> None:
        """Raise the reported exception now, if there is one."""
        with self._lock:
            if self._exc_info is not None:
                raise self._exc_info[1].with_traceback(self._exc_info[2])


class LooperThread(threading.Thread):
    """A daemon thread that calls ``target(*args, **kwargs)`` (or ``run_loop``) every
    ``timer_interval_secs`` seconds (or back to back when None) until the coordinator stops; an
    exception stops the coordinator and reaches its ``join``."""

    def __init__(self, coord: Coordinator, timer_interval_secs: float | None,
                 target: Callable[..., object] | None = None, args: Sequence[Any] | None = None,
                 kwargs: dict[str, Any] | None = None) -> None:
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord!r}")
        super().__init__(daemon=True)
        self._coord = coord
        self._interval = timer_interval_secs
        self._target_fn = target
        self._args = tuple(args or ())
        self._kwargs = dict(kwargs or {})
        coord.register_thread(self)

    @staticmethod
    def loop(coord: Coordinator, timer_interval_secs: float | None, target: Callable[..., object],
             args: Sequence[Any] | None = None, kwargs: dict[str, Any] | None = None) -> LooperThread:
        """Start a LooperThread calling ``target`` and return it."""
        thread = LooperThread(coord, timer_interval_secs, target=target, args=args, kwargs=kwargs)
        thread.start()
        return thread

    def run(self) -> None:
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._interval is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                due = time.time()
                while not self._coord.wait_for_stop(max(due - time.time(), 0.0)):
                    due += self._interval
                    self.run_loop()
            self.stop_loop()

    def start_loop(self) -> None:
        """Called once before the loop (override)."""

    def stop_loop(self) -> None:
        """Called once after the loop (override)."""

    def run_loop(self) -> None:
        """One iteration: ``target(*args, **kwargs)`` (override to do something else)."""
        if self._target_fn is not None:
            self._target_fn(*self._args, **self._kwargs)
