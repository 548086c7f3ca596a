"""``python -m verimath`` runs the command-line interface."""

from verimath.cli import main

main()
