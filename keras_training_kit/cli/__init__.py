"""The `ktk` command line: one module per subcommand."""
