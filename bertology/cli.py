"""The ``bertology`` command line: each subcommand is a thin wrapper over one library function.

Subcommands are registered by their subpackages (``bertology/<pkg>/commands.py`` defines
``register(app)``), so this file stays a table of contents. Heavy imports (torch,
transformers) happen inside the commands, so ``bertology --help`` is instant.
"""

from __future__ import annotations

import importlib
import sys

import typer

from bertology.errors import BertologyError

app = typer.Typer(
    name="bertology",
    help="Find where relational knowledge and syntax live inside masked language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Subpackages that contribute commands, in the order they appear in --help.
COMMAND_MODULES = [
    "bertology.probe.commands",
    "bertology.data.commands",
    "bertology.syntax.commands",
    "bertology.prune.commands",
    "bertology.train.commands",
    "bertology.world.commands",
    "bertology.demo_commands",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console entry point: bad input gets a one-line message and exit code 2, no traceback."""
    try:
        app(standalone_mode=False)
    except BertologyError as e:
        print(f"bertology: error: {e}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as e:  # click usage errors
        import click  # only on a usage error

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise


if __name__ == "__main__":
    main()
