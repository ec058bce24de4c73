#!/usr/bin/env bash
# dl4cv set-up. Two commands, run from the repository root:
#   bash setup.sh            install into .venv, prepare data, check a1's release, grade the samples
#   bash setup.sh test       run the test suite (installs first if needed); extra args go to pytest
# Options for the first form:  --from DIR   import datasets from a local folder instead of downloading
set -euo pipefail
cd "$(dirname "$0")"

VENV=${DL4CV_VENV:-.venv}
PY="$VENV/bin/python"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

find_python() {
  # The newest CPython that Numba supports (see requires-python in pyproject.toml).
  for cand in ${DL4CV_PYTHON:-} python3.13 python3.12 python3.11 python3.14 python3.15 python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 15)))' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

install() {
  if [ ! -x "$PY" ]; then
    base=$(find_python) || die "no Python 3.11-3.15 found. Install one (python.org or your package manager), or point DL4CV_PYTHON at it, then run this again."
    say "Creating the virtual environment $VENV with $($base --version)"
    "$base" -m venv "$VENV" || die "could not create $VENV (on Debian/Ubuntu: apt install python3-venv), then run this again."
  fi
  stamp="$VENV/.dl4cv-installed"
  want=$(cat pyproject.toml | cksum)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "Installing dl4cv with the instructor and developer extras (first time: about a minute)"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -e '.[instructor,dev]'
    echo "$want" > "$stamp"
  fi
}

main_job() {
  from=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --from) [ $# -ge 2 ] || die "--from needs a folder"; from=$2; shift 2 ;;
      -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
      *) die "unknown option '$1' (try: bash setup.sh --help)" ;;
    esac
  done
  install
  say "Compiling the Numba kernels into the cache (first time: a few minutes)"
  "$PY" -m dl4cv.warmup
  say "Preparing the datasets"
  if [ -n "$from" ]; then
    # What the folder holds is installed; only datasets still missing are downloaded.
    "$PY" -m dl4cv.data import --from "$from"
    bash data_setup.sh fetch --fallback-synthetic --missing-only cifar10 mnist imagenet_val
  else
    bash data_setup.sh fetch --fallback-synthetic cifar10 mnist imagenet_val
  fi
  say "Checking the a1 release and grading the sample submissions"
  "$PY" -m dl4cv_grader.cli demo
  "$PY" -c 'import dl4cv.env; dl4cv.env.check()'
  bin="$(cd "$VENV/bin" && pwd)"
  say "Ready. From any folder, with nothing to activate:"
  echo "  students:    $bin/python -m dl4cv.start a1    # your own copy in ~/dl4cv-work/a1"
  echo "               $bin/jupyter lab ~/dl4cv-work/a1"
  echo "  instructors: $bin/dl4cv-grade course init     # your course folder, ~/dl4cv-course"
  echo "  tests (here): bash setup.sh test    (quick run: bash setup.sh test -m \"not slow\")"
}

case "${1:-}" in
  test) shift; install; exec "$PY" -m pytest "$@" ;;
  *) main_job "$@" ;;
esac
