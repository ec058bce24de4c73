#!/usr/bin/env bash
# Get the course's datasets. A thin wrapper around: python -m dl4cv.data "$@"
#   bash data_setup.sh                      fetch cifar10, mnist, imagenet_val (synthetic if offline)
#   bash data_setup.sh fetch coco_captioning
#   bash data_setup.sh import --from DIR    install from a folder of downloaded files
#   bash data_setup.sh --help               every command
set -euo pipefail
cd "$(dirname "$0")"
if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
if [ $# -eq 0 ]; then
  set -- fetch --fallback-synthetic cifar10 mnist imagenet_val
fi
exec "$PY" -m dl4cv.data "$@"
