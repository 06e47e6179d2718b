"""pandas as the package's frames need it, set before any frame is made (periods.py and schemas.py,
which every command imports before it reads a file, import this module).

Text is kept as Python strings, whether or not pyarrow is installed: pandas 3 keeps it in Arrow
arrays where pyarrow is there, and this package's cold runs are then 1.1-1.2x as slow (each stage
reads text as Python strings: bench/ARROW.md, measured by `make bench-arrow`), and
a user's results would hang on what else happens to be installed.
"""

from __future__ import annotations

import pandas as pd

pd.set_option("mode.string_storage", "python")
