"""Hostile submissions: each gets the right status and flag, and harms neither other checks nor the host.

Real processes and real isolation: the ``full`` tests need root on Linux (CI, the grading
host). Where minimal isolation cannot stop an attack, the test asserts that its report says so.
"""
import os
import socket
import subprocess
import threading

import numpy as np
import pytest

from dl4cv_grader.results import CheckFailed
from dl4cv_grader.runner import Check, CodeCell, Limits, run_checks
from dl4cv_grader.sandbox import Sandbox

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="full isolation needs root")
LIMITS = Limits(memory_mb=400, wall_seconds_per_call=3, wall_seconds_setup=10)
HONEST = CodeCell("honest", "def double(x):\n    return [2 * v for v in x]\n")
SECRET = "the-hidden-test-answer-42"


def honest_check(student):
    if student.call("double", [1, 2]) != [2, 4]:
        raise CheckFailed("double is wrong")


def grade(source, fn, mode="full", limits=LIMITS, **options):
    """Run one hostile cell plus an honest one; return (hostile result, honest result, run)."""
    run = run_checks([CodeCell("attack", source), HONEST],
                     [Check("attack", 1, fn), Check("honest", 1, honest_check)], limits, isolation=mode, **options)
    hostile, honest = run.results
    assert (honest.status, honest.score) == ("pass", 1.0), "an attack affected another check"
    return hostile, honest, run


def calling(name):
    """A check that calls ``name()`` and accepts whatever it returns."""
    return lambda student: student.call(name) and None


def processes_with(marker):
    """Host pids whose command line contains ``marker``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


@root_only
def test_exit_inside_a_function_loses_only_that_check():
    hostile, _, _ = grade("import os\ndef f():\n    os._exit(0)", calling("f"))
    assert hostile.status == "crash"


@root_only
def test_exit_at_cell_top_level_is_a_cell_error_and_grading_goes_on():
    _, _, run = grade("import os\nos._exit(3)", lambda s: None)
    assert "stopped the notebook" in run.cell_errors["attack"]


@root_only
def test_infinite_loop_ignoring_sigint_times_out():
    source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ndef f():\n    while True:\n        pass"
    hostile, _, _ = grade(source, calling("f"))
    assert hostile.status == "timeout" and "did not finish within 3 s" in hostile.message


@root_only
def test_cpu_time_limit_kills_with_status_timeout():
    limits = Limits(cpu_seconds=2, wall_seconds_per_call=30)
    hostile, _, _ = grade("def f():\n    while True:\n        pass", calling("f"), limits=limits)
    assert hostile.status == "timeout" and "CPU time" in hostile.message


@root_only
def test_memory_bomb_is_killed_by_the_memory_cgroup():
    # One block of 2 GB touched at once hits the 400 MB limit within the first pages, and the
    # time limits are far beyond anything the allocation can take, however loaded the machine.
    source = "import numpy as np\ndef f():\n    return np.ones(2**28).sum()"
    limits = Limits(memory_mb=400, cpu_seconds=600, wall_seconds_per_call=600, wall_seconds_per_check=600,
                    wall_seconds_setup=600)
    hostile, _, _ = grade(source, calling("f"), limits=limits)
    assert hostile.status == "memory" and "limit:memory" in hostile.flags


OOM_THEN_WAIT = """
import os, time
import numpy as np
def f():
    child = os.fork()
    if child == 0:
        np.ones(2**28)           # 2 GB: the OOM killer takes this child, the biggest process
        os._exit(0)
    os.waitpid(child, 0)
    while True:                  # the call then runs out of time, after the OOM kill
        time.sleep(1)
"""


@root_only
def test_a_call_that_times_out_after_an_oom_kill_is_memory_not_timeout():
    # The OOM kill takes well under a second; the call's 30 s leave it a wide margin.
    limits = Limits(memory_mb=400, cpu_seconds=600, wall_seconds_per_call=30, wall_seconds_setup=600)
    hostile, _, _ = grade(OOM_THEN_WAIT, calling("f"), limits=limits)
    assert hostile.status == "memory" and "limit:memory" in hostile.flags


def test_memory_bomb_under_minimal_isolation_is_a_memory_status():
    source = "def f():\n    hoard = []\n    while True:\n        hoard.append(bytearray(2**24))"
    hostile, _, _ = grade(source, calling("f"), mode="minimal")
    assert hostile.status == "memory"


@root_only
def test_fork_bomb_is_stopped_by_the_process_cap():
    source = ("import os\ndef f():\n    while True:\n        try:\n            os.fork()\n"
              "        except OSError:\n            pass")
    hostile, _, run = grade(source, calling("f"), limits=Limits(memory_mb=400, processes=16, wall_seconds_per_call=30))
    assert hostile.status == "crash" and "more than 16 processes" in hostile.message
    assert "limit:processes" in run.flags
    assert run_checks([HONEST], [Check("after", 1, honest_check)], LIMITS).results[0].status == "pass"


THREAD_FLOOD = """
import threading, time
def flood():
    for _ in range(5000):
        threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    return "5000 threads"
