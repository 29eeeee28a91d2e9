"""Stress testing: scenario paths (shock, bootstrap, GARCH, jumps, named crises), liquidation
cascades, survival odds and reverse stress."""
