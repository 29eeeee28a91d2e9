# `python -m hedgelab ...` is the `hedgelab` command, with its exit code (0, 1 or 2).
from hedgelab.cli import main

raise SystemExit(main())
