"""The ``bertology`` command line: each subcommand is a thin wrapper over one library function.

Subcommands are registered by their subpackages (``bertology/<pkg>/commands.py`` defines
``register(app)``), so this file stays a table of contents. Heavy imports (torch,
transformers) happen inside the commands, so ``bertology --help`` is instant.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from typer.exceptions import TyperException

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
    "bertology.evals.commands",
    "bertology.choice.commands",
    "bertology.dynamics.commands",
    "bertology.experiments.commands",
    "bertology.prune.commands",
    "bertology.kbc.commands",
    "bertology.train.commands",
    "bertology.finetune.commands",
    "bertology.world.commands",
    "bertology.demo_commands",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


MAX_MESSAGE = 400  # characters of an error line; longer input is cut, not echoed whole


def _one_line(message: str) -> str:
    message = " ".join(str(message).split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return message


def main(argv: list[str] | None = None) -> None:
    """Console entry point, the one error boundary of the CLI.

    - usage errors (a missing option, a wrong type, an unknown command): the usage line and
      the problem, exit 2;
    - bad input (:class:`~bertology.errors.BertologyError`): ``bertology: error: PATH[:LINE]:
      what was expected``, exit 2;
    - the environment (a read-only directory, a full disk, a permission): one line naming the
      path, exit 1.

    None prints a traceback unless ``--debug`` is given or ``BERTOLOGY_DEBUG=1`` is set.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("BERTOLOGY_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != "--debug"]
    try:
        rv = app(args=args, standalone_mode=False)
        # typer turns Ctrl-C (and typer.Exit) inside a command into a *returned* exit code
        # when not in standalone mode; our commands return results, never a bare int
        if isinstance(rv, int) and not isinstance(rv, bool) and rv != 0:
            if rv == 130:
                print("bertology: interrupted", file=sys.stderr)
            sys.exit(rv)
    except BertologyError as e:
        if debug:
            raise
        print(f"bertology: error: {_one_line(str(e))}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except typer.Abort:
        sys.exit(1)
    except KeyboardInterrupt:
        print("bertology: interrupted", file=sys.stderr)
        sys.exit(130)
    except TyperException as e:  # typer's own click: usage errors and the like
        if debug:
            raise
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            print(f"bertology: error: {_one_line(str(e))}", file=sys.stderr)
        sys.exit(int(getattr(e, "exit_code", 2)))
    except OSError as e:  # the environment: read-only, disk full, permission
        if debug:
            raise
        where = e.filename or ""
        what = e.strerror or str(e)
        print(f"bertology: error: {where}{': ' if where else ''}{_one_line(what)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
