"""Issue 12: a password in a base URL (``user:pass@``), an API key, token or signature never reaches
an error line or a stored manifest in clear (before: the password printed in the error line)."""
import pytest

from hedgelab.core.redact import redact
from hedgelab.data import write_dataset
from hedgelab.data.fetch import Retry
from hedgelab.core.errors import UserError
from testkit.cli import invoke as run
from testkit.fetch_fixtures import fx, no_network  # noqa: F401  (fixtures; also registers the command)

SECRET = "s3cr3t-Pa55"


@pytest.fixture
def no_backoff(monkeypatch):
    """Retries happen, without the real seconds of backoff."""
    init = Retry.__init__

    def fast(self, retries=5, backoff=1.0, max_delay=30.0, sleep=None):
        init(self, retries, backoff, max_delay, lambda seconds: None)
    monkeypatch.setattr(Retry, "__init__", fast)


@pytest.mark.parametrize("venue, path", [("binance", "/fapi/v1/klines"), ("bybit", "/v5/market/kline"),
                                         ("hyperliquid", "/info")])
def test_a_failed_fetch_through_a_url_with_a_password_masks_it(fx, tmp_path, capsys, no_backoff, venue, path):
    fx.add_fault(path, kind="drop", times=-1)
    url = fx.url.replace("http://", f"http://alice:{SECRET}@")
    rc, out, err = run(["data", "fetch", "c", "--venue", venue, "--start", "2025-09-01", "--end", "2025-09-02",
                        "--store", str(tmp_path), "--quiet", "--no-dvol", "--api-url", url], capsys)
    assert rc == 2 and err.count("\n") == 1
    assert "alice:***@127.0.0.1" in err          # the line still says where it went
    assert SECRET not in err + out


def test_a_bad_api_url_with_a_password_is_masked(capsys):
    rc, _, err = run(["data", "fetch", "c", "--venue", "binance", "--start", "2025-09-01",
                      "--api-url", f"ftp:/bob:{SECRET}@"], capsys)
    assert rc == 2 and SECRET not in err and "bob:***@" in err


def test_a_stored_manifest_has_no_secret(tmp_path, dataset_factory):
    ds = dataset_factory()
    ds.manifest["notes"] = [f"fetched from https://bob:{SECRET}@proxy.example/fapi?symbol=BTC&apiKey=K123&"
                            f"signature=abc", "headers {'X-MBX-APIKEY': 'K456'}"]
    text = (write_dataset(ds, tmp_path) / "manifest.json").read_text()
    for secret in (SECRET, "K123", "K456", "signature=abc"):
        assert secret not in text
    assert "bob:***@proxy.example" in text and "symbol=BTC" in text


@pytest.mark.parametrize("raw, masked", [
    ("http://alice:pw@host:8000/x", "http://alice:***@host:8000/x"),
    ("https://TOKEN123@host/x", "https://***@host/x"),
    ("GET https://h/x?symbol=BTC&apiKey=AAA&timestamp=1&signature=f00", "GET https://h/x?symbol=BTC&apiKey=***&timestamp=1&signature=***"),
    ("{'X-MBX-APIKEY': 'abcdef', 'Content-Type': 'json'}", "{'X-MBX-APIKEY': '***', 'Content-Type': 'json'}"),
    ('{"apiKey": "k", "secret": "s"}', '{"apiKey": "***", "secret": "***"}'),
    ("Authorization: Bearer eyJhbGc.x.y", "Authorization: ***"),
    ("http://127.0.0.1:8000/fapi --col close=price e-mail: a@b.c", "http://127.0.0.1:8000/fapi --col close=price e-mail: a@b.c"),
])
def test_redaction_rules(raw, masked):
    assert redact(raw) == masked
    assert str(UserError(f"x {raw}")) == f"x {masked}"


def test_a_fetch_error_carries_no_raw_cause(fx, tmp_path, no_backoff):
    """An API caller who catches the error and prints its traceback sees no password either: the
    ccxt exception (whose text holds the raw URL) is not chained."""
    import traceback

    from hedgelab.data.fetch import FetchError, fetch
    fx.add_fault("/fapi/v1/klines", kind="drop", times=-1)
    url = fx.url.replace("http://", f"http://alice:{SECRET}@")
    with pytest.raises(FetchError) as info:
        fetch("c", venue="binance", start="2025-09-01", end="2025-09-02", store=tmp_path, dvol=False, api_urls=url,
              quiet=True)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    shown = "".join(traceback.format_exception(info.value))
    assert SECRET not in shown and "alice:***@" in shown
