#!/usr/bin/env python3
"""Google OAuth token endpoint for service accounts, and a small API that checks its tokens:
test infrastructure for the Google plugins' credentials. Python 3 standard library plus the
`openssl` command (RSA signature checks). Listens on 127.0.0.1 on a free port; writes
{"google_token": URL} to --info when ready.

Follows "Using OAuth 2.0 for Server to Server Applications" (developers.google.com/identity/
protocols/oauth2/service-account, "Preparing to make an authorized API call" / "Handling the
response") and RFC 7523: POST /token with application/x-www-form-urlencoded
grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT. The JWT's header must be
{"alg": "RS256", "typ": "JWT"}; its claims iss (a registered service account), scope, aud (this
endpoint's /token URL), iat (within 5 minutes of now) and exp (iat + at most 3600). The signature
is RSASSA-PKCS1-v1_5 with SHA-256, checked with the account's public key. Answers
{"access_token", "expires_in", "token_type": "Bearer"}, or 400 {"error": "invalid_grant",
"error_description": ...} as Google does.

  GET /api/anything      200 {"ok": true, "account": ...} with a valid, unexpired, unrevoked
                          "Authorization: Bearer TOKEN", else 401 (an API that checks tokens)

Control API:
  POST /_control/account  {"email", "public_key_pem", "expires_in": 3600, "reject_api": false}
                          registers (or replaces) a service account; reject_api makes /api
                          answer 401 to every token of it (a revoked account)
  POST /_control/revoke   {"email"}: its tokens issued so far stop working (401 at /api)
  GET  /_control/log      [{"kind": "token"|"api", "email", "status", "at", "token"?}, ...]
  POST /_control/reset    forget accounts, tokens and the log
"""
import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

LOCK = threading.Lock()
ACCOUNTS = {}   # email -> {"pem", "expires_in", "reject_api"}
TOKENS = {}     # token -> {"email", "expires_at", "revoked"}
LOG = []


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_rs256(pem, signing_input, signature):
    with tempfile.TemporaryDirectory() as d:
        key, sig, data = (os.path.join(d, n) for n in ("key.pem", "sig", "data"))
        open(key, "w").write(pem)
        open(sig, "wb").write(signature)
        open(data, "wb").write(signing_input)
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", key, "-signature", sig, data],
                           capture_output=True)
        return r.returncode == 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path.startswith("/_control/log"):
            with LOCK:
                return self.reply(200, LOG)
        if self.path.startswith("/api/"):
            auth = self.headers.get("Authorization") or ""
            token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
            with LOCK:
                t = TOKENS.get(token)
                ok = (t is not None and not t["revoked"] and t["expires_at"] > time.time()
                      and not ACCOUNTS.get(t["email"], {}).get("reject_api"))
                status = 200 if ok else 401
                LOG.append({"kind": "api", "email": t and t["email"], "status": status, "at": time.time()})
            if ok:
                return self.reply(200, {"ok": True, "account": t["email"]})
            return self.reply(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials."}})
        self.reply(404, {"error": "not found"})

    def do_POST(self):
        raw = self.body()
        if self.path == "/_control/account":
            a = json.loads(raw)
            with LOCK:
                ACCOUNTS[a["email"]] = {"pem": a["public_key_pem"], "expires_in": a.get("expires_in", 3600),
                                        "reject_api": a.get("reject_api", False)}
            return self.reply(200, {"ok": True})
        if self.path == "/_control/revoke":
            email = json.loads(raw)["email"]
            with LOCK:
                for t in TOKENS.values():
                    if t["email"] == email:
                        t["revoked"] = True
            return self.reply(200, {"ok": True})
        if self.path == "/_control/reset":
            with LOCK:
                ACCOUNTS.clear()
                TOKENS.clear()
                LOG.clear()
            return self.reply(200, {"ok": True})
        if self.path == "/token":
            return self.token(raw)
        self.reply(404, {"error": "not found"})

    def token(self, raw):
        form = parse_qs(raw.decode())
        email = None

        def refuse(why):
            with LOCK:
                LOG.append({"kind": "token", "email": email, "status": 400, "at": time.time(), "error": why})
            self.reply(400, {"error": "invalid_grant", "error_description": why})

        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return refuse("Invalid grant_type")
        parts = (form.get("assertion") or [""])[0].split(".")
        if len(parts) != 3:
            return refuse("Invalid JWT")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except Exception:
            return refuse("Invalid JWT encoding")
        email = claims.get("iss")
        with LOCK:
            account = ACCOUNTS.get(email)
        if header.get("alg") != "RS256" or header.get("typ") != "JWT":
            return refuse("Invalid JWT header")
        if account is None:
            return refuse("Invalid issuer")
        host = self.headers.get("Host")
        if claims.get("aud") != f"http://{host}/token":
            return refuse(f"Invalid audience {claims.get('aud')}")
        now = time.time()
        iat, exp = claims.get("iat", 0), claims.get("exp", 0)
        if abs(iat - now) > 300 or exp <= iat or exp - iat > 3600:
            return refuse("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe")
        if not claims.get("scope"):
            return refuse("Missing scope")
        if not verify_rs256(account["pem"], (parts[0] + "." + parts[1]).encode(), signature):
            return refuse("Invalid JWT Signature.")
        token = "ya29.fixture-" + secrets.token_urlsafe(24)
        with LOCK:
            TOKENS[token] = {"email": email, "expires_at": now + account["expires_in"], "revoked": False}
            LOG.append({"kind": "token", "email": email, "status": 200, "at": now, "token": token,
                        "scope": claims["scope"], "kid": header.get("kid")})
        self.reply(200, {"access_token": token, "expires_in": account["expires_in"], "token_type": "Bearer"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--info", required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"google_token": f"http://127.0.0.1:{server.server_address[1]}"}, f)
    os.replace(tmp, args.info)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
