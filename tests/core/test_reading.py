"""Issue 24, readers that cannot block or exhaust memory (``hedgelab.core.reading``) and the venue,
costs and data-import readers that use it.

Before: a FIFO as --venue waited for a writer forever; /dev/zero as a file grew without end; deeply
nested TOML raised RecursionError; a non-UTF-8 costs file raised UnicodeDecodeError.
"""
import os
import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hedgelab.core.errors import UserError
from hedgelab.core.reading import (MAX_TOML_DEPTH, check_depth, open_regular, parse_toml, read_bytes, read_text,
                                   read_toml)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


def _in_time(func, seconds=20.0):
    """Run ``func`` in a thread; a reader that blocks fails the test instead of hanging it."""
    box = {}

    def target():
        try:
            box["value"] = func()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "the reader blocked"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.mark.parametrize("reader", [
    lambda p: read_toml(p, "config file", option="--config"),
    lambda p: read_bytes(p, "config file", max_bytes=100, option="--config"),
    lambda p: read_text(p, "config file", max_bytes=100, option="--config"),
])
def test_a_fifo_is_refused_without_blocking(fifo, reader):
    with pytest.raises(UserError, match=r"config file .*pipe.toml \(--config\): is a FIFO \(named pipe\), not a regular file"):
        _in_time(lambda: reader(fifo))


def test_dev_zero_is_refused_before_reading():
    with pytest.raises(UserError, match=r"^venue file /dev/zero: is a character device, not a regular file"):
        _in_time(lambda: read_toml("/dev/zero", "venue file"))


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"costs file .*: is a folder, not a regular file"):
        read_toml(tmp_path, "costs file")


@pytest.mark.parametrize("path", ["", "   ", None])
def test_an_empty_path_is_refused(path):
    with pytest.raises(UserError, match=r"config file \(--config\): no file given"):
        read_toml(path, "config file", option="--config")


def test_a_missing_file_names_the_file(tmp_path):
    with pytest.raises(UserError, match=r"venue file .*nothing.toml: file not found$"):
        read_toml(tmp_path / "nothing.toml", "venue file")


def test_a_path_with_a_nul_byte_is_one_line(tmp_path):
    with pytest.raises(UserError, match="not a valid file path"):
        read_toml(f"{tmp_path}/a\0b.toml", "venue file")


def test_the_size_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.toml"
    path.write_bytes(b"# " + b"x" * 2000 + b"\n")            # 2,003 bytes
    with pytest.raises(UserError, match=r"big.toml: 2.0 KB is above the limit of 1.0 KB"):
        read_toml(path, "config file", max_bytes=1000)
    assert read_toml(path, "config file", max_bytes=2003) == {}   # exactly at the limit: read


def test_a_sparse_huge_file_is_refused_at_once(tmp_path):
    path = tmp_path / "huge.toml"
    with open(path, "wb") as fh:                              # 10 GB of holes: no disk used
        fh.truncate(10 * 10**9)
    with pytest.raises(UserError, match=r"10.0 GB is above the limit of 1.0 MB"):
        _in_time(lambda: read_toml(path, "config file"))


def test_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b'data = "\xff\xfe"\n')
    with pytest.raises(UserError, match=r"c.toml: not UTF-8 text \(byte 8\)"):
        read_toml(path, "costs file")


