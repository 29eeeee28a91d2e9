# `python -m hedgelab.cli` exits with the same code as the `hedgelab` console script (0, 1 or 2).
from hedgelab.cli import main

raise SystemExit(main())
