"""`python -m garrison` is the `garrison` command."""

from garrison.cli.main import main

main()
