"""`python -m services.cli`: the `perche` command without its installed script (tests, benches)."""

import sys

from services.cli.main import main

sys.exit(main())
