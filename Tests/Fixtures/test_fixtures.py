#!/usr/bin/env python3
"""Self-test of the Elasticsearch, Twitter, Google token, GCS and BigQuery fixtures against the running services
(scripts/services.sh start). Python 3 standard library only (unittest, urllib, http.client).
    python3 Tests/Fixtures/test_fixtures.py
Every test resets the fixture it uses first; a missing service fails with how to start it."""
import base64
import gzip
import http.client
import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oauth1  # noqa: E402

SERVICES = os.path.join(HERE, "..", ".services", "services.json")
SAMPLES = os.path.join(HERE, "..", "..", "samples", "tweets")


def service(test, name):
    try:
        with open(SERVICES) as f:
            return json.load(f)[name]
    except (OSError, KeyError, ValueError):
        test.fail(f"test service {name!r} is not running: start it with `scripts/services.sh start`")


def call(method, url, body=None, headers=None, raw=False):
    """(status, parsed JSON or bytes); HTTP errors are answers too."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and not req.has_header("Content-type"):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    if raw or not payload:
        return status, payload
    return status, json.loads(payload)


def ndjson(pairs):
    return ("".join(json.dumps(p) + "\n" for p in pairs)).encode()


class ElasticsearchFixtureTests(unittest.TestCase):
    def setUp(self):
        self.es = service(self, "elasticsearch")
        self.ctl = service(self, "elasticsearch_control")
        self.assertEqual(call("POST", self.ctl + "/reset", {})[0], 200)

    def bulk(self, pairs, path="/_bulk", headers=None):
        status, body = call("POST", self.es + path, ndjson(pairs), {"Content-Type": "application/x-ndjson", **(headers or {})})
        self.assertEqual(status, 200, body)
        return body

    def test_root_and_health(self):
        status, info = call("GET", self.es + "/")
        self.assertEqual(status, 200)
        self.assertTrue(info["version"]["number"].startswith("8."))
        call("PUT", self.es + "/r0", {"settings": {"index": {"number_of_replicas": 0}}})
        self.assertEqual(call("GET", self.es + "/_cluster/health")[1]["status"], "green")
        call("PUT", self.es + "/r1", {"settings": {"number_of_replicas": 1}})
        self.assertEqual(call("GET", self.es + "/_cluster/health")[1]["status"], "yellow")
        self.assertEqual(call("HEAD", self.es + "/r1")[0], 200)
        self.assertEqual(call("HEAD", self.es + "/nope")[0], 404)

    def test_bulk_mixed_item_results(self):
        body = self.bulk([{"index": {"_index": "mix", "_id": "1"}}, {"n": 1, "tag": "a"},
                          {"create": {"_index": "mix", "_id": "1"}}, {"n": 2},
                          {"index": {"_index": "mix", "_id": "2"}}, {"n": {"nested": 1}},
                          {"update": {"_index": "mix", "_id": "missing"}}, {"doc": {"n": 3}},
                          {"update": {"_index": "mix", "_id": "3"}}, {"doc": {"n": 4}, "doc_as_upsert": True},
                          {"delete": {"_index": "mix", "_id": "1"}},
                          {"index": {"_index": "mix"}}, {"n": 5, "tag": "b"}])
        self.assertTrue(body["errors"])
        got = [(next(iter(i)), next(iter(i.values()))) for i in body["items"]]
        self.assertEqual([x["status"] for _, x in got], [201, 409, 400, 404, 201, 200, 201])
        self.assertEqual(got[1][1]["error"]["type"], "version_conflict_engine_exception")
        self.assertIn("document already exists", got[1][1]["error"]["reason"])
        self.assertEqual(got[2][1]["error"]["type"], "document_parsing_exception")
        self.assertIn("failed to parse field [n] of type [long]", got[2][1]["error"]["reason"])
        self.assertEqual(got[3][1]["error"]["type"], "document_missing_exception")
        self.assertEqual(got[5][1]["result"], "deleted")
        auto_id = got[6][1]["_id"]
        self.assertEqual(len(auto_id), 20)
        # Read back independently: doc 1 deleted, 3 upserted, the auto id stored.
        self.assertEqual(call("GET", self.es + "/mix/_count")[1]["count"], 2)
        self.assertEqual(call("GET", self.es + "/mix/_doc/3")[1]["_source"], {"n": 4})
        self.assertEqual(call("GET", self.es + f"/mix/_doc/{auto_id}")[1]["_source"]["tag"], "b")
        self.assertEqual(call("GET", self.es + "/mix/_doc/1")[0], 404)
        hits = call("POST", self.es + "/mix/_search", {"query": {"term": {"tag.keyword": "b"}}, "size": 5})[1]["hits"]
        self.assertEqual(hits["total"]["value"], 1)
        self.assertEqual(hits["hits"][0]["_id"], auto_id)

    def test_field_limit_then_template_fixes_it(self):
        with open(os.path.join(SAMPLES, "v11.jsonl")) as f:
            tweets = [json.loads(line) for line in f]
        pairs = []
        for t in tweets:
            pairs += [{"index": {"_id": t["id_str"]}}, t]
        body = self.bulk(pairs, "/twitter-a/_bulk")
        failed = [i["index"] for i in body["items"] if i["index"]["status"] != 201]
        self.assertTrue(body["errors"])
        self.assertGreater(len(failed), 0)
        for item in failed:
            self.assertEqual(item["status"], 400)
            self.assertEqual(item["error"]["type"], "document_parsing_exception")
            self.assertRegex(item["error"]["reason"],
                             r"failed to parse: Limit of total fields \[1000\] has been exceeded while adding new fields \[\d+\]")
        self.assertEqual(call("GET", self.es + "/twitter-a/_count")[1]["count"], len(tweets) - len(failed))
        # The fix: a composable template raising the limit for the indices the pipeline writes.
        status, _ = call("PUT", self.es + "/_index_template/twitter", {
            "index_patterns": ["twitter-*"], "priority": 10,
            "template": {"settings": {"index.mapping.total_fields.limit": 3000, "number_of_replicas": 0}}})
        self.assertEqual(status, 200)
        self.assertEqual(call("GET", self.es + "/_index_template/twitter")[1]["index_templates"][0]["name"], "twitter")
        body = self.bulk(pairs, "/twitter-b/_bulk")
        self.assertFalse(body["errors"])
        self.assertEqual(call("GET", self.es + "/twitter-b/_count")[1]["count"], len(tweets))
        settings = call("GET", self.es + "/twitter-b/_settings")[1]["twitter-b"]["settings"]["index"]
        self.assertEqual(settings["mapping"]["total_fields"]["limit"], "3000")
        self.assertEqual(settings["number_of_replicas"], "0")
        mapping = call("GET", self.es + "/twitter-b/_mapping")[1]["twitter-b"]["mappings"]
        self.assertGreater(count_mappers(mapping), 1000)
        self.assertEqual(call("DELETE", self.es + "/_index_template/twitter")[0], 200)
        self.assertEqual(call("GET", self.es + "/_index_template/twitter")[0], 404)

    def test_routing_pipeline_and_content_type(self):
        body = self.bulk([{"index": {"_index": "rp", "_id": "1", "routing": "u7", "pipeline": "geoip"}}, {"v": 1},
                          {"create": {"_index": "rp", "_id": "2"}}, {"v": 2}], "/_bulk?pipeline=default-pipe")
        self.assertFalse(body["errors"])
        self.assertEqual(call("GET", self.es + "/rp/_doc/1")[1]["_routing"], "u7")
        c = call("GET", self.ctl + "/counters")[1]
        self.assertEqual(c["bulk_items_by_pipeline"], {"geoip": 1, "default-pipe": 1})
        self.assertEqual(c["last_bulk"]["path"], "/_bulk?pipeline=default-pipe")
        body = self.bulk([{"create": {"_index": "rp", "_id": "2"}}, {"v": 2}, {"index": {"_index": "rp"}}, {"v": 4}],
                         "/_bulk?filter_path=errors,items.*.error,items.*.status")
        self.assertEqual(body, {"errors": True, "items": [
            {"create": {"status": 409, "error": body["items"][0]["create"]["error"]}}, {"index": {"status": 201}}]})
        self.assertEqual(body["items"][0]["create"]["error"]["type"], "version_conflict_engine_exception")
        status, err = call("POST", self.es + "/_bulk", ndjson([{"index": {"_index": "rp"}}, {"v": 3}]),
                           {"Content-Type": "text/plain"})
        self.assertEqual(status, 406)
        self.assertIn("is not supported", err["error"])

    def test_dynamic_strict_and_explicit_mappings(self):
        status, _ = call("PUT", self.es + "/strict", {"mappings": {"dynamic": "strict", "properties": {"a": {"type": "keyword"}}}})
        self.assertEqual(status, 200)
        body = self.bulk([{"index": {"_index": "strict"}}, {"a": "x"}, {"index": {"_index": "strict"}}, {"a": "y", "b": 1}])
        self.assertEqual([i["index"]["status"] for i in body["items"]], [201, 400])
        self.assertEqual(body["items"][1]["index"]["error"]["type"], "strict_dynamic_mapping_exception")
        self.assertEqual(call("PUT", self.es + "/strict", {})[1]["error"]["type"], "resource_already_exists_exception")
        call("PUT", self.es + "/loose", {"mappings": {"dynamic": False}})
        self.bulk([{"index": {"_index": "loose", "_id": "1"}}, {"unmapped": 1}])
        self.assertEqual(call("GET", self.es + "/loose/_mapping")[1]["loose"]["mappings"]["properties"], {})
        self.assertEqual(call("GET", self.es + "/loose/_doc/1")[1]["_source"], {"unmapped": 1})

    def test_injected_429_500_503_and_drops(self):
        call("POST", self.ctl + "/item_errors", {"status": 429, "count": 2})
        call("POST", self.ctl + "/item_errors", {"status": 500, "count": 1})
        body = self.bulk(sum(([{"index": {"_index": "inj", "_id": str(i)}}, {"i": i}] for i in range(5)), []))
        statuses = [i["index"]["status"] for i in body["items"]]
        self.assertEqual(statuses, [429, 429, 500, 201, 201])
        self.assertEqual(body["items"][0]["index"]["error"]["type"], "es_rejected_execution_exception")
        self.assertEqual(call("GET", self.es + "/inj/_count")[1]["count"], 2)
        call("POST", self.ctl + "/request_errors", {"status": 503, "count": 1})
        status, err = call("POST", self.es + "/_bulk", ndjson([{"index": {"_index": "inj"}}, {"i": 9}]),
                           {"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 503)
        self.assertEqual(err["status"], 503)
        call("POST", self.ctl + "/drop", {"count": 1})
        with self.assertRaises((http.client.RemoteDisconnected, urllib.error.URLError, ConnectionError)):
            call("GET", self.es + "/")
        self.assertEqual(call("GET", self.es + "/")[0], 200)
        c = call("GET", self.ctl + "/counters")[1]
        self.assertEqual((c["bulk_requests"], c["bulk_items"], c["injected_item_errors"]), (1, 5, 3))
        self.assertEqual((c["refused_requests"], c["dropped_requests"]), (1, 1))
        self.assertEqual(c["items_by_status"], {"429": 2, "500": 1, "201": 2})

    def test_gzip_body_and_second_node_is_independent(self):
        raw = gzip.compress(ndjson([{"index": {"_index": "gz", "_id": "g"}}, {"v": 1}]))
        status, body = call("POST", self.es + "/_bulk", raw, {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"})
        self.assertEqual((status, body["errors"]), (200, False))
        c = call("GET", self.ctl + "/counters")[1]
        self.assertEqual((c["gzip_requests"], c["bulk_bytes"]), (1, len(raw)))
        es2 = service(self, "elasticsearch_2")
        call("POST", service(self, "elasticsearch_2_control") + "/reset", {})
        self.assertEqual(call("GET", es2 + "/gz/_count")[0], 404)

    def test_store_without_sources_keeps_ids(self):
        call("POST", self.ctl + "/store", {"sources": False})
        self.bulk([{"index": {"_index": "bench", "_id": "1"}}, {"v": 1}, {"create": {"_index": "bench", "_id": "1"}}, {"v": 1}])
        self.assertEqual(call("GET", self.es + "/bench/_count")[1]["count"], 1)
        self.assertEqual(call("GET", self.es + "/bench/_doc/1")[1]["_source"], {})

    def test_auth(self):
        url = service(self, "elasticsearch_auth")
        user, pw = service(self, "elasticsearch_auth_user"), service(self, "elasticsearch_auth_password")
        status, err = call("GET", url + "/")
        self.assertEqual((status, err["error"]["type"]), (401, "security_exception"))
        basic = base64.b64encode(f"{user}:{pw}".encode()).decode()
        self.assertEqual(call("GET", url + "/", headers={"Authorization": "Basic " + basic})[0], 200)
        wrong = base64.b64encode(f"{user}:nope".encode()).decode()
        self.assertEqual(call("GET", url + "/", headers={"Authorization": "Basic " + wrong})[0], 401)
        key = base64.b64encode(service(self, "elasticsearch_auth_api_key").encode()).decode()
        self.assertEqual(call("GET", url + "/", headers={"Authorization": "ApiKey " + key})[0], 200)


def count_mappers(mapping):
    n = 0
    for m in mapping.get("properties", {}).values():
        n += 1 + len(m.get("fields", {})) + count_mappers(m)
    return n


class StreamReader:
    """Reads a chunked stream line by line (tweets and "\r\n" keep-alives) with arrival times."""
    def __init__(self, url, path, headers=None, method="GET", body=None):
        u = urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        self.conn.request(method, path, body=body, headers=headers or {})
        self.resp = self.conn.getresponse()

    def lines(self, n):
        out = []
        while len(out) < n:
            line = self.resp.readline()
            if not line:
                break
            out.append((time.time(), line))
        return out

    def close(self):
        self.conn.close()


class TwitterFixtureTests(unittest.TestCase):
    def setUp(self):
        self.tw = service(self, "twitter")
        self.ctl = service(self, "twitter_control")
        self.bearer = {"Authorization": "Bearer " + service(self, "twitter_bearer_token")}
        self.assertEqual(call("POST", self.ctl + "/reset", {})[0], 200)

    def rules(self, body, dry_run=False):
        q = "?dry_run=true" if dry_run else ""
        return call("POST", self.tw + "/2/tweets/search/stream/rules" + q, body, self.bearer)

    def test_v2_stream_tweets_then_heartbeats(self):
        status, added = self.rules({"add": [{"value": "sluice", "tag": "tool"}]})
        self.assertEqual(status, 201)
        rule_id = added["data"][0]["id"]
        call("POST", self.ctl + "/limit", {"tweets": 3})
        call("POST", self.ctl + "/heartbeat", {"seconds": 0.2})
        s = StreamReader(self.tw, "/2/tweets/search/stream?expansions=author_id&user.fields=created_at", self.bearer)
        self.assertEqual(s.resp.status, 200)
        lines = s.lines(6)
        s.close()
        tweets = [json.loads(line) for _, line in lines if line.strip()]
        beats = [line for _, line in lines if line == b"\r\n"]
        self.assertEqual(len(tweets), 3)
        self.assertGreaterEqual(len(beats), 1)
        for t in tweets:
            self.assertIn("sluice", t["data"]["text"].lower().split())
            self.assertEqual(t["matching_rules"], [{"id": rule_id, "tag": "tool"}])
            self.assertIn("created_at", t["includes"]["users"][0])
        self.assertEqual(call("GET", self.ctl + "/counters")[1]["tweets_sent"], 3)

    def test_v2_auth_and_no_rules(self):
        self.assertEqual(call("GET", self.tw + "/2/tweets/search/stream")[0], 401)
        status, body = call("GET", self.tw + "/2/tweets/search/stream", headers=self.bearer)
        self.assertEqual((status, body["connection_issue"]), (409, "RuleConfigurationIssue"))

    def test_rules_dry_run_errors_duplicates_and_delete(self):
        status, body = self.rules({"add": [{"value": "kafka"}, {"value": "(open"}, {"value": "bogus:op"},
                                           {"value": "-only"}]}, dry_run=True)
        self.assertEqual(status, 400)
        self.assertEqual(body["meta"]["summary"]["invalid"], 3)
        self.assertEqual([e["value"] for e in body["errors"]], ["(open", "bogus:op", "-only"])
        self.assertTrue(all(e["details"] for e in body["errors"]))
        status, body = self.rules({"add": [{"value": "kafka"}]}, dry_run=True)
        self.assertEqual((status, body["meta"]["summary"]["created"]), (200, 1))
        self.assertEqual(call("GET", self.tw + "/2/tweets/search/stream/rules", headers=self.bearer)[1]["meta"]["result_count"], 0)
        rid = self.rules({"add": [{"value": "kafka"}]})[1]["data"][0]["id"]
        dup = self.rules({"add": [{"value": "kafka"}]})[1]
        self.assertEqual((dup["errors"][0]["title"], dup["errors"][0]["id"]), ("DuplicateRule", rid))
        body = self.rules({"delete": {"ids": [rid, "404"]}})[1]
        self.assertEqual(body["meta"]["summary"], {"deleted": 1, "not_deleted": 1})
        self.assertEqual(call("GET", self.tw + "/2/tweets/search/stream/rules", headers=self.bearer)[1]["meta"]["result_count"], 0)

    def test_disconnect_stall_and_refuse(self):
        call("POST", self.ctl + "/disconnect", {"after": 2})
        s = StreamReader(self.tw, "/2/tweets/sample/stream", self.bearer)
        try:
            got = s.lines(10)  # the connection closes after 2 tweets (no final chunk)
        except http.client.IncompleteRead:
            got = None
        s.close()
        self.assertTrue(got is None or len([line for _, line in got if line.strip()]) == 2, got)
        self.assertEqual(call("GET", self.ctl + "/counters")[1]["tweets_sent"], 2)
        call("POST", self.ctl + "/limit", {"tweets": 2})
        call("POST", self.ctl + "/heartbeat", {"seconds": 0.1})
        s = StreamReader(self.tw, "/2/tweets/sample/stream", self.bearer)
        s.lines(2)
        call("POST", self.ctl + "/stall", {"seconds": 1.0})
        t0 = time.time()
        got = s.lines(1)
        s.close()
        self.assertEqual(got[0][1], b"\r\n")
        self.assertGreaterEqual(got[0][0] - t0, 0.8)
        call("POST", self.ctl + "/refuse", {"status": 429, "count": 1})
        self.assertEqual(call("GET", self.tw + "/2/tweets/sample/stream", headers=self.bearer)[0], 429)
        call("POST", self.ctl + "/refuse", {"status": 420, "count": 1})
        self.assertEqual(self.v11("/1.1/statuses/filter.json", {"track": "sluice"})[0], 420)

    def v11(self, path, form, secret=None, nonce=None, read=0):
        url = self.tw + path
        header = oauth1.authorization_header(
            "POST", url, form, service(self, "twitter_consumer_key"), secret or service(self, "twitter_consumer_secret"),
            service(self, "twitter_oauth_token"), service(self, "twitter_oauth_token_secret"),
            nonce or uuid.uuid4().hex, int(time.time()))
        s = StreamReader(self.tw, path, {"Authorization": header, "Content-Type": "application/x-www-form-urlencoded"},
                         "POST", urlencode(form))
        lines = s.lines(read) if s.resp.status == 200 else []
        s.close()
        return s.resp.status, lines

    def test_oauth_signature_examples(self):
        # RFC 5849 section 3.4.1.1's request and its signature base string.
        url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
        oauth = {"oauth_consumer_key": "9djdj82h48djs9d2", "oauth_token": "kkk9d7dh3k39sjv7",
                 "oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "137131201", "oauth_nonce": "7d8f3e4a"}
        base = oauth1.base_string("POST", url, oauth1.request_pairs(url, b"c2&a3=2+q", "application/x-www-form-urlencoded", oauth))
        self.assertEqual(base, "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D"
                               "%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D"
                               "7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token"
                               "%3Dkkk9d7dh3k39sjv7")
        # Twitter's "Creating a signature" example: its credentials, parameters and signature.
        header = oauth1.authorization_header(
            "POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
            {"status": "Hello Ladies + Gentlemen, a signed OAuth request!"}, "xvz1evFS4wEEPTGEFPHBog",
            "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958)
        self.assertEqual(oauth1.parse_authorization(header)["oauth_signature"], "hCtSmYh+iHYCEqBWrE7C7hYmtUk=")

    def test_v11_filter_signed_and_refused(self):
        status, lines = self.v11("/1.1/statuses/filter.json", {"track": "sluice", "delimited": "length"}, read=4)
        self.assertEqual(status, 200)
        payload = [l for _, l in lines if l.strip()]
        self.assertEqual(len(payload), 4)
        for size_line, tweet_line in zip(payload[0::2], payload[1::2]):
            self.assertEqual(int(size_line), len(tweet_line))
            t = json.loads(tweet_line)
            full = t.get("extended_tweet", {}).get("full_text", t["text"]) + json.dumps(t.get("retweeted_status", {})) + \
                json.dumps(t.get("quoted_status", {}))
            self.assertIn("sluice", full.lower())
        self.assertEqual(call("GET", self.ctl + "/counters")[1]["last_v11_params"]["track"], "sluice")
        self.assertEqual(self.v11("/1.1/statuses/filter.json", {"track": "sluice"}, secret="wrong")[0], 401)
        self.assertEqual(self.v11("/1.1/statuses/filter.json", {"track": "x"}, nonce="same")[0], 200)
        self.assertEqual(self.v11("/1.1/statuses/filter.json", {"track": "x"}, nonce="same")[0], 401)
        self.assertEqual(self.v11("/1.1/statuses/filter.json", {"language": "en"})[0], 406)


class GoogleTokenFixtureTests(unittest.TestCase):
    """The token endpoint accepts only JWTs signed by the account's key and its API only live tokens."""

    def setUp(self):
        import subprocess
        import tempfile
        self.url = service(self, "google_token")
        self.dir = tempfile.mkdtemp()
        self.key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", self.key],
                       check=True, capture_output=True)
        pub = subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout"], check=True, capture_output=True).stdout.decode()
        self.email = f"fx-{uuid.uuid4().hex[:8]}@p.iam.gserviceaccount.com"
        self.assertEqual(call("POST", self.url + "/_control/account", {"email": self.email, "public_key_pem": pub})[0], 200)

    def jwt(self, tamper=False, aud=None):
        import subprocess
        b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
        now = int(time.time())
        claims = {"iss": self.email, "scope": "s", "aud": aud or self.url + "/token", "iat": now, "exp": now + 3600}
        signing = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing.encode(),
                             check=True, capture_output=True).stdout
        return signing + "." + b64(sig[::-1] if tamper else sig)

    def token(self, assertion):
        form = urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}).encode()
        return call("POST", self.url + "/token", form, {"Content-Type": "application/x-www-form-urlencoded"})

    def test_signed_jwt_gets_a_token_the_api_accepts_until_revoked(self):
        status, body = self.token(self.jwt())
        self.assertEqual(status, 200, body)
        auth = {"Authorization": "Bearer " + body["access_token"]}
        self.assertEqual(call("GET", self.url + "/api/x", headers=auth)[0], 200)
        call("POST", self.url + "/_control/revoke", {"email": self.email})
        self.assertEqual(call("GET", self.url + "/api/x", headers=auth)[0], 401)

    def test_bad_signature_or_audience_is_invalid_grant(self):
        for assertion in (self.jwt(tamper=True), self.jwt(aud="https://elsewhere/token")):
            status, body = self.token(assertion)
            self.assertEqual((status, body["error"]), (400, "invalid_grant"))


