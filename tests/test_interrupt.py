"""Ctrl-C stops a long C++ call within about a second (the binding watches for
signals while the kernel runs; cpp/cancel.hpp).  Each case runs in a fresh
interpreter that sends itself SIGINT half a second into a call that would
otherwise take many seconds."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("labelsieve._core")

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    import numpy as np
    from labelsieve import _core

    threads = int(sys.argv[1])
    n, k = 50_000_000, 20                     # 1e9 float16 zeros: untouched pages, ~10 s of work
    p = np.zeros((n, k), np.float16)
    labels = np.zeros(n, np.int32)
    t = np.full(k, 0.05, np.float16)
    out_self, out_other = np.empty(n, np.float16), np.empty(n, np.float16)
    sent = []

    def interrupt():
        time.sleep(0.5)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    start = time.perf_counter()
    try:
        _core.row_stats(labels, p, (t, np.array([t.max()])), out_self, out_other, threads)
    except KeyboardInterrupt:
        print(f"interrupted {time.perf_counter() - sent[0]:.3f} {time.perf_counter() - start:.3f}")
    else:
        print(f"finished {time.perf_counter() - start:.3f}")
    # The pool still works after a cancelled call.
    small = np.full((1000, 3), 1 / 3, np.float32)
    o1, o2 = np.empty(1000, np.float32), np.empty(1000, np.float32)
    _core.row_stats(np.zeros(1000, np.int64), small, None, o1, o2, threads)
    print("after", float(o1[0]), float(o2[0]))
    """
)


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_interrupts_a_long_call_within_a_second(threads):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(threads)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    first, after = done.stdout.split("\n")[:2]
    word, *times = first.split()
    assert word == "interrupted", f"the call ran to completion: {first}"
    latency = float(times[0])
    assert latency < 1.0, f"KeyboardInterrupt came {latency:.2f} s after SIGINT"
    third = float(np.float32(1 / 3))
    assert after.split() == ["after", str(third), str(third)]  # the pool still answers correctly
