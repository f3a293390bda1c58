"""Python's cyclic garbage collector, paused around hot paths that allocate thousands of
short-lived, acyclic objects (issue #12; ADR 0004).

A 500-event telemetry batch decodes 500 dicts, copies them, builds 500 accepted events and their
rows: all freed by reference counting when the request ends, none in a reference cycle. While
they are alive they still count towards the collector's thresholds, so a batch set off several
young-generation collections and, every few batches, an older one that scanned them all: about a
fifth of the batch's CPU, measured in-process (ADR 0004). ``paused()`` turns automatic collection
off for the block and back on after it, if it was on; the rare cycle made meanwhile is collected
by the next automatic collection. The collector is process-wide: in a threaded server another
thread's allocations go uncounted for that moment too, which only delays a collection.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (reference counting still frees)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
