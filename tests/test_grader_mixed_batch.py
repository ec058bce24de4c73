"""A class of every sample kind (honest, mangled, hostile, and every bad folder entry), graded
in one batch: one record per student folder and notebook, the expected score for each, and
no grader traceback in anything a student sees."""
import subprocess
import sys

import pytest

from dl4cv_grader import feedback, manifest, samples

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "dl4cv_grader.cli"]
KINDS = samples.KINDS + tuple(k for k in samples.FOLDER_KINDS if samples.can_make(k))
TRACEBACK = ("Traceback", 'File "')


def _leaks(record):
    """Student-visible texts that hold a traceback (the reason, notes, mapping and check
    messages): a student's own error is named in one line (``in f (cell c, line n: ...)``)."""
    texts = ([record["reason"]] + record["notes"] + [n["message"] for n in record["mapping"]]
             + [c["message"] or "" for c in record["checks"]])
    return [t for t in texts if any(x in t for x in TRACEBACK)]


# The flags each kind's knn record must carry, and no others. Flags that report what happened
# at run time (a check's status, a limit hit, a patched or forbidden function reached) may come
# on top for the hostile kinds: which ones depends on the isolation the host offers.
STATUS_FLAG = {"partial": ["check_policy"], "policy_norm": ["check_policy"], "loop_helper": ["check_policy"]}
TAMPER_FLAGS = {
    "patch_allclose": ["monkeypatch"], "input_transformer": ["ipython", "ipython_hooks"],
    "eq_always_true": ["custom_comparison"], "fake_score": ["fake_result_print"],
    "read_secrets": ["dynamic_code", "file_access"], "write_gradebook": ["file_access"],
    "os_exit": ["exit_call"], "sigint_loop": ["signal_handler"], "memory_bomb": [],
    "fork_bomb": ["exit_call", "process_spawn"],
    "background_process": ["background-process", "process_spawn", "subprocess"],
    "network": ["network"], "delegate_stash": ["dynamic_import"], "loop_helper": [],
    "forged_flag": ["forged-flag", "introspection"],
}
RUN_TIME = ("check_", "limit:", "tamper:", "forbidden:")


def _unexpected_flags(kind, flags):
    """(missing, extra) flags of a knn record of sample ``kind``."""
    if kind in TAMPER_FLAGS:
        want = set(TAMPER_FLAGS[kind])
        extra = {f for f in flags if f not in want and not f.startswith(RUN_TIME)}
    else:
        want = set(STATUS_FLAG.get(kind, []))
        extra = set(flags) - want
    return sorted(want - set(flags)), sorted(extra)


def test_a_mixed_class_gets_one_record_each_with_the_expected_score(tmp_path):
    course = tmp_path / "course"
    made = {f"s{i:02d}_{kind}": samples.make(kind, course / "submitted" / f"s{i:02d}_{kind}" / "a1",
                                             course_dir=course)
            for i, kind in enumerate(KINDS)}
    assert len(made) >= 40
    run = subprocess.run(CLI + ["grade", "a1", "--course-dir", str(course), "--jobs", "2"],
                         capture_output=True, text=True, timeout=3000)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert ", failed 0;" in run.stdout.splitlines()[-1]
    records = feedback.records(course, "a1")
    notebooks = list(manifest.load("a1")["notebooks"])
    assert sorted((r["student"], r["notebook"]) for r in records) == sorted(
        (s, nb) for s in made for nb in notebooks)
    knn = {r["student"]: r for r in records if r["notebook"] == "knn"}
    wrong = [(s, made[s].score, made[s].reason, r["score"], r["ungradable"]) for s, r in knn.items()
             if r["score"] != pytest.approx(made[s].score) or r["ungradable"] != made[s].reason]
    assert wrong == []
    flags = {s: _unexpected_flags(made[s].kind, r["flags"]) for s, r in knn.items()}
    assert {s: f for s, f in flags.items() if f != ([], [])} == {}
    for record in records:
        if record["notebook"] != "knn":
            assert record["ungradable"] in ("missing", "symlink") and record["score"] == 0
        assert _leaks(record) == [], (record["student"], record["notebook"])
    assert "Traceback" not in run.stdout
