"""`python -m tlcore ...` entry point.

A reader that stops early (``| head``) ends the command quietly, as it ends any Unix tool: the rest
of the output goes to /dev/null and the exit code is 141 (128 + SIGPIPE), with no traceback.
"""

import os
import sys

from tlcore.cli import main

try:
    code = main()
    sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
except BrokenPipeError:
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 141
sys.exit(code)
