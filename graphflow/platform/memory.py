"""How much memory this process can have: the limit that compiled allocation checks compare a
requested tensor against (TF1's CPU allocator limit is the machine's physical memory as well)."""
from __future__ import annotations

import functools
import os

# where a container's memory limit is written (cgroup v2, then v1); "max" or a huge number: none
_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


@functools.cache
def memory_limit() -> int | None:
    """Bytes of physical memory, or the container's limit where that is lower; None where the
    platform does not say.

    >>> memory_limit() is None or memory_limit() > 2**20
    True
    """
    try:
        physical: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX
        physical = None
    for path in _CGROUP_LIMITS:
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and (physical is None or int(text) < physical):
            return int(text)
    return physical
