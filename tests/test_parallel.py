"""dl4cv.parallel: parts run in worker threads, BLAS is single-threaded only inside the limit."""
import os
import threading

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from dl4cv import parallel


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_parts_run_in_worker_threads_and_keep_their_order():
    results = parallel.run_parts(lambda part: (part, threading.current_thread().name), [3, 1, 2])
    assert [part for part, _ in results] == [3, 1, 2]
    assert all(name.startswith("dl4cv") for _, name in results)


def test_a_single_part_runs_in_the_calling_thread():
    assert parallel.run_parts(lambda part: threading.current_thread().name, ["only"]) == [threading.current_thread().name]


def test_an_exception_in_a_part_reaches_the_caller():
    def fail_on_two(part):
        if part == 2:
            raise ValueError("part 2 failed")
        return part

    with pytest.raises(ValueError, match="part 2 failed"):
        parallel.run_parts(fail_on_two, [1, 2])


def test_blas_is_single_threaded_only_inside_the_limit():
    np.ones((4, 4)) @ np.ones((4, 4))  # BLAS loaded
    before = _blas_threads()
    assert before, "no BLAS library found by threadpoolctl"
    with parallel.single_blas():
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before
    with parallel.single_blas(False):
        assert _blas_threads() == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_a_new_pool():
    parallel.run_parts(lambda part: part, [1, 2])  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # child: the parent's pool has no threads here; a new one must be made
        ok = not parallel._POOL and parallel.run_parts(lambda part: part * 2, [1, 2]) == [2, 4]
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
