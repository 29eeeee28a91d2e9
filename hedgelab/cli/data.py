"""``hedgelab data``: list, show, import and fetch datasets."""
from hedgelab.cli import cli


@cli.group()
def data():
    """Datasets in the local store (and the built-in crisis-2025)."""
