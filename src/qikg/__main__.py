"""``python -m qikg``: the same as the ``qikg`` command."""

import sys

from qikg.cli import main

sys.exit(main())
