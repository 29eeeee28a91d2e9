"""The ``hedgelab`` command. Each sub-command lives in its own module and registers itself here."""
import sys

import click

from hedgelab import __version__
from hedgelab.core.errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hedgelab")
def cli():
    """Backtest hedging strategies on crypto perpetuals and options."""


@cli.group()
def calc():
    """Calculators: liquidation price, option price and greeks."""


def _register():
    # Each module adds its commands to ``cli`` or ``calc``; a missing module is a packaging bug.
    from hedgelab.cli import data  # noqa: F401
    from hedgelab.cli import backtest, strategies_cmd  # noqa: F401
    from hedgelab.cli import calc_liq, calc_option, fetch  # noqa: F401
    from hedgelab.cli import stress  # noqa: F401
    from hedgelab.cli import calc_reverse  # noqa: F401


def main(argv=None):
    """Entry point: user mistakes become one line on stderr and exit code 2."""
    _register()
    try:
        return cli.main(args=argv, prog_name="hedgelab", standalone_mode=False) or 0
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        # One line like a UserError (no usage block); the hint names the command's --help.
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{where}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)


if __name__ == "__main__":
    main()
