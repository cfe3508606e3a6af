"""The command line: the typer app (`pdauth.cli.main`), its commands, terminal output, and the typer-free
front doors for plain `pdauth token` and `pdauth call`. Importing this package loads nothing."""
