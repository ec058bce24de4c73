"""``python -m dl4cv.data`` (or ``dl4cv-data``): list, fetch, import, verify, synthetic."""
import argparse
import errno
import os
import sys

from dl4cv import config, shell
from dl4cv.data.errors import DataError
from dl4cv.data.registry import REGISTRY

#: What ``fetch`` gets when no dataset is named (coco_captioning is large: on demand).
DEFAULT_FETCH = ("cifar10", "mnist", "imagenet_val")


def _list(args):
    from dl4cv.data.status import status

    print(f"data directory: {args.data_dir or config.data_dir()}")
    for name, state in status(args.data_dir).items():
        dataset = REGISTRY[name]
        print(f"\n{name}: {dataset.title}\n  installed: {state.kind}  ({state.path})")
        if state.fix:
            print(f"  to get the real set: {state.fix}")
        for remote in dataset.archives:
            check = f"sha256 {remote.sha256}" if remote.sha256 else "verified by its members"
            size = f"{remote.size:,} bytes, " if remote.size else ""
            print(f"  file {remote.name} ({size}{check})")
            for url in remote.urls:
                print(f"    {url}")
    return 0


def _fetch(args):
    from dl4cv.data.download import fetch
    from dl4cv.data.status import dataset_status

    failed = []
    for name in args.datasets or DEFAULT_FETCH:
        state = dataset_status(name, args.data_dir) if name in REGISTRY else None
        if args.missing_only and state is not None and state.present:
            print(f"{name}: keeping the installed {state.kind} set at {state.path}"
                  + (f" (later, with internet: {state.fix})" if state.fix else ""))
            continue
        try:
            state = fetch(name, args.data_dir, fallback_synthetic=args.fallback_synthetic,
                          force=args.force, progress=not args.no_progress)
        except DataError as error:
            print(f"\nERROR: {error}", file=sys.stderr)
            failed.append(name)
            continue
        if state.kind == "synthetic":
            print(f"{name}: SYNTHETIC stand-in in use (not the real data); "
                  f"later, with internet: {shell.module('dl4cv.data', 'fetch', name)}")
    if failed:
        print(f"\nOffline? {shell.module('dl4cv.data', 'fetch', '--fallback-synthetic', *failed)} "
              f"installs labelled SYNTHETIC stand-ins instead (and says so wherever they are used).",
              file=sys.stderr)
    return 1 if failed else 0


def _import(args):
    from dl4cv.data.importer import import_from

    results = import_from(args.source, args.datasets or None, args.data_dir, force=args.force)
    for r in results:
        print(f"{r.name}: {r.outcome}: {r.message}")
    named_failure = args.datasets and any(r.outcome not in ("imported", "kept") for r in results)
    any_failure = any(r.outcome == "failed" for r in results)
    nothing = not any(r.outcome in ("imported", "kept") for r in results)
    if nothing:
        print(f"Nothing imported from {args.source}: it must hold the original files "
              f"(see {shell.module('dl4cv.data', 'list')}).", file=sys.stderr)
    return 1 if named_failure or any_failure or nothing else 0


def _verify(args):
    from dl4cv.data.status import dataset_status
    from dl4cv.data.verify import verify

    names = args.datasets or [n for n in REGISTRY if dataset_status(n, args.data_dir).present]
    if not names:
        print(f"No dataset is installed: {shell.module('dl4cv.data', 'fetch')}", file=sys.stderr)
        return 1
    bad = 0
    for name in names:
        problems = verify(name, args.data_dir)
        kind = dataset_status(name, args.data_dir).kind
        print(f"{name}: {'OK' if not problems else 'PROBLEMS'} ({kind})")
        for problem in problems:
            print(f"  {problem}")
        bad += bool(problems)
    return 1 if bad else 0


def _synthetic(args):
    from dl4cv.data.synthetic import generate

    sizes = {k: v for k, v in (("num_train", args.num_train), ("num_test", args.num_test))
             if v is not None}
    failed = 0
    for name in args.datasets:
        if sizes and name not in ("cifar10", "mnist"):
            print(f"{name}: --num-train/--num-test apply to cifar10 and mnist only; "
                  f"using the default size", file=sys.stderr)
        try:
            generate(name, args.data_dir, seed=args.seed, force=args.force,
                     **(sizes if name in ("cifar10", "mnist") else {}))
        except DataError as error:
            print(f"ERROR: {error}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def build_parser():
    names = ", ".join(REGISTRY)
    parser = argparse.ArgumentParser(
        prog=shell.module("dl4cv.data"),
        description="Get the course's datasets: download (verified), import from a folder, or "
                    f"generate labelled synthetic stand-ins. Datasets: {names}.")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="data directory (default: $DL4CV_DATA_DIR or the per-user cache)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="show the registry and what is installed")
    p.set_defaults(run=_list)

    p = sub.add_parser("fetch", help="download, verify and install datasets",
                       description="Download, verify and install datasets (default: "
                                   f"{' '.join(DEFAULT_FETCH)}; coco_captioning is large, "
                                   "name it to get it).")
    p.add_argument("datasets", nargs="*", metavar="DATASET",
                   help=f"datasets to fetch (default: {' '.join(DEFAULT_FETCH)})")
    p.add_argument("--fallback-synthetic", action="store_true",
                   help="when a download fails and nothing is installed, generate the "
                        "synthetic stand-in")
    p.add_argument("--force", action="store_true", help="download even if real data is installed")
    p.add_argument("--missing-only", action="store_true",
                   help="download only datasets with nothing installed; keep partial or synthetic "
                        "sets as they are (after an import --from DIR)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_fetch)

    p = sub.add_parser("import", help="install datasets from a local folder",
                       description="Install datasets from a folder holding the original "
                                   "downloads or their extracted files (lab mirror, USB stick).")
    p.add_argument("--from", dest="source", required=True, metavar="DIR",
                   help="the folder to import from (searched a few levels deep)")
    p.add_argument("datasets", nargs="*", metavar="DATASET",
                   help="datasets to import (default: whatever the folder holds)")
    p.add_argument("--force", action="store_true", help="replace real data already installed")
    p.set_defaults(run=_import)

    p = sub.add_parser("verify", help="re-check checksums and formats of installed datasets")
    p.add_argument("datasets", nargs="*", metavar="DATASET",
                   help="datasets to check (default: every installed one)")
    p.set_defaults(run=_verify)

    p = sub.add_parser("synthetic", help="generate labelled synthetic stand-ins (offline)")
    p.add_argument("datasets", nargs="+", metavar="DATASET")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--num-train", type=int, help="training images (cifar10, mnist)")
    p.add_argument("--num-test", type=int, help="test images (cifar10, mnist)")
    p.add_argument("--force", action="store_true", help="replace real data already installed")
    p.set_defaults(run=_synthetic)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status (0: success)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DataError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        if error.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        print(f"ERROR: {unwritable(args.data_dir, error)}", file=sys.stderr)
        return 1


def unwritable(data_dir, error):
    """The message for a data directory this user cannot write to (e.g. a shared read-only one)."""
    where = ("--data-dir" if data_dir else
             "DL4CV_DATA_DIR" if os.environ.get("DL4CV_DATA_DIR", "").strip() else "the per-user cache")
    return (f"cannot write to the data directory {data_dir or config.data_dir()} (set by {where}): "
            f"{error.strerror} ({error.filename}). Reading data there works; to install data, "
            f"ask whoever manages that folder, or point DL4CV_DATA_DIR at a folder of your own, "
            f"e.g. export DL4CV_DATA_DIR=~/dl4cv-data, and run this again.")


if __name__ == "__main__":
    sys.exit(main())
