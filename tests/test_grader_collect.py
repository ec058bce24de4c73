"""``dl4cv-grade collect`` from folders and LMS zips into nbgrader's submitted/ layout."""
import os
import stat
import zipfile

from dl4cv_grader import collect as collecting, manifest, provenance, samples

MANIFEST = manifest.load("a1")


def _zip(path, entries):
    """entries: (name, bytes, date_time) or (name, target, None) for a symlink."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, when in entries:
            info = zipfile.ZipInfo(name, date_time=when or (2025, 1, 1, 0, 0, 0))
            if when is None:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return path


def test_canvas_zip_with_late_resubmission_renamed_and_hostile_names(tmp_path):
    good = samples.make("reference", tmp_path / "src").path.read_bytes()
    blank = samples.make("blank", tmp_path / "src2").path.read_bytes()
    upload = _zip(tmp_path / "canvas.zip", [
        ("smithjohn_12345_67890_knn.ipynb", blank, (2025, 1, 1, 10, 0, 0)),
        ("smithjohn_LATE_12345_67891_knn-1.ipynb", good, (2025, 1, 2, 10, 0, 0)),
        ("doejane_222_333_my work (1).ipynb", good, (2025, 1, 1, 9, 0, 0)),
        ("../evil_1_2_knn.ipynb", good, (2025, 1, 1, 0, 0, 0)),
        ("/abs_1_2_knn.ipynb", good, (2025, 1, 1, 0, 0, 0)),
        ("link_1_2_knn.ipynb", "/etc/passwd", None),
        ("notes.txt", b"hello", (2025, 1, 1, 0, 0, 0)),
        ("mystery.ipynb", good, (2025, 1, 1, 0, 0, 0)),
        ("x y!_1_2_knn.ipynb", b"{not json", (2025, 1, 1, 0, 0, 0)),
    ])
    course = tmp_path / "course"
    report = collecting.collect("a1", upload, course, MANIFEST)
    text = "\n".join(report.lines())
    john = course / "submitted" / "smithjohn" / "a1"
    assert (john / "knn.ipynb").read_bytes() == good  # the newer, late resubmission
    assert "marked late" in text
    assert provenance.read_timestamp(john).day == 2
    assert (course / "submitted" / "doejane" / "a1" / "knn.ipynb").read_bytes() == good
    assert "my work (1).ipynb: renamed file, taken as knn.ipynb" in text
    assert text.count("refused") == 3 and "symbolic links" in text
    assert "mystery.ipynb: cannot tell whose it is" in text
    assert "x y!_1_2_knn.ipynb" in text
    assert not (tmp_path / "evil_1_2_knn.ipynb").exists()
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["doejane", "smithjohn", "x_y_"]


def test_folder_per_student_and_never_overwriting_a_newer_submission(tmp_path):
    src = tmp_path / "uploads"
    new = samples.make("reference", src / "amy").path
    old_time = 1_700_000_000
    course = tmp_path / "course"
    collecting.collect("a1", src, course, MANIFEST)
    stored = course / "submitted" / "amy" / "a1" / "knn.ipynb"
    assert stored.read_bytes() == new.read_bytes()
    older = samples.make("blank", tmp_path / "older" / "amy").path
    os.utime(older, (old_time, old_time))
    report = collecting.collect("a1", tmp_path / "older", course, MANIFEST)
    assert stored.read_bytes() == new.read_bytes()
    assert any("kept the newer submission" in line for line in report.skipped)
    report = collecting.collect("a1", src, course, MANIFEST)
    assert any("identical" in line for line in report.skipped)


def test_symlinks_in_a_folder_are_refused(tmp_path):
    src = tmp_path / "uploads"
    (src / "bob").mkdir(parents=True)
    (src / "bob" / "knn.ipynb").symlink_to("/etc/hostname")
    report = collecting.collect("a1", src, tmp_path / "course", MANIFEST)
    assert report.problems and "symbolic link" in report.problems[0]
    assert not (tmp_path / "course" / "submitted" / "bob").exists()
