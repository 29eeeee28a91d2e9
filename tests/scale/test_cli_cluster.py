"""`hedgelab sweep --cluster`: the same files as in-process; a bad spec is one line and exit 2."""
import pandas as pd

from testkit import cli as h

SWEEP = ["sweep", "perp-hedge", "-g", "hedge_ratio=0,0.5,1", "-g", "leverage=2,10", "--start", "2025-10-08",
         "--end", "2025-10-12", "--quiet", "--tearsheets", "0"]


def test_cluster_local_writes_the_in_process_files(tmp_path, capsys):
    rc, _, err = h.invoke(SWEEP + ["--out", str(tmp_path / "here")], capsys)
    assert rc == 0, err
    config = tmp_path / "cluster.toml"
    config.write_text('cluster = "local"\n')           # the config key, as --cluster would
    rc, _, err = h.invoke(SWEEP + ["--out", str(tmp_path / "there"), "--config", str(config)], capsys)
    assert rc == 0, err
    for name in ("summary.csv", "events.csv"):
        here = pd.read_csv(tmp_path / "here" / name)
        there = pd.read_csv(tmp_path / "there" / name)
        pd.testing.assert_frame_equal(there, here, check_exact=True)
    assert len(pd.read_csv(tmp_path / "here" / "summary.csv")) == 6


def test_bad_cluster_spec_is_exit_2_before_anything_is_written(tmp_path, capsys):
    rc, out, err = h.invoke(SWEEP + ["--out", str(tmp_path / "out"), "--cluster", "local-processes:zero"], capsys)
    assert rc == 2
    assert err == "error: --cluster 'local-processes:zero': expected local-processes:N with N a whole number >= 1\n"
    assert not (tmp_path / "out").exists()
