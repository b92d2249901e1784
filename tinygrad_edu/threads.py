"""Backward in several threads at once: a leaf's ``.grad`` adds up exactly.

Threads that call ``backward()`` on graphs sharing a leaf (a model's weights, with a batch per
thread) each add their gradient into ``leaf.grad``. Adding is three steps: read ``.grad``, add,
write ``.grad``. numpy lets other threads run while it adds large arrays (it releases Python's
GIL), so two threads could read the same old ``.grad``, and the second to write would erase the
first's contribution. ``GRAD_LOCK`` is held around exactly those three steps
(``Value._accumulate_grad``), so they never interleave.

PyTorch keeps a lock per leaf; one lock for all leaves is simpler, and a thread holds it only
while it adds one array. Nothing else backward writes is shared between threads: each call has
its own pending gradients, an operation's ``backward`` leaves the operation as it was, and grad
mode is per thread (grad_mode.py). A non-leaf's ``.grad``, kept for display, is the last
backward's, as it is in one thread.
"""

from __future__ import annotations

import threading

GRAD_LOCK = threading.Lock()
