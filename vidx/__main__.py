"""`python -m vidx ...` runs the `vidx` command."""

from vidx.cli import main

main()
