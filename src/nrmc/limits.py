"""How many notebooks and browser pages this machine can run at once.

A warm kernel holds pandas, matplotlib and the dataset (≈ 250 MB); a Chromium page printing a
briefing ≈ 150 MB. More kernels than cores only make each one slower, and more pages than
kernels are never all busy.
"""
from __future__ import annotations

import os

KERNEL_MB = 300
PAGE_MB = 150
BASE_MB = 400  # this process and the browser itself


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def available_mb() -> int | None:
    """Memory available for new processes (MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def plan_parallelism(requested: int | None, n_jobs: int, *, pdf: bool = True,
                     cores: int | None = None, memory_mb: int | None = -1) -> tuple[int, int, str | None]:
    """(kernels, browser pages, message or None) for `n_jobs` briefings.

    Default: one kernel per core. An explicit --jobs above what the cores or the memory can carry
    is capped, with a message saying so."""
    cores = usable_cores() if cores is None else max(1, cores)
    memory_mb = available_mb() if memory_mb == -1 else memory_mb
    per_job = KERNEL_MB + (PAGE_MB if pdf else 0)
    by_memory = max(1, (memory_mb - BASE_MB) // per_job) if memory_mb is not None else None
    limit = min(cores, by_memory) if by_memory is not None else cores
    want = requested if requested else cores
    jobs = max(1, min(want, limit))
    note = None
    if requested and requested > limit:
        why = f"{cores} core{'s' if cores != 1 else ''}"
        if by_memory is not None and by_memory < cores:
            why = f"{memory_mb / 1024:.1f} GiB of memory available"
        note = f"--jobs {requested} capped to {jobs}: this machine has {why}."
    jobs = min(jobs, max(1, n_jobs))
    pages = jobs if pdf else 0
    return jobs, pages, note
