"""``newsbrief extract`` and ``newsbrief digest``: the engine on local files."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def extract(files: list[str], jsonl: bool = typer.Option(False, "--jsonl")) -> None:
        """Print the statements found in each article file (one JSON object per file)."""
        raise typer.Exit(0)
