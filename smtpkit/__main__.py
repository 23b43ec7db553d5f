"""`python -m smtpkit` is the same as the `smtpkit` command."""

import sys

from smtpkit.cli import main

sys.exit(main())