"""


@root_only
def test_thread_flood_is_stopped_by_the_tasks_limit():
    hostile, _, run = grade(THREAD_FLOOD, calling("flood"), limits=Limits(memory_mb=400, tasks=256,
                                                                            wall_seconds_per_call=60))
    assert hostile.status == "error" and "can't start new thread" in hostile.message
    assert "limit of 256 processes and threads" in hostile.message and "limit:pids" in run.flags


DETACH = '''
import os, time
def f():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", "{marker}"])
        os._exit(0)
    time.sleep(0.3)
    return "started"
'''


@pytest.mark.parametrize("mode, marker", [pytest.param("full", "987.125", marks=root_only), ("minimal", "987.375")])
def test_detached_background_process_is_killed_and_flagged(mode, marker):
    hostile, _, run = grade(DETACH.format(marker=marker), calling("f"), mode=mode)
    assert hostile.status == "pass"
    assert "background-process" in run.flags
    assert processes_with(marker) == []


class Listener:
    """A TCP listener on the host's 127.0.0.1 that records whether anyone connected."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]
        self.connected = False
        self.thread = threading.Thread(target=self._accept)
        self.thread.start()

    def _accept(self):
        try:
            self.sock.accept()[0].close()
            self.connected = True
        except OSError:
            pass

    def close(self):
        self.sock.close()
        self.thread.join()


NETWORK = '''
import socket
def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__
'''


@pytest.mark.slow
@root_only
def test_network_is_unreachable_under_full_isolation():
    listener = Listener()
    try:
        outcomes = {}
        hostile, _, _ = grade(NETWORK, lambda s: outcomes.update(
            local=s.call("connect", "127.0.0.1", listener.port), remote=s.call("connect", "1.1.1.1", 80)))
    finally:
        listener.close()
    assert outcomes["local"] != "connected" and outcomes["remote"] != "connected"
    assert not listener.connected and "network" in hostile.flags


def test_minimal_isolation_does_not_block_network_and_says_so():
    listener = Listener()
    try:
        outcomes = {}
        _, _, run = grade(NETWORK, lambda s: outcomes.update(local=s.call("connect", "127.0.0.1", listener.port)),
                          mode="minimal")
    finally:
        listener.close()
    assert outcomes["local"] == "connected" and "network not blocked" in run.isolation


READ = '''
def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as exc:
        return type(exc).__name__
'''


@root_only
def test_hidden_and_instructor_files_cannot_be_read(tmp_path):
    os.chmod(tmp_path, 0o755)
    exposed = tmp_path / "course"
    (exposed / "hidden").mkdir(parents=True)
    for path in (tmp_path / "secret.txt", exposed / "hidden" / "answers.txt"):
        path.write_text(SECRET)
        os.chmod(path, 0o644)
    (exposed / "data.txt").write_text("public data")
    os.chmod(exposed / "data.txt", 0o644)
    grader_source = os.path.join(os.path.dirname(__file__), "..", "autograder", "dl4cv_grader", "runner.py")
    got = {}

    def fn(s):
        for name in ("secret.txt", "course/hidden/answers.txt", "course/data.txt"):
            got[name] = s.call("read", str(tmp_path / name))
        got["grader"] = s.call("read", os.path.realpath(grader_source))
        got["imports"] = s.call("read", "/proc/self/mountinfo")

    hostile, _, _ = grade(READ, fn, exposed_paths=[str(exposed)], hidden_paths=[str(exposed / "hidden")])
    assert got["course/data.txt"] == "public data"
    assert SECRET not in repr(got) and "def run_checks" not in got["grader"]
    assert str(tmp_path / "secret.txt") in " ".join(hostile.flags)


WRITE = '''
import os
def write(paths):
    outcomes = []
    for path in paths:
        try:
            with open(path, "w") as f:
                f.write("pwned")
            outcomes.append("written")
        except OSError as exc:
            outcomes.append(type(exc).__name__)
    return outcomes
'''


