#!/usr/bin/env python3
"""Twitter streaming fixture: the v2 filtered and sample streams with their rules endpoint, and the
v1.1 statuses/filter and statuses/sample streams with OAuth 1.0a, streaming the made-up tweets of
samples/tweets/ (scripts/make_tweets.py). Python 3 standard library only. Test infrastructure.

Follows the public Twitter API docs (developer.twitter.com/en/docs):
- v2 "Filtered stream": GET /2/tweets/search/stream (App-only `Authorization: Bearer TOKEN`, else
  401 {"title":"Unauthorized",...}); one JSON object per line {"data","includes","matching_rules":[{"id",
  "tag"}]}, each followed by "\r\n", and a "\r\n" keep-alive when nothing was sent for a while
  ("Handling disconnections": 20 s; --heartbeat); without rules 409 ConnectionException
  "RuleConfigurationIssue". Fields: data has id, text, edit_history_tweet_ids by default plus
  `tweet.fields`; `expansions` (author_id, referenced_tweets.id, attachments.media_keys, geo.place_id,
  attachments.poll_ids, entities.mentions.username, in_reply_to_user_id, referenced_tweets.id.author_id)
  bring includes.users/tweets/media/places/polls, filtered by user.fields/media.fields/place.fields/
  poll.fields around each object's default fields ("Fields" and "Expansions" pages).
- v2 "POST /2/tweets/search/stream/rules": {"add":[{"value","tag"}]} or {"delete":{"ids":[...]}} (or
  "values"), `dry_run=true` validates without changing anything; answer {"data":[...], "meta":{"sent",
  "summary":{created,not_created,valid,invalid | deleted,not_deleted}}, "errors":[...]}. A duplicate
  rule is an error {"value","id","title":"DuplicateRule","type":".../duplicate-rules"}, not created; an
  invalid rule {"value","details":[...],"title":"UnprocessableEntity","type":".../invalid-rules"} makes
  the request 400 and creates nothing ("Build a rule": 512 characters at most, balanced parentheses and
  quotes, at least one positive term, known operators only). GET lists {"data":[{"id","value","tag"}],
  "meta":{"sent","result_count"}}. Rules match: OR of AND-terms; keyword, "phrase", #tag, @user,
  from:, to:, lang:, is:retweet/is:quote/is:reply, has:media/has:links/has:hashtags/has:geo, -negation.
- v2 "Volume streams": GET /2/tweets/sample/stream, every tweet, no matching_rules.
- v1.1 "POST statuses/filter" (form params track, follow, locations, language, delimited=length,
  stall_warnings) and "GET statuses/sample": OAuth 1.0a (oauth1.py, RFC 5849 3.4) checked against the
  configured consumer key/secret and token/secret; a bad signature, unknown key or token, a reused
  nonce or a timestamp more than 300 s off -> 401 {"errors":[{"code":32,"message":"Could not
  authenticate you."}]}; no track/follow/locations -> 406. "delimited=length" puts the byte length of each
  message (incl. its "\r\n") on a line before it.
Every response is HTTP/1.1 chunked.

Control API under /_fixture/ (not authenticated):
  POST /_fixture/disconnect  {"after": N}     streams close abruptly after N more tweets in total
  POST /_fixture/stall       {"seconds": S}   every stream sends nothing at all (no keep-alives) for S s
  POST /_fixture/refuse      {"status": 420|429|503, "count": N}   the next N stream connections get it
  POST /_fixture/rate        {"tweets_per_second": R}   candidate tweets per second (0 = unthrottled)
  POST /_fixture/heartbeat   {"seconds": S}   keep-alive interval
  POST /_fixture/limit       {"tweets": N}    send at most N tweets in total, then only keep-alives
  POST /_fixture/live        {"tweets_per_second": R}   from now on tweet k of the sample "happens" at
        now + k/R whether a stream is connected or not (0 ends it): every v2 stream gets the tweets that
        happen while it is connected, and with `backfill_minutes=M` (1-5, "Recovery and redundancy:
        Backfill") first those of the last M minutes again; tweets of a disconnection are otherwise
        missed. `limit` counts happened tweets (k < N); `disconnect` works as above.
  POST /_fixture/reset       rules, injections, counters, the tweet cursor; open streams end
  GET  /_fixture/counters    {"connections": {"v2_filter","v2_sample","v11_filter","v11_sample"},
       "open_streams", "tweets_sent", "heartbeats_sent", "refused", "auth_failures", "rules_requests",
       "last_stream_query": {...}, "last_v11_params": {...}}
The tweet cursor is shared by all streams: tweet i of the sample goes to one stream, so a client that
reconnects gets every tweet once (samples repeat after the last one).
Writes --info: {"twitter": URL, "twitter_control": URL/_fixture, "twitter_bearer_token",
"twitter_consumer_key", "twitter_consumer_secret", "twitter_oauth_token", "twitter_oauth_token_secret"}.
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oauth1  # noqa: E402
from twitter_rules import Rules, select_v2, v11_matches  # noqa: E402

LOCK = threading.Lock()
CFG = {}
SAMPLES = {"v2": [], "v11": []}
RULES = Rules()


def fresh():
    return {"cursor": 0, "generation": time.time(), "disconnect_after": None, "stall_until": 0.0,
            "refuse": None, "rate": CFG.get("rate", 100.0), "heartbeat": CFG.get("heartbeat", 20.0), "limit": None,
            "live": None,
            "nonces": set(),
            "counters": {"connections": {"v2_filter": 0, "v2_sample": 0, "v11_filter": 0, "v11_sample": 0},
                         "open_streams": 0, "tweets_sent": 0, "heartbeats_sent": 0, "refused": 0,
                         "auth_failures": 0, "rules_requests": 0, "last_stream_query": None, "last_v11_params": None}}


STATE = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "SluiceTwitterFixture/1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def dispatch(self):
        u = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        query = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
        path = u.path
        if path.startswith("/_fixture/"):
            return self.control(path[len("/_fixture/"):], body)
        if path.startswith("/2/"):
            if self.headers.get("Authorization", "") != f"Bearer {CFG['bearer']}":
                with LOCK:
                    STATE["counters"]["auth_failures"] += 1
                return self.send_json(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                            "detail": "Unauthorized"})
            if path == "/2/tweets/search/stream/rules":
                return self.rules(query, body)
            if path in ("/2/tweets/search/stream", "/2/tweets/sample/stream") and self.command == "GET":
                kind = "v2_filter" if "search" in path else "v2_sample"
                if kind == "v2_filter" and not RULES.list():
                    return self.send_json(409, {
                        "title": "ConnectionException", "connection_issue": "RuleConfigurationIssue",
                        "detail": "You must define rules using the POST /2/tweets/search/stream/rules endpoint "
                                  "before connecting to filtered stream.",
                        "type": "https://api.twitter.com/2/problems/streaming-connection"})
                backfill = query.get("backfill_minutes")
                if backfill is not None and backfill not in ("1", "2", "3", "4", "5"):
                    return self.send_json(400, {"title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request",
                                                "detail": "One or more parameters to your request was invalid.",
                                                "errors": [{"parameters": {"backfill_minutes": [backfill]},
                                                            "message": "The `backfill_minutes` query parameter value must be between 1 and 5"}]})
                with LOCK:
                    STATE["counters"]["last_stream_query"] = query
                return self.stream(kind, query)
        if path in ("/1.1/statuses/filter.json", "/1.1/statuses/sample.json"):
            params = dict(parse_qsl(u.query, keep_blank_values=True))
            ctype = self.headers.get("Content-Type", "")
            if ctype.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
            if not self.oauth_ok(body, ctype):
                with LOCK:
                    STATE["counters"]["auth_failures"] += 1
                return self.send_json(401, {"errors": [{"code": 32, "message": "Could not authenticate you."}]})
            kind = "v11_filter" if "filter" in path else "v11_sample"
            if kind == "v11_filter" and not any(params.get(k) for k in ("track", "follow", "locations")):
                return self.send_json(406, {"errors": [{"code": 406, "message":
                                                        "Parameter track, follow or locations is required"}]})
            with LOCK:
                STATE["counters"]["last_v11_params"] = params
            return self.stream(kind, params)
        self.send_json(404, {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]})

    def oauth_ok(self, body, ctype):
        oauth = oauth1.parse_authorization(self.headers.get("Authorization"))
        if not oauth or oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return False
        if oauth.get("oauth_consumer_key") != CFG["consumer_key"] or oauth.get("oauth_token") != CFG["token"]:
            return False
        try:
            if abs(time.time() - int(oauth.get("oauth_timestamp", "0"))) > 300:
                return False
        except ValueError:
            return False
        url = f"http://{self.headers.get('Host', '')}{self.path}"
        pairs = oauth1.request_pairs(url, body, ctype, oauth)
        want = oauth1.sign(oauth1.base_string(self.command, url, pairs), CFG["consumer_secret"], CFG["token_secret"])
        if want != oauth.get("oauth_signature"):
            return False
        with LOCK:
            key = (oauth.get("oauth_nonce"), oauth.get("oauth_timestamp"))
            if key in STATE["nonces"]:
                return False
            STATE["nonces"].add(key)
        return True

    def rules(self, query, body):
        with LOCK:
            STATE["counters"]["rules_requests"] += 1
        if self.command == "GET":
            return self.send_json(200, RULES.get_response(query.get("ids")))
        try:
            js = json.loads(body or b"{}")
        except ValueError:
            return self.send_json(400, {"title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request",
                                        "detail": "One or more parameters to your request was invalid.",
                                        "errors": [{"message": "Request body is not valid JSON"}]})
        status, obj = RULES.post(js, query.get("dry_run") == "true")
        self.send_json(status, obj)

    # ------------------------------------------------------------------ streaming ------------------
    def stream(self, kind, params):
        with LOCK:
            c = STATE["counters"]
            c["connections"][kind] += 1
            refuse = STATE["refuse"]
            if refuse and refuse["count"] > 0:
                refuse["count"] -= 1
                c["refused"] += 1
                status = refuse["status"]
            else:
                status = None
        if status:
            body = ({"errors": [{"code": 420, "message": "Enhance Your Calm"}]} if kind.startswith("v11") else
                    {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": status})
            return self.send_json(status, body, extra={"x-rate-limit-remaining": "0",
                                                       "x-rate-limit-reset": str(int(time.time()) + 60)})
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        gen = STATE["generation"]
        with LOCK:
            STATE["counters"]["open_streams"] += 1
        try:
            if STATE["live"] and kind.startswith("v2"):
                self.live_loop(kind, params, gen)
            else:
                self.stream_loop(kind, params, gen)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            with LOCK:
                STATE["counters"]["open_streams"] -= 1
            self.close_connection = True

    def chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def stream_loop(self, kind, params, gen):
        delimited = params.get("delimited") == "length"
        last_write = time.time()
        next_candidate = time.time()
        while STATE["generation"] == gen:
            now = time.time()
            if now < STATE["stall_until"]:
                time.sleep(min(0.05, STATE["stall_until"] - now))
                last_write = time.time()  # a stall sends nothing; the keep-alive clock restarts after it
                continue
            if now - last_write >= STATE["heartbeat"]:
                self.chunk(b"\r\n")
                last_write = now
                with LOCK:
                    STATE["counters"]["heartbeats_sent"] += 1
            if now < next_candidate:
                time.sleep(min(0.05, next_candidate - now, max(0.0, last_write + STATE["heartbeat"] - now)))
                continue
            rate = STATE["rate"]
            next_candidate = now + (1.0 / rate if rate > 0 else 0)
            with LOCK:
                if STATE["limit"] is not None and STATE["counters"]["tweets_sent"] >= STATE["limit"]:
                    next_candidate = now + 0.05
                    continue
                i = STATE["cursor"]
                STATE["cursor"] += 1
            sent = self.send_tweet(kind, params, i, delimited)
            if sent is None:
                return
            if sent:
                last_write = time.time()

    def send_tweet(self, kind, params, i, delimited):
        """Sends sample tweet i if the stream wants it: True if sent, False if not, None when an
        injected disconnect closed the connection."""
        data = self.render(kind, params, i % len(SAMPLES["v2"]))
        if data is None:
            return False
        data += b"\r\n"
        if delimited:
            data = f"{len(data)}\r\n".encode() + data
        self.chunk(data)
        with LOCK:
            STATE["counters"]["tweets_sent"] += 1
            d = STATE["disconnect_after"]
            if d is not None:
                STATE["disconnect_after"] = d - 1
                if d - 1 <= 0:
                    STATE["disconnect_after"] = None
                    self.connection.shutdown(2)  # abrupt: no terminating zero-length chunk
                    return None
        return True

    def live_loop(self, kind, params, gen):
        """Live mode: tweet k happened at t0 + k/rate; this stream sends those that happen while
        it is connected, after those of the last `backfill_minutes`."""
        live = STATE["live"]
        t0, rate = live["t0"], live["rate"]
        start = time.time() - 60 * int(params.get("backfill_minutes") or 0)
        k = max(0, int((start - t0) * rate + 0.999999))
        last_write = time.time()
        while STATE["generation"] == gen and STATE["live"] is live:
            now = time.time()
            if now - last_write >= STATE["heartbeat"]:
                self.chunk(b"\r\n")
                last_write = now
            due = t0 + k / rate
            limit = STATE["limit"]
            if due > now or (limit is not None and k >= limit):
                time.sleep(min(0.05, max(0.0, due - now) if due > now else 0.05))
                continue
            sent = self.send_tweet(kind, params, k, False)
            if sent is None:
                return
            if sent:
                last_write = time.time()
            k += 1

    def render(self, kind, params, i):
        if kind == "v2_filter":
            matched = RULES.matching(SAMPLES["v2"][i])
            if not matched:
                return None
            obj = select_v2(SAMPLES["v2"][i], params)
            obj["matching_rules"] = matched
            return json.dumps(obj).encode()
        if kind == "v2_sample":
            return json.dumps(select_v2(SAMPLES["v2"][i], params)).encode()
        tweet = SAMPLES["v11"][i]
        if kind == "v11_filter" and not v11_matches(tweet, params):
            return None
        if kind == "v11_sample" and params.get("language") and tweet.get("lang") not in params["language"].split(","):
            return None
        return json.dumps(tweet).encode()

    def control(self, cmd, body):
        js = json.loads(body) if body else {}
        with LOCK:
            if cmd == "counters":
                return self.send_json(200, STATE["counters"])
            if cmd == "health":
                return self.send_json(200, {"ok": True})
            if cmd == "disconnect":
                STATE["disconnect_after"] = int(js.get("after", 0))
            elif cmd == "stall":
                STATE["stall_until"] = time.time() + float(js["seconds"])
            elif cmd == "refuse":
                STATE["refuse"] = {"status": int(js.get("status", 429)), "count": int(js.get("count", 1))}
            elif cmd == "rate":
                STATE["rate"] = float(js["tweets_per_second"])
            elif cmd == "heartbeat":
                STATE["heartbeat"] = float(js["seconds"])
            elif cmd == "live":
                rate = float(js.get("tweets_per_second", 0))
                STATE["live"] = {"t0": time.time(), "rate": rate} if rate > 0 else None
            elif cmd == "limit":
                STATE["limit"] = None if js.get("tweets") is None else int(js["tweets"])
            elif cmd == "reset":
                STATE.update(fresh())
                RULES.reset()
            else:
                return self.send_json(404, {"error": f"unknown control command {cmd!r}"})
        self.send_json(200, {"ok": True})


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--info", required=True)
    ap.add_argument("--samples", default=os.path.join(here, "..", "..", "samples", "tweets"))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--heartbeat", type=float, default=20.0, help="keep-alive interval, seconds")
    ap.add_argument("--rate", type=float, default=100.0, help="candidate tweets per second, 0 = unthrottled")
    ap.add_argument("--bearer-token", required=True)
    ap.add_argument("--consumer-key", required=True)
    ap.add_argument("--consumer-secret", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--token-secret", required=True)
    a = ap.parse_args()
    CFG.update(bearer=a.bearer_token, consumer_key=a.consumer_key, consumer_secret=a.consumer_secret,
               token=a.token, token_secret=a.token_secret, heartbeat=a.heartbeat, rate=a.rate)
    for name in ("v2", "v11"):
        with open(os.path.join(a.samples, f"{name}.jsonl")) as f:
            SAMPLES[name] = [json.loads(line) for line in f if line.strip()]
    STATE.update(fresh())
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    info = {"twitter": url, "twitter_control": url + "/_fixture", "twitter_bearer_token": a.bearer_token,
            "twitter_consumer_key": a.consumer_key, "twitter_consumer_secret": a.consumer_secret,
            "twitter_oauth_token": a.token, "twitter_oauth_token_secret": a.token_secret}
    tmp = a.info + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, a.info)
    print(json.dumps({"twitter": url}), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
