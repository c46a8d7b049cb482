"""``python -m fisherstat.cli``."""

import sys

from . import main

sys.exit(main())