@root_only
def test_writes_outside_scratch_are_denied(tmp_path):
    os.chmod(tmp_path, 0o777)
    targets = [str(tmp_path / "pwned.txt"), "/opt/dl4cv-worker/worker.py", "/etc/pwned", "/pwned"]
    got = {}
    grade(WRITE, lambda s: got.update(outcomes=s.call("write", targets + ["scratch.txt", "/tmp/t.txt"])))
    assert got["outcomes"][:4] == [o for o in got["outcomes"][:4] if o != "written"]
    assert got["outcomes"][4:] == ["written", "written"]
    assert not (tmp_path / "pwned.txt").exists()


TAMPER = '''
import builtins, warnings
import numpy as np
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
print("Score: 100/100")
class Liar:
    def __eq__(self, other):
        return True
def wrong():
    return np.zeros(3)
def liar():
    return Liar()
def noisy():
    print("x" * 100_000)
    warnings.warn("this is only a warning", UserWarning)
    return [1, 2]
get_ipython().input_transformers_cleanup.append(lambda lines: lines)
'''


def wrong_values(student):
    if not np.allclose(student.call("wrong"), [1, 2, 3]):
        raise CheckFailed("wrong values")


def lying_equality(student):
    if student.call("liar") != [1, 2]:
        raise CheckFailed("wrong")


def noisy(student):
    if student.call("noisy") != [1, 2]:
        raise CheckFailed("wrong")


@pytest.mark.parametrize("mode", [pytest.param("full", marks=root_only), "minimal"])
def test_tampering_printing_and_lying_objects_do_not_change_verdicts(mode):
    run = run_checks([CodeCell("attack", TAMPER)],
                     [Check("wrong", 1, wrong_values), Check("liar", 1, lying_equality), Check("noisy", 1, noisy)],
                     Limits(output_kb=16), isolation=mode)
    statuses = {r.check_id: r.status for r in run.results}
    assert statuses == {"wrong": "fail", "liar": "fail", "noisy": "pass"}
    assert "cannot accept" in run.results[1].message
    assert {"tamper:numpy.allclose", "tamper:numpy.array_equal", "ipython", "output-truncated"} <= set(run.flags)
    assert "Score: 100/100" in run.stdout and len(run.stdout) < 17 * 1024
    assert "UserWarning" in run.stderr


@root_only
def test_forged_protocol_frames_are_a_crash_not_a_verdict():
    source = "import os, sys\ndef f():\n    os.write(3, b'DLCV' + b'\\xff' * 64)\n    return 1"
    hostile, _, run = grade(source, calling("f"))
    assert hostile.status == "crash" and "protocol" in run.flags


@root_only
def test_grader_package_is_not_importable_and_other_sandboxes_get_other_users():
    source = "def probe():\n    try:\n        import dl4cv_grader\n        return 'imported'\n    except ImportError:\n        return 'hidden'\n"
    got = {}
    grade(source, lambda s: got.update(result=s.call("probe")))
    assert got["result"] == "hidden"
    first, second = Sandbox(LIMITS, "full"), Sandbox(LIMITS, "full")
    try:
        assert first.slot.uid != second.slot.uid
    finally:
        first.close()
        second.close()


KILL_ALL = '''
import os, signal
def f():
    os.kill(-1, signal.SIGKILL)
    return "survived"
'''


@root_only
def test_killing_every_process_it_can_reaches_only_its_own_sandbox():
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        hostile, _, _ = grade(KILL_ALL, calling("f"))
        # In its own PID namespace, under its init, the worker finds no other process to signal.
        assert hostile.status == "error" and "ProcessLookupError" in hostile.message
        assert bystander.poll() is None  # a host process of the same machine survived
    finally:
        bystander.kill()
    assert run_checks([HONEST], [Check("after", 1, honest_check)], LIMITS).results[0].status == "pass"


FILL_DISK = '''
def f(megabytes):
    block = b"x" * 2**20
    with open("big.bin", "wb") as out:
        for _ in range(megabytes):
            out.write(block)
    return "written"
'''


@root_only
def test_a_file_larger_than_the_limit_is_stopped():
    small = Limits(memory_mb=400, wall_seconds_per_call=5, wall_seconds_setup=10, file_mb=8)
    hostile, _, _ = grade(FILL_DISK, lambda s: s.call("f", 64), limits=small)
    # Python ignores SIGXFSZ, so the write past RLIMIT_FSIZE fails with EFBIG in the student's code.
    assert hostile.status == "error" and "File too large" in hostile.message


