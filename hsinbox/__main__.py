"""``python -m hsinbox``."""

import sys

from hsinbox.cli import main

sys.exit(main())
