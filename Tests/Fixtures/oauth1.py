"""OAuth 1.0a HMAC-SHA1 signatures (RFC 5849) for twitter_fixture.py and its self-test.
Python 3 standard library only. Test infrastructure.

- Section 3.4.1: the signature base string = METHOD & enc(base URI) & enc(normalized parameters);
  3.4.1.2 base URI: lowercase scheme and host, default port dropped, no query;
  3.4.1.3 parameters: query + form body (application/x-www-form-urlencoded) + Authorization
  `oauth_*` parameters except oauth_signature and realm; each name and value percent-encoded
  (3.6: unreserved ALPHA DIGIT - . _ ~ stay, everything else %XX upper-case), sorted by name then value,
  joined with "=" and "&".
- Section 3.4.2: HMAC-SHA1 with key enc(consumer_secret) & enc(token_secret), base64 digest.
- Section 3.5.1: the Authorization header `OAuth k="v", ...` with percent-encoded values.
Twitter's "Creating a signature" page walks through the same steps with example credentials.
"""
import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, unquote, urlsplit


def enc(s):
    return quote(str(s), safe="-._~")


def base_uri(url):
    u = urlsplit(url)
    scheme, host = u.scheme.lower(), (u.hostname or "").lower()
    port = u.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{u.path or '/'}"


def normalized_params(pairs):
    encoded = sorted((enc(k), enc(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def base_string(method, url, pairs):
    """pairs: every (name, value) of the query, the form body and the oauth_* protocol parameters
    (oauth_signature and realm excluded by the caller or here)."""
    pairs = [(k, v) for k, v in pairs if k not in ("oauth_signature", "realm")]
    return "&".join((method.upper(), enc(base_uri(url)), enc(normalized_params(pairs))))


def sign(base, consumer_secret, token_secret=""):
    key = f"{enc(consumer_secret)}&{enc(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


def parse_authorization(header):
    """`OAuth realm="x", oauth_consumer_key="..."` -> {name: decoded value}, or None."""
    scheme, _, rest = (header or "").partition(" ")
    if scheme.lower() != "oauth":
        return None
    out = {}
    for part in rest.split(","):
        k, eq, v = part.strip().partition("=")
        if eq:
            out[unquote(k.strip())] = unquote(v.strip().strip('"'))
    return out


def request_pairs(url, body, content_type, oauth):
    """The parameter pairs of section 3.4.1.3 for a request."""
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    if body and (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        pairs += parse_qsl(body.decode() if isinstance(body, bytes) else body, keep_blank_values=True)
    return pairs + [(k, v) for k, v in oauth.items() if k.startswith("oauth_")]


def authorization_header(method, url, form, consumer_key, consumer_secret, token, token_secret, nonce, timestamp):
    """A client's Authorization header for a form-encoded request (the self-test signs with it)."""
    oauth = {"oauth_consumer_key": consumer_key, "oauth_nonce": nonce, "oauth_signature_method": "HMAC-SHA1",
             "oauth_timestamp": str(timestamp), "oauth_token": token, "oauth_version": "1.0"}
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True) + list(form.items()) + list(oauth.items())
    oauth["oauth_signature"] = sign(base_string(method, url, pairs), consumer_secret, token_secret)
    return "OAuth " + ", ".join(f'{enc(k)}="{enc(v)}"' for k, v in sorted(oauth.items()))
