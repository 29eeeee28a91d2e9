"""Scale-out of sweeps and stress runs on Dask (threads, processes, or an existing cluster)."""
