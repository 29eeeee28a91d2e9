"""Runs backtests for the API and the CLI: options resolved once, one preparation, execution, outputs."""
