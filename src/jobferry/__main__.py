"""``python -m jobferry`` runs the command line."""

from jobferry.cli import main

main()