@root_only
def test_no_channel_between_sandboxes_through_shared_memory_or_tmp():
    targets = ["/dev/shm/dl4cv-leak", "/tmp/dl4cv-leak", "/var/tmp/dl4cv-leak"]
    written, read = {}, {}
    grade(WRITE, lambda s: written.update(outcomes=s.call("write", targets)))
    grade(READ, lambda s: read.update({p: s.call("read", p) for p in targets}))
    assert "pwned" not in read.values(), (written, read)
    for path in targets:
        assert not os.path.exists(path) or "pwned" not in open(path).read()


HUGE_REPLY = '''
import numpy as np
def f():
    return np.zeros(300 * 2**20 // 8)
'''


@root_only
def test_a_reply_over_the_protocol_cap_loses_only_that_check():
    hostile, _, _ = grade(HUGE_REPLY, calling("f"), limits=Limits(memory_mb=1200, wall_seconds_per_call=10))
    assert hostile.status == "fail" and hostile.score == 0
    assert "larger than 256 MB" in hostile.message


DRIP = '''
import os, sys, time
def f():
    for byte in b"DLCV\\0\\0\\0\\0":  # the start of a frame header, one byte at a time
        os.write(3, bytes([byte]))
        time.sleep(0.4)
    return 1
'''


@root_only
def test_a_reply_dripped_byte_by_byte_still_times_out():
    # Each byte arrives within the per-call limit; the whole reply does not.
    hostile, _, _ = grade(DRIP, calling("f"), limits=Limits(memory_mb=400, wall_seconds_per_call=1, wall_seconds_setup=10))
    assert hostile.status == "timeout" and hostile.score == 0


NAPS = "import time\ndef nap():\n    time.sleep(0.6)\n    return 1\n"


def napping(student):
    for _ in range(6):  # each call is under the per-call limit, together they are not
        student.call("nap")


@pytest.mark.parametrize("mode", [pytest.param("full", marks=root_only), "minimal"])
def test_waiting_just_under_the_call_limit_cannot_stretch_a_check_or_the_notebook(mode):
    limits = Limits(memory_mb=400, wall_seconds_per_call=1, wall_seconds_per_check=1.5, wall_seconds_total=3)
    run = run_checks([CodeCell("naps", NAPS), HONEST],
                     [Check(f"nap{i}", 1, napping) for i in range(4)] + [Check("honest", 1, honest_check)],
                     limits, isolation=mode)
    assert [r.status for r in run.results] == ["timeout"] * 5
    assert "allowed for one check" in run.results[0].message
    assert "the whole notebook" in run.results[-1].message and run.results[-1].seconds == 0


FORGE_FLAGS = '''
import gc
for obj in gc.get_objects():
    if type(obj).__name__ == "Observer":  # the worker's own flag list, in this process
        obj.flags += ['=HYPERLINK("http://example.invalid/","ok")', "limit:memory", "tamper:\\x1b[2Jnumpy"]
def f():
    return 1
'''


@pytest.mark.parametrize("mode", [pytest.param("full", marks=root_only), "minimal"])
def test_flags_forged_by_the_student_are_marked_not_recorded_as_written(mode):
    hostile, _, run = grade(FORGE_FLAGS, calling("f"), mode=mode)
    assert hostile.status == "pass"  # the code is fine; its flags are not believed
    assert "forged-flag" in run.flags and "tamper:?[2Jnumpy" in run.flags
    assert not any(f.startswith("=") or f == "limit:memory" or "\x1b" in f for f in run.flags)


PEEK = '''
import importlib
def peek(paths):
    try:
        importlib.import_module("dl4cv.classifiers.k_nearest_" + "neighbor")
        imported = "imported"
    except ImportError:
        imported = "refused"
    sizes = []
    for path in paths:  # the source, and the bytecode a student could unmarshal and exec
        try:
            with open(path, "rb") as f:
                sizes.append(len(f.read()))
        except OSError:
            sizes.append(0)
    return [imported, sizes]
'''


@root_only
def test_withheld_library_module_is_neither_importable_nor_readable_in_the_sandbox():
    from dl4cv.classifiers import k_nearest_neighbor  # noqa: F401  (so its bytecode exists)
    from dl4cv_grader.sandbox import plan
    paths = plan.module_paths("dl4cv.classifiers.k_nearest_neighbor")
    assert paths[0].endswith("k_nearest_neighbor.py")
    seen = {}
    for hide in (False, True):
        grade(PEEK, lambda s, hide=hide: seen.update({hide: s.call("peek", paths)}),
              hidden_paths=paths if hide else [])
    assert seen[False][0] == "imported" and min(seen[False][1]) > 0  # the test can tell
    assert seen[True] == ["refused", [0] * len(paths)]
