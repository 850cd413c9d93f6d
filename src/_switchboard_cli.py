"""The ``switchboard`` console script: Ctrl-C is answered from its first moment.

Importing the command's modules takes a good part of a second (switchboard, typer, rich,
the eval harness), and a console script imports its module before it calls anything: a
Ctrl-C then printed the traceback of an import. This module imports nothing but `sys`
until `main` runs, so that an interrupt while switchboard loads ends the command as one
during the command does (`switchboard.terminal`): ``interrupted`` on stderr, status 130.
"""

import sys


def main() -> None:
    """Run the ``switchboard`` command."""
    try:
        from switchboard.cli import main as command

        command()
    except KeyboardInterrupt:
        # As switchboard.terminal.INTERRUPTED, which this module must not import.
        sys.stderr.write(("\n" if sys.stderr.isatty() else "") + "interrupted\n")
        raise SystemExit(130) from None
