"""``python -m tracker.cli``: the same as the ``airtrack`` command."""
import sys

from . import main

sys.exit(main())