class GCSFixtureTests(unittest.TestCase):
    """gcp-storage-emulator behind the fault proxy: resumable uploads, 308 + Range, cut connections."""

    def test_resumable_upload_through_the_proxy_survives_a_cut(self):
        proxy = service(self, "gcs_faulty")
        bucket = f"fx-{uuid.uuid4().hex[:8]}"
        call("POST", proxy + "/_reset", {})
        self.assertEqual(call("POST", proxy + "/storage/v1/b?project=p", {"name": bucket})[0], 200)
        req = urllib.request.Request(f"{proxy}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&name=b.log",
                                     data=b"{}", method="POST", headers={"Content-Type": "application/json"})
        session = urllib.request.urlopen(req).headers["Location"]
        self.assertTrue(session.startswith(proxy), session)
        data = bytes(range(256)) * 2048  # 512 KiB: two chunks
        put = lambda body, rng: call("PUT", session, body, {"Content-Range": rng, "Content-Type": "application/octet-stream"})
        self.assertEqual(put(data[:262144], f"bytes 0-262143/{len(data)}")[0], 308)
        call("POST", proxy + "/_fault", {"mode": "cut", "nth": 1})
        with self.assertRaises(Exception):
            put(data[262144:], f"bytes 262144-{len(data) - 1}/{len(data)}")
        status, _ = put(b"", f"bytes */{len(data)}")
        self.assertEqual(status, 308)
        status, obj = put(data[262144:], f"bytes 262144-{len(data) - 1}/{len(data)}")
        self.assertEqual((status, int(obj["size"])), (200, len(data)))
        self.assertTrue(obj["crc32c"] and obj["md5Hash"])
        status, got = call("GET", f"{proxy}/storage/v1/b/{bucket}/o/b.log?alt=media", raw=True)
        self.assertEqual(got, data)

