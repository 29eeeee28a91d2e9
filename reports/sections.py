"""The comparison page's tables and text sections, each answering one trader question.

Every user-provided string goes through ``esc`` (html.escape); numbers are formatted here, never by
``str()`` (no Python dicts, no scientific notation on the page).
"""
from __future__ import annotations

import html
import json
import math
import re

import numpy as np
import pandas as pd

from . import exposure, figures
from .run import RunRecord
from .summary import liquidated_and_failed, status

esc = html.escape


def finite(x) -> bool:
    return isinstance(x, (int, float, np.floating, np.integer)) and math.isfinite(x)


def pct(x, digits=1) -> str:
    if not finite(x):
        return "–"
    cls = "neg" if x < 0 else "pos" if x > 0 else ""
    return f'<span class="{cls}">{x * 100:+.{digits}f}%</span>'


def usd(x, signed=False) -> str:
    if not finite(x):
        return "–"
    if round(x) == 0:
        return "0"  # not "+0" or "-0"
    return f"{x:+,.0f}" if signed else f"{x:,.0f}"


def number(x) -> str:
    """A plain number for people: thousands separators, no scientific notation, no float noise."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.floating, np.integer)):
        return str(x)
    if not math.isfinite(x):
        return "–"
    if float(x).is_integer():
        return f"{x:,.0f}"
    text = f"{x:,.8f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{x:.2g}"


_FILE_REF = re.compile(r"\s*(?:\(|via |, )?\b[\w./-]+\.(?:md|csv|parquet|json|py)\b(?: section [\d.]+)?\)?")


# characters common fonts lack (drawn as boxes): USDⓈ-M, quantstats' small percent sign
_GLYPHS = str.maketrans({"\u24c8": "S", "\ufe6a": "%"})


def plain(value) -> str:
    """A manifest value as a sentence: dicts as 'key value; ...', lists joined, numbers readable,
    references to files the user does not have (SOURCES.md, paths) dropped."""
    if isinstance(value, dict):
        return "; ".join(f"{k} {plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool):
        return number(value)
    text = _FILE_REF.sub("", str(value)).translate(_GLYPHS)
    return re.sub(r"\(\s*\)|\[\s*\]", "", text).strip(" ;,")


def params_text(params_json: str) -> str:
    """'a=1, b=x' from the JSON column (summary.csv keeps the JSON)."""
    try:
        params = json.loads(params_json)
    except (TypeError, ValueError):
        return str(params_json)
    return ", ".join(f"{k}={plain(v)}" for k, v in params.items()) if params else "no parameters"


# ---- ranking ----------------------------------------------------------------------------------------------

def vs_hold(row, hold_dd, capital) -> tuple[str, str]:
    """(cell, tooltip): max drawdown saved against hold in USD of capital, and per USD of hedge cost."""
    cost = row["hedge_cost_usd"]
    if not finite(cost) or not finite(hold_dd) or not finite(row["max_drawdown"]):
        return "–", "no hedge held, or no hold run to compare with"
    saved = (row["max_drawdown"] - hold_dd) * capital
    tip = f"max drawdown {row['max_drawdown'] * 100:+.1f}% vs hold {hold_dd * 100:+.1f}%: {saved:+,.0f} USD"
    if cost <= 0:
        return f"{saved:+,.0f} USD (the hedge earned)", tip + f"; the hedge earned {-cost:,.0f} USD"
    return f"{saved:+,.0f} USD ({saved / cost:,.1f} per USD)", tip + f" for {cost:,.0f} USD of hedge cost"


RANKING_ROWS = 500   # rows of the page's ranking; a sweep's others are in summary.csv (a page stays light)
GROUP_TITLES = {
    figures.DIRECTIONAL: "Directional runs (a long, hedged or not)",
    figures.NEUTRAL: "Market-neutral runs: their return is a carry trade, not a hedged long (ranked apart; "
                     + figures.NEUTRAL_RULE.split(": ", 1)[1] + ")",
}


def ranking(summary: pd.DataFrame, runs: dict, links: dict, bar_size: str = "") -> str:
    """The ranking: key columns only (fit at 800 px); parameters and the rest in each run's details.
    Every figure is summary.csv's (reports/summary.run_row, defined in reports/figures.py), groups and
    ranks too."""
    bars = f"{bar_size} " if bar_size else "bar-by-bar "
    hold = summary[summary["strategy"] == "hold"]
    hold_dd = float(hold["max_drawdown"].iloc[0]) if len(hold) else float("nan")
    head = ("<tr><th>#</th><th class='l'>run</th><th class='l'>status</th><th>return</th>"
            f"<th title='measured on the {esc(bars)}equity curve'>max drawdown ({esc(bars.strip())})</th>"
            "<th title='funding + fees + options net, USD paid (- = the hedge earned); only for runs that hold a "
            "hedge (a short perp against a long, or options)'>hedge cost (USD paid)</th>"
            "<th title='funding paid - funding received, USD'>funding (USD paid)</th>"
            "<th title='trading, option and liquidation fees, USD'>fees (USD paid)</th>"
            "<th title='option premiums paid - premiums received - settlement payoffs, USD'>options net (USD paid)</th>"
            "<th title='max drawdown saved against hold, in USD of capital; in brackets per USD of hedge cost'>"
            "max DD saved vs hold (USD)</th></tr>")
    shown = summary.head(RANKING_ROWS)
    titled = shown["group"].nunique() > 1 or (shown["group"] == figures.NEUTRAL).any()
    body, group = [], None
    for _, r in shown.iterrows():
        if titled and r["group"] != group and r["group"] in GROUP_TITLES:
            body.append(f"<tr class='group' data-group='{esc(r['group'])}'><td colspan='10' class='l'>"
                        f"{esc(GROUP_TITLES[r['group']])}</td></tr>")
        group = r["group"]
        run = runs[r["run"]]
        held = r["hedge"]   # 'unknown': a summary-only run, whose positions were not kept
        failed = isinstance(r["error"], str)
        if failed:
            cls, tag = "failed", f"<span class='tag fail'>FAILED</span> {esc(r['error'])}"
        elif r["liquidations"] > 0:
            cls, tag = "liq", f"<span class='tag liq'>{esc(status(r))}</span>"
        else:
            cls, tag = "ok", "<span class='tag ok'>survived</span>"
        capped = run.events is not None and len(run.events) and (run.events["kind"].astype(str) == "leverage_capped").any()
        if capped:  # asked for more leverage than the bracket allows: the engine used the maximum
            tag += (" <span class='tag fail' title='the venue changed the leverage asked for: above the bracket's "
                    "maximum (the maximum was used) or not a whole number where the venue sets whole numbers (the "
                    "one below was used); see the leverage_capped events and their reason'>leverage capped</span>")
        link = links.get(r["run"])
        detail = [f"<b>{esc(params_text(r['params']))}</b>",
                  f"final equity {usd(r['final_equity'])} USD", f"worst day {pct(r['worst_day'])}",
                  f"Sharpe {number(round(r['sharpe'], 2)) if finite(r['sharpe']) else '–'} (daily, 365 d)",
                  "no hedge held" if held == figures.NO_HEDGE else "positions not kept (summary-only run): hedge "
                  "cost = funding + fees + options net, whatever was held" if held == figures.UNKNOWN else
                  f"hedge: {esc(held)}" if held else "",
                  "market-neutral: its return is carry, not a hedged long" if r["market_neutral"] is True and
                  r["group"] == figures.ALL else "",
                  f"<a href='{esc(link)}'>tearsheet</a>" if link else ""]
        cell, tip = vs_hold(r, hold_dd, run.capital)
        hedge = "<span title='no hedge held'>no hedge</span>" if held == figures.NO_HEDGE else \
            f"<b>{usd(r['hedge_cost_usd'], True)}</b>"
        body.append(
            f"<tr class='{cls}'><td data-run='{esc(str(r['run']))}'>{r['rank']}</td><td class='l run'><details>"
            f"<summary title='{esc(params_text(r['params']))}'>{esc(str(r['run']))}</summary><div class='detail'>"
            f"{' · '.join(d for d in detail if d)}</div></details></td><td class='l st'>{tag}</td>"
            f"<td>{pct(r['total_return'])}</td><td>{pct(r['max_drawdown'])}</td>"
            f"<td{_v(r['hedge_cost_usd'])} data-col='hedge_cost_usd'>{hedge}</td>"
            f"<td{_v(r['funding_paid_usd'])} data-col='funding_paid_usd'>{usd(r['funding_paid_usd'], True)}</td>"
            f"<td{_v(r['fees_paid_usd'])} data-col='fees_paid_usd'>{usd(r['fees_paid_usd'], True)}</td>"
            f"<td{_v(r['options_net_paid_usd'])} data-col='options_net_paid_usd'>"
            f"{usd(r['options_net_paid_usd'], True)}</td><td class='vs' title='{esc(tip)}'>{esc(cell)}</td></tr>")
    note = (f"<p class='note' id='sign-convention'><b>{esc(figures.SIGN_NOTE)}</b> Ranked within each group: "
            "survivors first, then liquidated runs, then failed runs; within each, by final equity. Click a run for "
            "its parameters, final equity, worst day, Sharpe and tearsheet. Options net = premiums paid - premiums "
            "received - settlement payoffs (realized cash); hedge cost = funding + fees + options net, shown only "
            "for runs that hold a hedge (a short perp while long BTC, or options): sizing and deleveraging reduce "
            "exposure rather than hedge it. Max DD saved vs hold = (max drawdown - hold's max drawdown) x capital; "
            "in brackets, per USD of hedge cost.</p>"
            f"<p class='note' id='drawdown-resolution'>Max drawdown here and in summary.csv is measured on the "
            f"{esc(bars)}equity curve, every bar; the tearsheets measure it on daily returns (each UTC "
            "day's last bar), so a fall that recovers within a day shows here and not there.</p>")
    if len(summary) > len(shown):
        liquidated, failed = liquidated_and_failed(summary.iloc[len(shown):])
        note = (f"<p class='note' id='ranking-more'><b>The {len(shown):,} best-ranked of {len(summary):,} runs are "
                f"listed</b> ({liquidated:,} liquidated and {failed:,} failed among the rest); summary.csv "
                "has every run.</p>") + note
    return (f"<section id='ranking'><h2>Ranking</h2><table class='ranking'><thead>{head}</thead>"
            f"<tbody>{''.join(body)}</tbody></table>{note}</section>")


# ---- crisis windows ---------------------------------------------------------------------------------------

def crisis_windows(runs: list[RunRecord], windows, windows_note: str, bar: str) -> str:
    if not windows or not runs:
        return ("<section id='crisis-windows'><h2>Crisis windows</h2><p class='note'>No crisis window "
                "inside the data.</p></section>")
    head = "<tr><th class='l' rowspan='2'>run</th>" + "".join(
        f"<th colspan='3' class='win'>{esc(w.label)}<br><span class='note'>{w.start:%Y-%m-%d %H:%M} to "
        f"{w.end:%Y-%m-%d %H:%M} UTC</span></th>" for w in windows) + "</tr><tr>" + "".join(
        f"<th>return</th><th>max DD</th><th>worst {esc(bar)}</th>" for _ in windows) + "</tr>"
    rows = []
    for r in runs:
        cells = []
        for w in windows:
            st = exposure.window_stats(r, w.start, w.end)
            cells.append(f"<td>{pct(st['return'])}</td><td>{pct(st['max_drawdown'])}</td><td>{pct(st['worst_bar'])}</td>")
        rows.append(f"<tr><td class='l run'>{esc(r.name)}</td>{''.join(cells)}</tr>")
    return (f"<section id='crisis-windows'><h2>Crisis windows</h2><div class='scroll'><table>"
            f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div><p class='note'>"
            f"{esc(windows_note)}. Return and max drawdown inside each window, measured from the last bar "
            f"before it; worst {esc(bar)} = the worst single-bar return inside it.</p></section>")


# ---- liquidations -----------------------------------------------------------------------------------------

def leg(instrument, symbol=None) -> str:
    """'perp', or 'ETH perp' for a basket run's event (its coin in ``symbol``)."""
    return f"{symbol} {instrument}" if isinstance(symbol, str) and symbol else str(instrument)


