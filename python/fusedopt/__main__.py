"""``python -m fusedopt bench ...``: the same as the ``fusedopt`` command."""

import sys

from .cli import main

sys.exit(main())
