"""``python -m tinygrad_edu``: see ``lecture/cli.py``."""

import sys

from .lecture.cli import main

sys.exit(main())
