"""The ``lantian`` command line: one Typer app, one command group per domain.

The CLI stays thin: it parses arguments, calls a service function and renders the answer with Rich.
"""

from __future__ import annotations

import typer

from lantian import __version__

app = typer.Typer(
    name="lantian",
    help="蓝天 lantian — 大气污染防治攻坚平台 / air-pollution campaign platform.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def version() -> None:
    """打印版本 / Print the lantian version."""
    typer.echo(f"lantian {__version__}")


# --- command groups of the domain packages (one line each) -------------------------------------
# (registered below; each domain keeps its commands in its own module)
