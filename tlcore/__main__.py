"""`python -m tlcore ...` entry point."""

import sys

from tlcore.cli import main

sys.exit(main())
