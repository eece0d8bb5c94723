"""Extra peak resident memory of a stretch of work in this process (Linux):
``start()`` resets the kernel's peak mark and returns the resident size,
``extra_mib(start_kib)`` the peak since then above it.  Used by the fresh
worker processes of compare.py and peak_memory.py, after their inputs exist,
so that making the inputs does not count."""

from __future__ import annotations


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def start() -> int:
    """Reset the peak-RSS mark (clear_refs 5); the resident size now, in KiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kib("VmRSS")


def extra_mib(start_kib: int) -> float:
    """The peak resident size since ``start()`` above what it returned, in MiB."""
    return (_status_kib("VmHWM") - start_kib) / 1024
