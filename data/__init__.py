"""Market data: datasets, the local store, import and validation, alignment for the kernels.

Public API (docs/ARCHITECTURE.md, "Data contract")::

    ds = load("crisis-2025")          # built in; other names come from the store
    market = align(ds, "2025-10-01", "2025-10-31")
    markets = align_coins(ds, ["BTC", "ETH"], "2025-10-01", "2025-10-31")   # a dataset of several coins
    ds = import_files("mine", prices="spot.csv", funding="funding.csv", iv="dvol.csv")
"""
from hedgelab.data.align import align, align_coins, resample
from hedgelab.data.arrays import MarketArrays
from hedgelab.data.dataset import SCHEMA_VERSION, Dataset
from hedgelab.data.importer import import_files
from hedgelab.data.store import list_datasets, load, read_dataset, store_dir, write_dataset

__all__ = ["Dataset", "MarketArrays", "SCHEMA_VERSION", "align", "align_coins", "resample", "load", "store_dir",
           "list_datasets", "read_dataset", "write_dataset", "import_files"]
