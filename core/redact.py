"""Secrets never leave hedgelab in clear: URL passwords, API keys and tokens are masked in every
error message (``UserError`` applies it), every log line and every manifest written to the store.

- ``scheme://user:pass@host`` -> ``scheme://user:***@host``; ``scheme://token@host`` -> ``scheme://***@host``
- query parameters and headers whose name says secret (apiKey, api_key, key, secret, signature,
  token, password, passphrase, X-MBX-APIKEY, Authorization, ...) keep their name, lose their value.
"""
from __future__ import annotations

import re

MASK = "***"
_SECRET = r"(?:api[-_]?key|apikey|x-mbx-apikey|x-bapi-api-key|key|secret|api[-_]?secret|signature|sign|token|" \
          r"access[-_]?token|password|passwd|passphrase|authorization|x-api-key)"
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*:/*)(?P<user>[^\s/@:'\"]*)(?::[^\s/@'\"]*)?@")
_QUERY = re.compile(rf"(?P<name>[?&;]{_SECRET})=(?P<value>[^&#\s'\"]*)", re.IGNORECASE)
# a header or a dict entry: Name: value, 'Name': 'value', "Name": "value", Name=value
_PAIR = re.compile(rf"(?P<name>(?P<q>['\"]?)\b{_SECRET}(?P=q)\s*[:=]\s*)(?P<oq>['\"]?)(?P<value>(?:Bearer\s+|Basic\s+)?"
                   r"[^\s,'\"}&]+)", re.IGNORECASE)


def redact(text) -> str:
    """``text`` with URL passwords, API keys, tokens and signatures masked."""
    text = str(text)

    def userinfo(m):
        if ":" in m.group(0)[len(m["scheme"]):]:
            return f"{m['scheme']}{m['user']}:{MASK}@"
        return f"{m['scheme']}{MASK}@" if m["user"] else m.group(0)
    text = _USERINFO.sub(userinfo, text)
    text = _QUERY.sub(lambda m: f"{m['name']}={MASK}", text)
    return _PAIR.sub(lambda m: f"{m['name']}{m['oq']}{MASK}", text)