def liquidation_table(runs: list[RunRecord]) -> str:
    rows, unseen, coins = [], 0, False
    for r in runs:
        if r.events is None:   # a summary-only run: its count is known, not its events
            unseen += int((r.stats or {}).get("liquidations", 0) > 0)
            continue
        ev = r.events_frame()
        liq = ev[ev["kind"].astype(str) == "liquidation"]
        coins = coins or (r.coins is not None and len(liq) > 0)   # a basket run's quantities are in its coins
        for _, e in liq.iterrows():
            t = pd.Timestamp(e["time"])
            t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
            q = float(e["qty"]) if finite(float(e["qty"])) else float("nan")
            before = r.equity[r.equity.index < t] if r.has_equity else pd.Series(dtype=float)
            at = r.equity[r.equity.index >= t] if r.has_equity else pd.Series(dtype=float)
            lost = (float(at.iloc[0]) - float(before.iloc[-1])) if len(before) and len(at) else float("nan")
            side = str(e["side"]) if isinstance(e["side"], str) and e["side"] else (
                "long closed" if q < 0 else "short closed")
            coin = e.get("symbol")   # a basket run's coin: its price to 6 significant digits (XRP 2.49620)
            shown_price = coin_price(float(e["price"])) if isinstance(coin, str) and coin else \
                number(round(float(e["price"]), 2))
            rows.append(f"<tr class='liq-row' data-run='{esc(r.name)}' data-time='{t:%Y-%m-%dT%H:%M:%SZ}'>"
                        f"<td class='l'>{esc(r.name)}</td><td>{t:%Y-%m-%d %H:%M}</td>"
                        f"<td class='l'>{esc(leg(e['instrument'], e.get('symbol')))}</td><td class='l'>{esc(side)}</td>"
                        f"<td>{shown_price}</td><td>{number(round(abs(q), 4))}</td>"
                        f"<td>{usd(float(e['amount']), True)}</td><td>{usd(lost, True)}</td></tr>")
    more = (f"<p class='note' id='liquidated-summary-only'>{unseen:,} more run{'s were' if unseen != 1 else ' was'} "
            "liquidated: summary-only runs (big sweeps) keep their liquidation count, not the events, so they are "
            "in the ranking and summary.csv, not here.</p>") if unseen else ""
    if not rows:
        return more or "<p class='note' id='no-liquidations'>No run was liquidated.</p>"
    unit = "coin" if coins else "BTC"
    return more + ("<table id='liquidation-table'><thead><tr><th class='l'>run</th><th>time (UTC)</th><th class='l'>leg</th>"
            f"<th class='l'>side</th><th>price</th><th>qty ({unit})</th><th>cash flow (USD)</th>"
            "<th>equity change over the bar (USD)</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


# ---- events -----------------------------------------------------------------------------------------------

MAX_EVENT_ROWS = 4000


def event_details(events: pd.DataFrame) -> list[str]:
    """Per event: the option contract ('put 90,000 exp 2025-10-31') or why it was cut ('initial_margin')."""
    out = []
    cols = set(events.columns)
    for _, e in events.iterrows():
        parts = []
        kind = str(e.get("option_type", "")) if "option_type" in cols and isinstance(e.get("option_type"), str) else ""
        if kind:
            strike = e.get("strike")
            expiry = pd.Timestamp(e["expiry"]) if "expiry" in cols and pd.notna(e.get("expiry")) else None
            parts.append(kind + (f" {number(round(float(strike), 2))}" if finite(strike) else "")
                         + (f" exp {expiry:%Y-%m-%d %H:%M}" if expiry is not None else ""))
        reason = e.get("reason") if "reason" in cols else None
        if isinstance(reason, str) and reason:
            parts.append(f"reason: {reason}")
        out.append("; ".join(parts))
    return out


def events_table(events: pd.DataFrame) -> str:
    """Every event (up to MAX_EVENT_ROWS; all of them are in events.csv), filterable by run, kind and text."""
    shown = events.head(MAX_EVENT_ROWS)
    rows = []
    for e, detail in zip(shown.itertuples(index=False), event_details(shown)):
        t = pd.Timestamp(e.time)
        price = float(e.price) if finite(float(e.price)) else float("nan")
        coin = getattr(e, "symbol", None)   # a basket run's coin: its price to 6 significant digits (XRP 2.49620)
        price_cell = (f"{usd(price, True)} USD moved" if e.kind == "margin" else
                      coin_price(price) if isinstance(coin, str) and coin else number(round(price, 2)))
        rows.append(f"<tr data-run='{esc(str(e.run))}' data-kind='{esc(str(e.kind))}'><td>{t:%Y-%m-%d %H:%M}</td>"
                    f"<td class='l'>{esc(str(e.run))}</td><td class='l'>{esc(leg(e.instrument, getattr(e, 'symbol', None)))}</td>"
                    f"<td class='l'>{esc(str(e.kind))}</td><td class='l'>{esc(str(e.side))}</td>"
                    f"<td>{number(round(float(e.qty), 6)) if finite(float(e.qty)) else '–'}</td>"
                    f"<td>{price_cell}</td><td>{usd(float(e.amount), True) if finite(float(e.amount)) else '–'}</td>"
                    f"<td class='l'>{esc(detail)}</td></tr>")
    opts = lambda col: "".join(f"<option>{esc(str(v))}</option>" for v in sorted(shown[col].astype(str).unique()))  # noqa: E731
    more = (f" Showing the first {len(shown):,} of {len(events):,}; all are in events.csv."
            if len(events) > len(shown) else "")
    unit = "coin" if "symbol" in shown.columns and shown["symbol"].notna().any() else "BTC"
    return ("<section id='events'><h2>Events</h2><div class='filters'><label>run <select id='ev-run'><option value=''>"
            f"all</option>{opts('run')}</select></label> <label>kind <select id='ev-kind'><option value=''>all</option>"
            f"{opts('kind')}</select></label> <label>text <input id='ev-text' size='16'></label> "
            "<span id='ev-count' class='note'></span></div><div class='scroll tall'><table id='events-table'><thead><tr>"
            "<th>time (UTC)</th><th class='l'>run</th><th class='l'>leg</th><th class='l'>kind</th><th class='l'>side</th>"
            f"<th>qty ({unit})</th><th>price (USD)</th><th>amount (USD)</th><th class='l'>contract / reason</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div><p class='note'>amount = cash flow to the account "
            "(+ received, - paid). time = when it happened: fills, fees, trims and margin moves at the bar's close; funding and option expiry at the settlement stamp; a stop or liquidation triggers during the bar opening at its time. <b>margin</b> rows "
            "move USD between cash and the isolated margin: their price column holds the USD moved (+ into the "
            "margin, - out) and qty and amount are 0. <b>order_trimmed</b> rows: qty = the part of an order not "
            f"filled, amount 0.{esc(more)}</p></section>")


# ---- assumptions and data ---------------------------------------------------------------------------------

def assumptions(items, events: pd.DataFrame) -> str:
    items = [plain(a) for a in items or ()]
    kinds = set(events["kind"].astype(str)) if len(events) else set()
    if "leverage_capped" in kinds:
        capped = sorted(set(events.loc[events["kind"].astype(str) == "leverage_capped", "run"].astype(str)))
        items.append("Leverage capped: " + ", ".join(capped) + " asked for more leverage than the venue's "
                     "bracket allows for the position's notional; the engine used the bracket maximum and "
                     "charged slippage and fees on what traded (see leverage_capped in the events).")
    lis = "".join(f"<li>{esc(a)}</li>" for a in items)
    return f"<section id='assumptions'><h2>Engine assumptions</h2><ul>{lis or '<li>none stated</li>'}</ul></section>"


def data(manifest: dict, window: str) -> str:
    mf = manifest or {}
    kind = str(mf.get("kind", "unknown"))
    what = (f"<b>{esc(str(mf.get('name', 'unnamed dataset')))}</b>: {esc(str(mf.get('venue', '?')))} "
            f"{esc(str(mf.get('symbol', '?')))}, bars {esc(str(mf.get('bar_size', '?')))}; this report's window "
            f"{esc(window)}")
    if kind == "reconstruction":
        anchors = mf.get("anchors") or []
        items = "".join(
            f"<li>{esc(plain(a.get('fact', '')))}: <b>{esc(plain(a.get('value', '')))}</b>"
            f" ({esc(plain(a.get('date', '')))}; {esc(plain(a.get('source', '')))})</li>" if isinstance(a, dict)
            else f"<li>{esc(plain(a))}</li>" for a in anchors)
        banner = (f'<div class="banner recon"><b>Reconstruction, not recorded market data.</b> {what}. '
                  "The price path is rebuilt to match the anchors below; results show how each hedge "
                  "behaves on a crash of this shape, not what happened to a real account."
                  f"<ul>{items or '<li>no anchors listed</li>'}</ul></div>")
    else:
        label = {"real": "Recorded market data", "imported": "Imported market data"}.get(kind, f"Data kind: {kind}")
        banner = f'<div class="banner real"><b>{esc(label)}.</b> {what}.</div>'
    rows = [f"<dt>proxy: {esc(str(k))}</dt><dd>{esc(plain(v))}</dd>" for k, v in (mf.get("proxies") or {}).items()]
    rows.append(f"<dt>IV fill rule</dt><dd>{esc(plain(mf.get('iv_fill') or 'none (IV covers the range)'))}</dd>")
    if mf.get("funding_interval_hours"):
        rows.append(f"<dt>funding interval</dt><dd>{esc(number(mf['funding_interval_hours']))} h</dd>")
    sources = {}
    for k, v in (mf.get("provenance") or {}).items():
        sources.setdefault(plain(v), []).append(str(k))
    rows += [f"<dt>source of {esc(', '.join(cols))}</dt><dd>{esc(text)}</dd>" for text, cols in sources.items()]
    notes = "".join(f"<li>{esc(plain(n))}</li>" for n in mf.get("notes") or [])
    return (f"<section id='data'><h2>Data</h2>{banner}<dl>{''.join(rows)}</dl>"
            + (f"<ul class='note'>{notes}</ul>" if notes else "") + "</section>")


# ---- basket runs (several coins in one account) ------------------------------------------------------------

def _v(x) -> str:
    """The exact number behind a cell, for readers of the page's source and the tests."""
    return f" data-v='{float(x)!r}'" if finite(x) else ""


def _cell(x, signed=True) -> str:
    return f"<td{_v(x)}>{usd(x, signed)}</td>"


def coin_attribution(runs, axis, windows, window_text: str, chart) -> str:
    """Section ``coins``: each basket run's exposure and PnL per coin (a table per run) and the stacked
    exposure chart. ``chart(fig, key, caption)`` renders a figure (html._chart)."""
    from . import basket
    from .charts import coin_exposure_figure
    shown = basket.basket_runs(runs)
    if not shown:
        return ""
    blocks = []
    for k, r in enumerate(shown):
        a = basket.attribution(r)
        if a.start is None:
            blocks.append(f"<h3>{esc(r.name)}</h3><p class='note'>Held no coin during the window.</p>")
            continue
        rows = "".join(
            f"<tr data-coin='{esc(coin)}'><td class='l'>{esc(coin)}</td>"
            f"{_cell(x.exposure_start)}{_cell(x.exposure_end)}{_cell(x.held)}{_cell(x.trades)}"
            f"{_cell(x.funding)}{_cell(x.fees)}<td{_v(x.pnl)}><b>{usd(x.pnl, True)}</b></td></tr>"
            for coin, x in a.table.iterrows())
        t = a.table.sum()
        rows += (f"<tr class='total' data-coin='all coins'><td class='l'>all coins</td>{_cell(t.exposure_start)}"
                 f"{_cell(t.exposure_end)}{_cell(t.held)}{_cell(t.trades)}{_cell(t.funding)}{_cell(t.fees)}"
                 f"<td{_v(t.pnl)}><b>{usd(t.pnl, True)}</b></td></tr>")
        if abs(a.unattributed) >= basket.ROUNDING_USD:
            rows += ("<tr class='rest'><td class='l' colspan='7'>not attributed to a coin: a cross wallet a gap took "
                     "below zero, set to zero (the venue's loss, not the account's)</td>"
                     f"{_cell(a.unattributed)}</tr>")
        notes = "".join(f"<li>{esc(n)}</li>" for n in a.notes)
        blocks.append(
            f"<h3>{esc(r.name)}</h3><div class='scroll'><table class='attribution' id='attribution-{k}' "
            f"data-run='{esc(r.name)}' data-total='{a.total!r}'><thead><tr><th class='l'>coin</th>"
            f"<th>exposure {a.start:%Y-%m-%d %H:%M}</th><th>exposure {a.end:%Y-%m-%d %H:%M}</th>"
            "<th>held at the end</th><th>trades</th><th>funding</th><th>fees</th><th>PnL</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div><p class='note'>The run's PnL: final equity - capital = "
            f"<b>{usd(a.total, True)}</b> USD.</p>" + (f"<ul class='note'>{notes}</ul>" if notes else ""))
    fig = coin_exposure_figure(axis, shown, windows, window_text) if axis is not None else None
    return ("<section id='coins'><h2>Per coin (basket runs)</h2>"
            + (chart(fig, "coin-exposure", "Exposure = USD delta of the coin at each bar's close: spot x index + "
                                           "perp qty x mark (a short perp below zero); black: the net exposure")
               if fig is not None else "")
            + "".join(blocks)
            + "<p class='note'>USD, + = adds to the run's PnL. Exposure: the coin's USD delta (spot x index + perp qty "
              "x mark) at the close of the first bar at which the account held anything, and of the last bar. "
              "PnL = held at the end + trades + funding + fees: <b>held at the end</b> = spot x index + the perp's "
              "unrealized PnL at the last close (an isolated position's margin is the account's own cash, not "
              "counted); <b>trades</b> = cash of the coin's spot fills (- paid for a buy) and the perp's realized "
              "PnL (fills, stops, liquidations); <b>funding</b> received (+) or paid (-); <b>fees</b> paid (-), "
              "liquidation fees included. The coins' PnL add up to the run's final equity minus its capital (a loss "
              "past a cross wallet, which the venue bears, is shown apart).</p>"
            + "</section>")


TIPPED = " class='tipped'"


def coin_price(x) -> str:
    """A price to 6 significant digits (3,422.67; 1.24342; 0.184213)."""
    if not finite(x):
        return "–"
    digits = max(0, 6 - len(str(int(abs(x)))) if abs(x) >= 1 else 6)
    return f"{x:,.{digits}f}"


def _when(t) -> str:
    return "–" if t is None or pd.isna(t) else f"{pd.Timestamp(t):%Y-%m-%d %H:%M}"


def coin_liquidations(runs, coin_prices=None) -> str:
    """In words, per liquidation bar of a basket run: when, which coin tipped it, the price each position was
    closed at against its coin's previous close."""
    from . import basket
    blocks = []
    for r in basket.basket_runs(runs):
        for b in basket.liquidation_bars(r, coin_prices):
            c = b.closed.sort_values("cost", na_position="last")
            held = lambda q: f"{'long' if q > 0 else 'short'} {number(round(abs(q), 4))}"  # noqa: E731
            parts = [f"{esc(coin)} {held(x.qty)} at {coin_price(x.price)}"
                     + (f" ({pct(x.move, 1)} from {coin_price(x.prev_close)})" if finite(x.move) else "")
                     for coin, x in c.iterrows()]
            n = len(c)
            what = ("the " + esc(str(c.index[0])) + " perp was closed" if n == 1 else
                    f"{'all ' if not b.kept_open else ''}{n} perp positions were closed at once")
            text = [f"<b>{esc(r.name)}</b> was liquidated in the bar opening {_when(b.time)} UTC: {what}, at the "
                    f"prices of the liquidation point: {'; '.join(parts)}."]
            if b.tipped_by:
                text.append(f"<b>{esc(b.tipped_by)}</b> tipped it: its move from the bar's open cost the account the "
                            "most." if n > 1 else f"<b>{esc(b.tipped_by)}</b> tipped it.")
            if b.kept_open:
                text.append(f"{esc(', '.join(b.kept_open))} kept {'its' if len(b.kept_open) == 1 else 'their'} "
                            "perp open through the bar.")
            text.append(f"Equity went from {usd(b.equity_before)} USD at the previous close"
                        + (f" (margin ratio {b.margin_ratio_before * 100:.1f}%)" if finite(b.margin_ratio_before)
                           and b.margin_ratio_before > 0 else "")
                        + f" to {usd(b.equity_after)} USD at this bar's close.")
            rows = "".join(
                f"<tr data-coin='{esc(coin)}'{TIPPED if coin == b.tipped_by else ''}>"
                f"<td class='l'>{esc(coin)}{' (tipped it)' if coin == b.tipped_by else ''}</td>"
                f"<td class='l'>{held(x.qty)}</td><td{_v(x.prev_close)}>{coin_price(x.prev_close)}</td>"
                f"<td{_v(x.price)}>{coin_price(x.price)}</td><td{_v(x.move)}>{pct(x.move, 1)}</td>"
                f"{_cell(x.cost)}{_cell(x.realized)}{_cell(x.fee)}</tr>"
                for coin, x in c.iterrows())
            blocks.append(
                f"<div class='coin-liq' data-run='{esc(r.name)}' data-time='{b.time:%Y-%m-%dT%H:%M:%SZ}'>"
                f"<p>{' '.join(text)}</p><div class='scroll'><table><thead><tr><th class='l'>coin</th>"
                "<th class='l'>position closed (coins)</th><th>previous close (mark, USD)</th><th>closed at (USD)</th>"
                "<th>move from the previous close</th><th>cost of the move (USD)</th><th>realized PnL (USD)</th>"
                f"<th>liquidation fee (USD)</th></tr></thead><tbody>{rows}</tbody></table></div></div>")
    if not blocks:
        return ""
    return ("<div id='coin-liquidations'><h3>Basket liquidations, coin by coin</h3>" + "".join(blocks)
            + "<p class='note'>Previous close = the coin's mark at the close of the bar before (– where the record "
              "cannot tell it: a coin held both as spot and as a perp, without the coins' prices). Cost of the move "
              "= position x (closed at - previous close), in USD. With bars only, the order of the coins' extremes "
              "inside a bar is unknown: a cross account is liquidated at the joint worst case (each long at its "
              "low, each short at its high, at once), where its margin runs out; the coin that tipped it is the one "
              "whose move from the bar's open cost the account the most there.</p></div>")


BASIS_COLUMNS = (("mark", "mark close vs index close"), ("traded", "traded close vs index close"),
                 ("low", "mark low vs index low"))


def coin_basis(runs, coin_prices, axis, windows, chart) -> str:
    """Section ``basis``: perp vs index (spot) per held coin around 2025-10-10, when the window covers it and
    the coins' prices were given."""
    from . import basket
    from .charts import basis_figure
    b = basket.basis(runs, coin_prices)
    if b is None:
        return ""
    window = f"{b.start:%Y-%m-%d %H:%M} to {b.end:%Y-%m-%d %H:%M} UTC"
    notes = []
    if b.left_out:
        notes.append(f"Not shown: {', '.join(b.left_out)} (no run held {'it' if len(b.left_out) == 1 else 'them'} "
                     "in this window).")
    if b.same:
        notes.append(f"{', '.join(b.same)}: the data's perp and index are one series, so there is no gap to "
                     "measure (–).")
    left = "".join(f"<p class='note basis-left'>{esc(n)}</p>" for n in notes)
    if b.table.empty:
        return (f"<section id='basis'><h2>Perp vs spot per coin around Oct 10</h2><p class='note'>No basket run "
                f"held a coin in {esc(window)}.</p>{left}</section>")
    shown = [(k, label) for k, label in BASIS_COLUMNS if b.table[f"{k}_gap"].notna().any()]
    if not shown:
        shown = [BASIS_COLUMNS[0]]
    head = ("<tr><th class='l'>coin</th>"
            + "".join(f"<th>largest gap, {label}</th><th>its bar (UTC)</th>" for _, label in shown)
            + "<th class='l'>held by</th></tr>")
    rows = "".join(
        f"<tr data-coin='{esc(coin)}'><td class='l'>{esc(coin)}</td>"
        + "".join(f"<td{_v(x[k + '_gap'])} data-gap='{k}'>{pct(x[k + '_gap'], 2)}</td>"
                  f"<td>{_when(x[k + '_at'])}</td>" for k, _ in shown)
        + f"<td class='l held' style='white-space:normal'>{esc(', '.join(x.held_by))}</td></tr>"
        for coin, x in b.table.iterrows())
    fig = basis_figure(axis, b, windows) if axis is not None else None
    return ("<section id='basis'><h2>Perp vs spot per coin around Oct 10</h2>"
            + (chart(fig, "basis", "") if fig is not None else "")
            + f"<div class='scroll'><table id='basis-table'><thead>{head}</thead><tbody>{rows}</tbody></table></div>"
            + left + "<p class='note'>Gap = perp / index - 1 in the same bar (index = the spot price; negative: "
              f"the perp below spot), the largest in size over {esc(window)} (bars by their open), for the coins a "
              "basket run held (spot or perp) in that window. Lows: the perp's low against the index's low of the "
              "same bar, which need not be at the same minute.</p></section>")


def _beta(x) -> str:
    return f"{x:.2f}" if finite(x) else "–"


def hedge_betas(runs, coin_prices) -> str:
    """Section ``hedge-beta``: the betas a basket hedge was sized by against those that happened."""
    from . import basket
    tables = basket.hedge_betas(runs, coin_prices)
    if not tables:
        return ""
    parts = []
    for name, t in tables.items():
        crash = "oct10_move" in t.columns
        head = ("<tr><th class='l'>coin</th><th>on</th><th>beta used (mean)</th><th>beta realized</th>"
                + ("<th>beta used Oct 10</th><th>Oct 10 move</th><th>beta x reference's move</th>" if crash else "")
                + "</tr>")
        rows = "".join(
            f"<tr data-coin='{esc(coin)}'><td class='l'>{esc(coin)}</td><td>{esc(r['reference'])}</td>"
            f"<td>{_beta(r['beta_used_mean'])}</td><td>{_beta(r['beta_realized'])}</td>"
            + (f"<td>{_beta(r['beta_used_oct10'])}</td><td>{pct(r['oct10_move'])}</td>"
               f"<td>{pct(r['oct10_predicted'])}</td>" if crash else "")
            + "</tr>" for coin, r in t.iterrows())
        parts.append(f"<h3>{esc(name)}</h3><div class='scroll'><table class='hedge-beta'><thead>{head}</thead>"
                     f"<tbody>{rows}</tbody></table></div>")
    return ("<section id='hedge-beta'><h2>Hedge beta: used vs realized</h2>" + "".join(parts)
            + "<p class='note'>Beta used: the strategy's rolling beta of the coin's hourly index log returns on the "
              "reference's (its features, known at each close), averaged over the bars the coin was held. Beta "
              "realized: the same regression over the report's whole window. Oct 10: the beta known at the close "
              "before 20:00 UTC, the coin's move from that close to the 21:00 bar's index low, and what that beta "
              "times the reference's move predicted (the hedge's shortfall is the difference).</p></section>")
