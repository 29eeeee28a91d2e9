"""What every layer uses: user errors, secret redaction, owned temp folders, output folders and the
rules TOML files are checked by. Imports nothing else of hedgelab."""
