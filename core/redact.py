"""Secrets never leave hedgelab in clear: URL passwords, API keys and tokens are masked in every
error message (``UserError`` applies it), every log line and every manifest written to the store.

The text is parsed, not pattern-matched as a whole, and each character is looked at a bounded number
of times, so the time is linear in the length (an error quoting a 300,000-character value prints at
once; the regular expressions below match runs of one character class each, anchored where a run
starts, and never backtrack into a run).

- URLs: ``scheme://user:pass@host`` -> ``scheme://user:***@host``; ``scheme://token@host`` ->
  ``scheme://***@host``. The user information runs to the LAST ``@`` of the URL's word (up to
  ASCII whitespace, a quote or ``<``/``>``): ``tcp://admin:p@ssw0rd@127.0.0.1:1`` -> ``tcp://admin:***@127.0.0.1:1``.
  A password holding ``/``, ``?`` or ``#`` (which a URL must percent-encode) is still masked whole; the
  price is that a word such as ``http://h/x?mail=a@b`` is masked up to its last ``@`` too.
- ``name=value``, ``name: value``, ``'name': 'value'``, ``"name" = "value"`` (query strings, headers,
  dict and JSON texts, TOML and ``.env`` lines, schema messages such as ``costs.api_key = 'x'``) keep
  their name and lose their value when the name says secret (``is_secret_name``). A quoted value is
  masked to its closing quote; an unquoted one to ASCII whitespace, ``,``, ``&``, ``;``, ``}``, ``]`` or a quote;
  ``Bearer``/``Basic``/``Token`` schemes are masked with their token.
"""
from __future__ import annotations

import functools
import re

MASK = "***"

# A name says secret when one of its words is one of these ...
SECRET_WORDS = frozenset({
    "secret", "secrets", "key", "apikey", "token", "password", "passwd", "pwd", "passphrase", "auth",
    "authorization", "signature", "sign", "credential", "credentials", "cookie", "private",
})
# ... or when it ends with one of these once lower-cased and run together (apikey, clientsecret,
# x-mbx-apikey, accesstoken); a bare "...key" does not count (monkey, hotkey), only the compounds.
SECRET_ENDINGS = ("apikey", "accesskey", "secretkey", "privatekey", "signingkey", "secret", "token",
                  "password", "passwd", "passphrase", "signature")

_NAME_CHARS = r"A-Za-z0-9_.\-"
_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[a-z0-9]+|[A-Z](?:[A-Z0-9]*(?![a-z])|[a-z0-9]*)")

# scheme at the start of a word, then the rest of the word (possessive: no backtracking into runs)
_URL = re.compile(r"(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*+:/*+)(?P<rest>[^ \t\r\n\f\v'\"<>]*+)")
# a name at the start of its run, an optional closing quote, then = or : between optional blanks
_PAIR = re.compile(rf"(?<![{_NAME_CHARS}])(?P<name>[{_NAME_CHARS}]++)(?P<q>['\"]?+)(?P<sep>[ \t]*+[:=][ \t]*+)")
_SCHEME_WORD = re.compile(r"(?:Bearer|Basic|Token|Digest)[ \t]++", re.IGNORECASE)
_BARE_VALUE = re.compile(r"[^ \t\r\n\f\v,'\"}\]&;]*+")


def is_secret_name(name: str) -> bool:
    """Whether a key, header or parameter name says its value is secret.

    The last dotted part counts (``costs.api_key`` yes, ``key.toml`` no); its words are split at
    non-letters and camelCase (``client_secret``, ``apiKey``, ``X-MBX-APIKEY``, ``private_key``).
    """
    last = name.rsplit(".", 1)[-1]
    words = [w.lower() for part in _WORD_SPLIT.split(last) for w in _CAMEL.findall(part)]
    if any(w in SECRET_WORDS for w in words):
        return True
    glued = "".join(words)
    return bool(glued) and glued.endswith(SECRET_ENDINGS)


_secret_cached = functools.lru_cache(maxsize=4096)(is_secret_name)


def _mask_urls(text: str) -> str:
    out, pos = [], 0
    for m in _URL.finditer(text):
        rest = m["rest"]
        at = rest.rfind("@")
        if at < 0:
            continue
        userinfo = rest[:at]
        colon = userinfo.find(":")
        masked = f"{userinfo[:colon]}:{MASK}" if colon >= 0 else (MASK if userinfo else "")
        out.append(text[pos:m.start("rest")])
        out.append(masked)
        pos = m.start("rest") + at          # keep the '@' and the host
    out.append(text[pos:])
    return "".join(out)


def _closing_quote(text: str, start: int) -> int:
    """Where the quote opened at ``start`` closes (a backslash-escaped quote, as in a repr, does not
    close it); the end of the line or text when it never closes (a value cut short with '...')."""
    quote, i = text[start], start + 1
    while True:
        end = text.find(quote, i)
        if end < 0:
            nl = text.find("\n", start + 1)
            return len(text) if nl < 0 else nl
        k = end
        while k > i and text[k - 1] == "\\":   # each backslash run is walked once: linear
            k -= 1
        if (end - k) % 2 == 0:
            return end
        i = end + 1


def _mask_pairs(text: str) -> str:
    out, pos, n = [], 0, len(text)
    secret = _secret_cached
    for m in _PAIR.finditer(text):
        start = m.end()
        if m.start() < pos or not secret(m["name"]):
            continue                        # inside a value already masked, or not a secret's name
        # the value: quoted to its closing quote (or the end of the line), else a bare run
        if start < n and text[start] in "'\"":
            end = _closing_quote(text, start)
            out.append(text[pos:start + 1])
        else:
            scheme = _SCHEME_WORD.match(text, start)
            bare = _BARE_VALUE.match(text, scheme.end() if scheme else start)
            end = bare.end() if bare else start   # the pattern matches the empty string: always a match
            out.append(text[pos:start])
        out.append(MASK)
        pos = end                           # a closing quote is kept
    out.append(text[pos:])
    return "".join(out)


def redact(text: object) -> str:
    """``text`` with URL passwords, API keys, tokens and signatures masked (linear in its length)."""
    return _mask_pairs(_mask_urls(str(text)))
