"""`python -m gridhub.cli …`: the `gridhub` command."""

import sys

from gridhub.cli import main

main(sys.argv[1:])
