"""Resource limits for one sandbox."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Limits applied to one sandbox (all its processes together where the OS allows).

    memory_mb: RAM, no swap (cgroup ``memory`` + ``memsw``; else RLIMIT_AS per process).
    cpu_seconds: CPU time per process over the sandbox's life (RLIMIT_CPU) -> ``timeout``.
    wall_seconds_per_call: wall clock for one call/new/get from a check -> ``timeout``.
    wall_seconds_setup: wall clock for executing all the notebook's cells.
    wall_seconds_per_check: wall clock for all the calls of one check together (so code that
        waits just under the per-call limit in every call cannot stretch a check) -> ``timeout``.
    wall_seconds_total: wall clock for grading one notebook, restarts included; checks not
        started by then are ``timeout`` without running.
    processes: processes at once (full isolation with cgroups: the grader watches the group's
        process list and kills the sandbox when it holds more -> ``crash``, ``limit:processes``).
    tasks: processes and threads together at once (cgroup ``pids``, plus RLIMIT_NPROC, which
        the kernel also counts per thread): sized so that BLAS, thread pools and libraries that
        start threads always fit, while a flood of threads or a fork bomb stops here.
    file_mb: largest file the sandbox may write (RLIMIT_FSIZE).
    scratch_mb: size of the scratch tmpfs (full isolation).
    output_kb: stdout and stderr kept, each; the rest is counted and dropped.
    """

    memory_mb: int = 1024
    cpu_seconds: int = 120
    wall_seconds_per_call: float = 20.0
    wall_seconds_setup: float = 60.0
    wall_seconds_per_check: float = 60.0
    wall_seconds_total: float = 600.0
    processes: int = 32
    tasks: int = 512
    file_mb: int = 64
    scratch_mb: int = 256
    output_kb: int = 256
