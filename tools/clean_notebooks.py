#!/usr/bin/env python3
"""Strip outputs, execution counts, run metadata and saved widget state from notebooks before committing.

    python tools/clean_notebooks.py                 # every notebook in notebooks/
    python tools/clean_notebooks.py --check         # exit 1 if any needs cleaning (for CI or a hook)
    python tools/clean_notebooks.py path/to/x.ipynb

Committed notebooks carry no outputs (they would go stale and could carry
someone's server names or a widget's values) and no widget state (the one place
a typed value could survive a save).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from smtpkit.reporting import clear_notebook, is_clean, notebooks_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to clean (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when a notebook is not clean")
    args = parser.parse_args(argv)
    paths = args.paths or sorted(notebooks_dir().glob("*.ipynb"))
    dirty = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        problems = is_clean(nb)
        if not problems:
            continue
        dirty += 1
        if args.check:
            print(f"{path}: " + "; ".join(problems))
        else:
            nbformat.write(clear_notebook(nb), path)
            print(f"cleaned {path}")
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())
