"""Gradescope's autograder: ``setup.sh`` and ``run_autograder``, the two files its zip must hold.

Gradescope (gradescope-autograders.readthedocs.io, "Autograder
Specifications") runs ``setup.sh`` once, as root, when it builds the
autograder's image, and ``run_autograder`` for each submission, with the
student's files in ``/autograder/submission``; it reads the score and the
feedback from ``/autograder/results/results.json``. Here ``run_autograder``
finds the workspace in the submission (at its top, or in a folder a student
zipped), grades it with ``exercises check --gradescope`` and, when that cannot
grade at all (no exercise files), still writes a results.json that says why.

``AUTOGRADER_ROOT`` (default ``/autograder``) lets the tests run the script
on a folder of their own.
"""

from __future__ import annotations

import shlex

from .classroom import DEFAULT_INSTALL

__all__ = ["run_autograder", "setup_sh"]


def setup_sh(install: str = DEFAULT_INSTALL) -> str:
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image. Choose the Ubuntu 24.04
# base image: tinygrad_edu needs Python 3.11 or newer. (Written by `tinygrad-edu exercises gradescope`.)
set -euo pipefail
root=${{AUTOGRADER_ROOT:-/autograder}}
apt-get install -y python3 python3-venv
python3 -m venv "$root/venv"
"$root/venv/bin/pip" install --quiet {shlex.quote(install)}
"""


def run_autograder(timeout: float, with_points: bool) -> str:
    points = ' --points "$root/source/points.toml"' if with_points else ""
    return f"""#!/usr/bin/env bash
# Gradescope runs this for each submission. (Written by `tinygrad-edu exercises gradescope`.)
set -u
root=${{AUTOGRADER_ROOT:-/autograder}}
results="$root/results/results.json"
first=$(find "$root/submission" -name 'part[1-9]_*.py' -print -quit)
workspace=$(dirname "${{first:-$root/submission/none}}")
"$root/venv/bin/tinygrad-edu" exercises check "$workspace" --timeout {timeout:g} --gradescope "$results"{points} \\
    > "$root/results/check.log" 2>&1
if [ ! -s "$results" ]; then  # nothing could be graded: say why
    "$root/venv/bin/python" -c \\
        'import json, sys; json.dump({{"score": 0, "output": sys.argv[1]}}, open(sys.argv[2], "w"))' \\
        "$(tail -n 1 "$root/results/check.log")" "$results"
fi
exit 0
"""