def test_a_byte_order_mark_is_skipped(tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xef\xbb\xbfperp_fee = 0.0004\n")
    assert read_toml(path, "costs file") == {"perp_fee": 0.0004}


@pytest.mark.parametrize("text", [
    "a = " + "[" * 5000 + "]" * 5000,                          # RecursionError in tomllib before
    "a = " + "{b = " * 2000 + "1" + "}" * 2000,
    "a = " + "[" * (MAX_TOML_DEPTH + 1) + "]" * (MAX_TOML_DEPTH + 1),
    ".".join(["a"] * 5000) + " = 1",                           # dotted keys nest without recursion
    "[" + ".".join(["t"] * 200) + "]\nx = 1",
])
def test_deep_nesting_is_one_line(text):
    with pytest.raises(UserError, match=rf"^f.toml: tables and arrays nested more than {MAX_TOML_DEPTH} levels deep"):
        parse_toml(text, "f.toml")


def test_nesting_up_to_the_limit_is_read():
    depth = MAX_TOML_DEPTH - 1                                  # the top-level table is level 0
    value = parse_toml("a = " + "[" * depth + "]" * depth, "f.toml")
    check_depth(value, "f.toml")


def test_a_huge_integer_is_one_line():
    with pytest.raises(UserError, match=r"invalid TOML: Exceeds the limit \(4300 digits\)"):
        parse_toml("x = " + "9" * 5000, "f.toml")


def test_an_open_file_is_checked_again(tmp_path):
    """open_regular returns a file object of the path that was checked; max_bytes applies to it too."""
    path = tmp_path / "a.csv"
    path.write_text("time,close\n")
    with open_regular(path, "prices file", max_bytes=11) as fh:
        assert fh.read() == b"time,close\n"
    with pytest.raises(UserError, match="above the limit of 10 bytes"):
        open_regular(path, "prices file", max_bytes=10)


# -------------------------------------------------------------- fuzz: nested, binary, huge, adversarial

_PIECES = ["[", "]", "{", "}", "=", " = ", "a", "a.b", '"', "'", "\n", "[[t]]\n", "x = 1\n", "#", "\\", ",",
           "1e999", "nan", "inf", "\xff", "\x00", "é", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
           "a = [", "b = {", "9" * 50, '"""', "'''", "\r\n", "\t"]


def _toml_bytes():
    nested = st.integers(0, 3000).map(lambda n: ("a = " + "[" * n + "]" * n).encode())
    tables = st.integers(0, 3000).map(lambda n: ("a = " + "{b = " * n + "1" + "}" * n).encode())
    junk = st.lists(st.sampled_from(_PIECES), max_size=400).map(lambda xs: "".join(xs).encode("utf-8", "surrogatepass"))
    repeated = st.tuples(st.sampled_from(_PIECES), st.integers(1, 200_000)).map(
        lambda t: (t[0] * t[1]).encode("utf-8", "surrogatepass"))
    return st.one_of(st.binary(max_size=2000), nested, tables, junk, repeated)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_toml_bytes())
def test_fuzz_read_toml_gives_a_dict_or_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.toml"
    path.write_bytes(data)
    try:
        value = read_toml(path, "config file")
    except UserError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"config file {path}")
    else:
        assert isinstance(value, dict)
        check_depth(value, "f")


def _one_line_or_value(func, path, prefix):
    try:
        return func(path)
    except UserError as exc:
        assert "\n" not in str(exc), str(exc)
        assert prefix in str(exc), str(exc)
        return None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_toml_bytes())
def test_fuzz_venue_and_costs_files(tmp_path_factory, data):
    from hedgelab.engine.costs import read_costs
    from hedgelab.engine.venues import load_venue
    path = tmp_path_factory.mktemp("fuzz") / "v.toml"
    path.write_bytes(data)
    _one_line_or_value(lambda p: load_venue(p, at="2025-10-01"), path, "v")
    _one_line_or_value(read_costs, path, "costs")


_CSV_PIECES = ["time,open,high,low,close\n", "2025-10-01 00:00,1,2,0.5,1\n", "2025-10-01 01:00,1,2,0.5,1\n", ",", "\n",
               '"', "1e999", "-1", "nan", "\xff", "\x00", "x" * 1000, "1759276800000", "2262-04-12", ";", "\r"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.one_of(st.binary(max_size=2000),
                      st.lists(st.sampled_from(_CSV_PIECES), max_size=60).map(
                          lambda xs: "".join(xs).encode("utf-8", "surrogateescape"))))
def test_fuzz_data_import_files(tmp_path_factory, data):
    from hedgelab.data.importer import import_files
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "p.csv"
    path.write_bytes(data)
    _one_line_or_value(lambda p: import_files("fz", prices=p, write=False, store=folder), path, "p.csv")