class BigQueryFixtureTests(unittest.TestCase):
    """The shim in front of bqemulator (bigquery_emulator.py) behaves as BigQuery's docs say."""

    def setUp(self):
        self.url = service(self, "bigquery")
        call("POST", self.url + "/_fixture/reset", {})
        self.dataset = "fx" + uuid.uuid4().hex[:8]
        self.base = f"{self.url}/bigquery/v2/projects/p/datasets/{self.dataset}"
        call("POST", f"{self.url}/bigquery/v2/projects/p/datasets", {"datasetReference": {"projectId": "p", "datasetId": self.dataset}})
        status, _ = call("POST", self.base + "/tables", {"tableReference": {"tableId": "t"}, "schema": {"fields": [
            {"name": "n", "type": "INT64"}, {"name": "r", "type": "RECORD", "fields": [{"name": "a", "type": "INT64"}]}]}})
        self.assertEqual(status, 200)

    def insert(self, rows, **flags):
        return call("POST", self.base + "/tables/t/insertAll", dict(flags, rows=rows))

    def count(self):
        _, r = call("POST", f"{self.url}/bigquery/v2/projects/p/queries",
                    {"query": f"SELECT COUNT(*) FROM `p.{self.dataset}.t`", "useLegacySql": False})
        return int(r["rows"][0]["f"][0]["v"])

    def test_insert_ids_unknown_fields_invalid_and_stopped_rows(self):
        self.assertEqual(self.insert([{"insertId": "a", "json": {"n": 1}}])[1]["insertErrors"], [])
        self.assertEqual(self.insert([{"insertId": "a", "json": {"n": 1}}])[1]["insertErrors"], [])
        self.assertEqual(self.count(), 1, "a repeated insertId is dropped")
        _, r = self.insert([{"json": {"n": 2}}, {"json": {"n": "x"}}, {"json": {"r": {"b": 1}}}])
        reasons = {e["index"]: (e["errors"][0]["reason"], e["errors"][0]["message"]) for e in r["insertErrors"]}
        self.assertEqual(reasons[0][0], "stopped")
        self.assertEqual(reasons[1][0], "invalid")
        self.assertEqual(reasons[2], ("invalid", "no such field: r.b."))
        self.assertEqual(self.count(), 1, "nothing inserted without skipInvalidRows")
        _, r = self.insert([{"json": {"n": 2}}, {"json": {"n": "x"}}], skipInvalidRows=True)
        self.assertEqual([e["index"] for e in r["insertErrors"]], [1])
        self.assertEqual(self.count(), 2)

    def test_patch_adds_columns_to_the_data_and_faults(self):
        status, _ = call("PATCH", self.base + "/tables/t", {"schema": {"fields": [
            {"name": "n", "type": "INT64"}, {"name": "late", "type": "STRING"},
            {"name": "r", "type": "RECORD", "fields": [{"name": "a", "type": "INT64"}, {"name": "b", "type": "STRING"}]}]}})
        self.assertEqual(status, 200)
        self.assertEqual(self.insert([{"json": {"n": 1, "late": "x", "r": {"b": "y"}}}])[1]["insertErrors"], [])
        call("POST", self.url + "/_fixture/fail", {"status": 503, "count": 1})
        self.assertEqual(self.insert([{"json": {"n": 2}}])[0], 503)
        call("POST", self.url + "/_fixture/lose", {"count": 1})
        self.assertEqual(self.insert([{"insertId": "z", "json": {"n": 3}}])[0], 503)
        self.assertEqual(self.count(), 2, "a lost response's row was inserted")

    def test_load_job_reads_an_object_uploaded_to_the_gcs_emulator(self):
        gcs = service(self, "gcs")
        bucket = f"fx-{uuid.uuid4().hex[:8]}"
        self.assertEqual(call("POST", gcs + "/storage/v1/b?project=p", {"name": bucket})[0], 200)
        body = gzip.compress(b'{"n": 7}\n{"n": 8}\n')
        status, _ = call("POST", f"{gcs}/upload/storage/v1/b/{bucket}/o?uploadType=media&name=d%2Frows.json.gz", body,
                         {"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 200)
        load = {"sourceUris": [f"gs://{bucket}/d/rows.json.gz"], "sourceFormat": "NEWLINE_DELIMITED_JSON",
                "destinationTable": {"projectId": "p", "datasetId": self.dataset, "tableId": "t"}}
        status, job = call("POST", f"{self.url}/bigquery/v2/projects/p/jobs", {"configuration": {"load": load}})
        self.assertEqual((status, job["status"].get("errorResult")), (200, None))
        self.assertEqual(self.count(), 2, "the uploaded object's rows")


if __name__ == "__main__":
    unittest.main(verbosity=2)
