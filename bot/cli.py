"""Composition root of the command line: ``newsbrief <command>``.

Each group of commands lives in its own module with a ``register(app)`` function.
"""

from __future__ import annotations

import typer

from bot import cli_data, cli_engine, cli_run

app = typer.Typer(
    name="newsbrief",
    help="Who-said-what news briefings for Discord, Slack and the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root() -> None:
    """Who-said-what news briefings for Discord, Slack and the terminal."""


for module in (cli_engine, cli_data, cli_run):
    module.register(app)


def main() -> None:
    app()
