"""Scripts that generate the package's data files (run with ``python -m tools.<name>``)."""
