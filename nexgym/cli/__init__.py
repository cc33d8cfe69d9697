"""The `nexgym` command line: one module per sub-command (see main.py)."""
