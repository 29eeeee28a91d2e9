"""Market metadata the fake exchange answers to ccxt's ``load_markets`` calls: minimal, in each
exchange's real JSON shape (/work/shared/specs/exchange-api-samples.md, sections 1.2, 2.2, 3.2-3.3, 4.2-4.3)."""

BINANCE_EXCHANGE_INFO = {
    "timezone": "UTC", "serverTime": 1735689600000, "futuresType": "U_MARGINED", "rateLimits": [],
    "exchangeFilters": [], "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
    "symbols": [{
        "symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000, "status": "TRADING", "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000", "baseAsset": "BTC", "quoteAsset": "USDT", "marginAsset": "USDT",
        "pricePrecision": 2, "quantityPrecision": 3, "baseAssetPrecision": 8, "quotePrecision": 8,
        "underlyingType": "COIN", "underlyingSubType": ["PoW"], "settlePlan": 0, "triggerProtect": "0.0500",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "556.80", "maxPrice": "4529764", "tickSize": "0.10"},
            {"filterType": "LOT_SIZE", "minQty": "0.001", "maxQty": "1000", "stepSize": "0.001"},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120", "stepSize": "0.001"},
            {"filterType": "MIN_NOTIONAL", "notional": "100"}],
        "orderTypes": ["LIMIT", "MARKET"], "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"]}],
}

BYBIT_BTCUSDT = {
    "symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "BTC",
    "quoteCoin": "USDT", "launchTime": "1585526400000", "deliveryTime": "0", "deliveryFeeRate": "",
    "priceScale": "2", "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
    "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
    "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001",
                      "postOnlyMaxOrderQty": "1190.000", "maxMktOrderQty": "500.000", "minNotionalValue": "5"},
    "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": "USDT", "copyTrading": "both",
    "upperFundingRate": "0.005", "lowerFundingRate": "-0.005", "isPreListing": False, "preListingInfo": None,
    "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"}, "symbolType": "",
}

HL_SPOT_META = {
    "universe": [{"tokens": [1, 0], "name": "PURR/USDC", "index": 0, "isCanonical": True}],
    "tokens": [
        {"name": "USDC", "szDecimals": 8, "weiDecimals": 8, "index": 0, "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054",
         "isCanonical": True, "evmContract": None, "fullName": None},
        {"name": "PURR", "szDecimals": 0, "weiDecimals": 5, "index": 1, "tokenId": "0xc1fb593aeffbeb02f85e0308e9956a90",
         "isCanonical": True, "evmContract": None, "fullName": None}],
}
HL_SPOT_CTX = {"prevDayPx": "0.1801", "dayNtlVlm": "123456.78", "markPx": "0.1812", "midPx": "0.18125",
               "circulatingSupply": "596999999.0", "coin": "PURR/USDC", "totalSupply": "596999999.0",
               "dayBaseVlm": "681234.0"}
HL_META_AND_CTXS = [
    {"universe": [{"szDecimals": 5, "name": "BTC", "maxLeverage": 40, "marginTableId": 56},
                  {"szDecimals": 4, "name": "ETH", "maxLeverage": 25, "marginTableId": 55}],
     "marginTables": [[56, {"description": "tiered 40x", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": 40}]}]],
     "collateralToken": 0},
    [{"funding": "0.0000125", "openInterest": "28914.12345", "prevDayPx": "94120.0", "dayNtlVlm": "2412345678.12",
      "premium": "0.00021345", "oraclePx": "95012.0", "markPx": "95031.0", "midPx": "95030.5",
      "impactPxs": ["95030.0", "95031.0"], "dayBaseVlm": "25476.54321"},
     {"funding": "0.0000125", "openInterest": "612345.6789", "prevDayPx": "3301.2", "dayNtlVlm": "1012345678.9",
      "premium": "0.0001899", "oraclePx": "3350.1", "markPx": "3350.7", "midPx": "3350.65",
      "impactPxs": ["3350.6", "3350.8"], "dayBaseVlm": "301234.5678"}],
]

DERIBIT_CURRENCIES = [
    {"currency": "BTC", "currency_long": "Bitcoin", "coin_type": "BITCOIN", "network_currency": "BTC",
     "network_fee": 0.0001, "withdrawal_fee": 0.0001, "min_withdrawal_fee": 0.0001, "min_confirmations": 1,
     "decimals": 8, "in_cross_collateral_pool": True, "apr": 0.0, "withdrawal_priorities": []}]
DERIBIT_INSTRUMENTS = [
    {"tick_size": 0.5, "tick_size_steps": [], "taker_commission": 0.0005, "settlement_period": "perpetual",
     "settlement_currency": "BTC", "quote_currency": "USD", "price_index": "btc_usd", "min_trade_amount": 10.0,
     "max_liquidation_commission": 0.0075, "max_leverage": 50, "maker_commission": 0.0, "kind": "future",
     "is_active": True, "instrument_name": "BTC-PERPETUAL", "instrument_id": 124972,
     "instrument_type": "reversed", "future_type": "reversed", "expiration_timestamp": 32503708800000,
     "creation_timestamp": 1534242287000, "counter_currency": "USD", "contract_size": 10.0,
     "block_trade_tick_size": 0.01, "block_trade_min_trade_amount": 200000, "block_trade_commission": 0.00025,
     "base_currency": "BTC"},
    {"tick_size": 0.0001, "tick_size_steps": [{"above_price": 0.005, "tick_size": 0.0005}],
     "taker_commission": 0.0003, "strike": 100000.0, "settlement_period": "month", "settlement_currency": "BTC",
     "quote_currency": "BTC", "price_index": "btc_usd", "option_type": "call", "min_trade_amount": 0.1,
     "maker_commission": 0.0003, "kind": "option", "is_active": True, "instrument_name": "BTC-31JAN25-100000-C",
     "instrument_id": 389812, "instrument_type": "reversed", "expiration_timestamp": 1738310400000,
     "creation_timestamp": 1730448000000, "counter_currency": "USD", "contract_size": 1.0,
     "block_trade_tick_size": 0.0001, "block_trade_min_trade_amount": 25, "block_trade_commission": 0.0003,
     "base_currency": "BTC"},
]
