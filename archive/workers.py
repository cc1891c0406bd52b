"""Worker processes that never outlive the command that started them.

A :class:`~concurrent.futures.ProcessPoolExecutor` worker whose parent is killed with
SIGKILL is not told: it blocks on its call queue forever, holding open every file the
parent had open — among them the caller's stdout pipe, so a shell pipeline or a test
waiting for end-of-file hangs too. Each worker started here runs a daemon thread that
polls its parent's pid and exits the moment the parent is gone (the parent's death
reparents the worker, so ``os.getppid()`` changes). ``prctl(PR_SET_PDEATHSIG)`` is not
used: the kernel ties it to the *thread* that forked the worker, and a pool may fork
from a short-lived thread whose exit would then kill healthy workers.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PARENT_POLL_SECONDS = 0.2


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)   # the parent died: nothing is waiting for our results
        time.sleep(PARENT_POLL_SECONDS)


def _worker_init(parent: int) -> None:
    if os.getppid() != parent:
        os._exit(1)   # the parent died before we got here
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                     name="archive-parent-watch").start()


def process_pool(workers: int, fork: bool = False) -> ProcessPoolExecutor:
    """A process pool whose workers exit when this process dies, however it dies.

    ``fork`` starts workers by forking where the platform can (they then share what
    this process has imported); otherwise Python's default start method is used.
    """
    ctx = None
    if fork:
        import multiprocessing

        if "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(),))
