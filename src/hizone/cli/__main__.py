"""`python -m hizone.cli`: the `hizone` command, for environments without the installed script."""

from hizone.cli import main

main()
