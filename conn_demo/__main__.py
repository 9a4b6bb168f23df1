"""`python -m conn_demo`: the same as the `conn-demo` console script."""

import sys

from conn_demo.cli import main

sys.exit(main())
