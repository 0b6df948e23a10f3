"""``tf.app.run(main=None, argv=None)``: parse the command-line flags (unknown ones tolerated, as
TF1) and call ``main(argv)``, then exit with its result, through absl's ``app.run``."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from graphflow.tf1.python.platform import flags  # noqa: F401  (tf.app.flags)


def _parse_flags_tolerate_undef(argv: list[str]) -> list[str]:
    from absl import flags as absl_flags
    return absl_flags.FLAGS(argv, known_only=True)


def run(main: Callable[..., Any] | None = None, argv: list[str] | None = None) -> None:
    from absl import app as absl_app
    main = main or sys.modules["__main__"].main
    absl_app.run(main=main, argv=argv, flags_parser=_parse_flags_tolerate_undef)
