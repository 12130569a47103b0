"""``python -m ncpu``."""

import sys

from ncpu.cli.main import main

sys.exit(main())
