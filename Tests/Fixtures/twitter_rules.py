"""Stream rules, field selection and v1.1 filtering for twitter_fixture.py (see its header for the
Twitter docs it follows: "Build a rule", "POST /2/tweets/search/stream/rules", "Fields", "Expansions",
v1.1 "Filter realtime Tweets: basic stream parameters"). Python 3 standard library only."""
import re
import threading
import time

OPERATORS = {"from", "to", "lang", "is", "has", "url", "retweets_of", "conversation_id", "place", "place_country",
             "point_radius", "bounding_box", "sample", "context", "entity", "url_title", "followers_count"}
MAX_RULE = 512
RULE_DOC = "https://developer.twitter.com/en/docs/twitter-api/tweets/filtered-stream/integrate/build-a-rule"
TOKEN_RE = re.compile(r'\s*(-?"[^"]*"|\(|\)|-?[^\s()"]+|")')


def sent():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def tokenize(value):
    out, pos = [], 0
    while pos < len(value):
        m = TOKEN_RE.match(value, pos)
        if not m or not m.group(1).strip():
            break
        out.append((m.group(1), m.start(1) + 1))
        pos = m.end()
    return out


def validate(value):
    """Error details for a rule value, [] when valid."""
    if not value.strip():
        return ["Rule must not be empty"]
    if len(value) > MAX_RULE:
        return [f"Rule '{value[:40]}...' is too long: {len(value)} characters, at most {MAX_RULE} are allowed"]
    if value.count('"') % 2:
        return [f"Unterminated quoted string (at position {value.rfind(chr(34)) + 1})"]
    depth, details, positive = 0, [], False
    for tok, pos in tokenize(value):
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth < 0:
                return [f"Unbalanced parentheses (at position {pos})"]
        elif tok != "OR":
            body = tok[1:] if tok.startswith("-") else tok
            op, colon, _ = body.partition(":")
            if colon and not body.startswith('"') and not body.startswith("http") and op not in OPERATORS:
                details.append(f"Reference to invalid operator '{op}'. Operator is not available in current product "
                               f"or product packaging. Please refer to complete available operator list at {RULE_DOC}. "
                               f"(at position {pos})")
            positive = positive or not tok.startswith("-")
    if depth:
        return ["Unbalanced parentheses (at position 1)"]
    if not positive:
        details.append("Rules must contain a non-negation term (at position 1)")
    return details


def parse(value):
    """Rule -> tree: ("or", [...]) / ("and", [...]) / ("not", x) / ("term", text)."""
    toks = [t for t, _ in tokenize(value)]
    pos = [0]

    def expr():
        alts = [conj()]
        while pos[0] < len(toks) and toks[pos[0]] == "OR":
            pos[0] += 1
            alts.append(conj())
        return ("or", alts)

    def conj():
        parts = []
        while pos[0] < len(toks) and toks[pos[0]] not in ("OR", ")"):
            t = toks[pos[0]]
            pos[0] += 1
            neg = t.startswith("-") and len(t) > 1
            t = t[1:] if neg else t
            if t == "(":
                node = expr()
                pos[0] += 1  # ")"
            else:
                node = ("term", t)
            parts.append(("not", node) if neg else node)
        return ("and", parts)

    return expr()


def tweet_facts(obj):
    d = obj["data"]
    users = {u["id"]: u for u in obj.get("includes", {}).get("users", [])}
    ent = d.get("entities", {})
    refs = {r["type"] for r in d.get("referenced_tweets", [])}
    return {"text": d.get("text", "").lower(), "words": set(re.findall(r"[\w#@]+", d.get("text", "").lower())),
            "tags": {h["tag"].lower() for h in ent.get("hashtags", [])},
            "mentions": {m["username"].lower() for m in ent.get("mentions", [])},
            "from": {d.get("author_id", ""), users.get(d.get("author_id"), {}).get("username", "").lower()},
            "to": {d.get("in_reply_to_user_id", ""), users.get(d.get("in_reply_to_user_id"), {}).get("username", "").lower()},
            "lang": d.get("lang"), "refs": refs,
            "has": {k for k, ok in (("media", "media_keys" in d.get("attachments", {})), ("links", bool(ent.get("urls"))),
                                    ("hashtags", bool(ent.get("hashtags"))), ("mentions", bool(ent.get("mentions"))),
                                    ("geo", "geo" in d)) if ok}}


def evaluate(node, f):
    kind, arg = node
    if kind == "or":
        return any(evaluate(a, f) for a in arg)
    if kind == "and":
        return all(evaluate(a, f) for a in arg)
    if kind == "not":
        return not evaluate(arg, f)
    t = arg.lower()
    if t.startswith('"'):
        return t.strip('"') in f["text"]
    if t.startswith("#"):
        return t[1:] in f["tags"]
    if t.startswith("@"):
        return t[1:] in f["mentions"]
    op, colon, val = t.partition(":")
    if colon and op in OPERATORS:
        if op in ("from", "to"):
            return val in f[op]
        if op == "lang":
            return f["lang"] == val
        if op == "is":
            return {"retweet": "retweeted", "quote": "quoted", "reply": "replied_to"}.get(val) in f["refs"]
        if op == "has":
            return val in f["has"]
        return False
    return t in f["words"]


class Rules:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.rules = []  # {"id", "value", "tag"?, "tree"}
        self.next_id = 1630000000000000000

    def list(self):
        with self.lock:
            return [{k: v for k, v in r.items() if k != "tree"} for r in self.rules]

    def get_response(self, ids=None):
        data = [r for r in self.list() if not ids or r["id"] in ids.split(",")]
        out = {"meta": {"sent": sent(), "result_count": len(data)}}
        if data:
            out["data"] = data
        return out

    def matching(self, obj):
        with self.lock:
            rules = list(self.rules)
        f = tweet_facts(obj)
        return [{"id": r["id"], "tag": r.get("tag", "")} for r in rules if evaluate(r["tree"], f)]

    def post(self, js, dry_run):
        if ("add" in js) == ("delete" in js):
            return 400, {"title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request",
                         "detail": "One or more parameters to your request was invalid.",
                         "errors": [{"message": "Exactly one of add or delete must be given"}]}
        with self.lock:
            return self._add(js["add"], dry_run) if "add" in js else self._delete(js["delete"], dry_run)

    def _add(self, add, dry_run):
        errors, created, invalid = [], [], 0
        existing = {r["value"]: r["id"] for r in self.rules}
        for rule in add:
            value = rule.get("value", "")
            details = validate(value)
            if details:
                invalid += 1
                errors.append({"value": value, "details": details, "title": "UnprocessableEntity",
                               "type": "https://api.twitter.com/2/problems/invalid-rules"})
            elif value in existing:
                errors.append({"value": value, "id": existing[value], "title": "DuplicateRule",
                               "type": "https://api.twitter.com/2/problems/duplicate-rules"})
            else:
                self.next_id += 1
                created.append({"value": value, **({"tag": rule["tag"]} if rule.get("tag") else {}),
                                "id": str(self.next_id)})
                existing[value] = str(self.next_id)
        valid = len(add) - invalid
        if invalid:
            created = []
        if not dry_run:
            self.rules += [dict(r, tree=parse(r["value"])) for r in created]
        out = {"meta": {"sent": sent(), "summary": {"created": len(created), "not_created": len(add) - len(created),
                                                    "valid": valid, "invalid": invalid}}}
        if created:
            out["data"] = created
        if errors:
            out["errors"] = errors
        return (400 if invalid else 201 if created and not dry_run else 200), out

    def _delete(self, spec, dry_run):
        ids, values = set(spec.get("ids", [])), set(spec.get("values", []))
        gone = [r for r in self.rules if r["id"] in ids or r["value"] in values]
        missing = (ids - {r["id"] for r in gone}) | (values - {r["value"] for r in gone})
        if not dry_run:
            self.rules = [r for r in self.rules if r not in gone]
        out = {"meta": {"sent": sent(), "summary": {"deleted": len(gone), "not_deleted": len(missing)}}}
        if missing:
            out["errors"] = [{"value": m, "details": ["Rule does not exist"], "title": "Invalid Request",
                              "type": "https://api.twitter.com/2/problems/invalid-request"} for m in sorted(missing)]
        return 200, out


# ------------------------------------------------------------------ v2 field selection -------------
DEFAULTS = {"tweets": {"id", "text", "edit_history_tweet_ids"}, "users": {"id", "name", "username"},
            "media": {"media_key", "type"}, "places": {"id", "full_name"}, "polls": {"id", "options"}}
EXPANSIONS = {"author_id": ("users", "author_id"), "entities.mentions.username": ("users", "entities"),
              "in_reply_to_user_id": ("users", "in_reply_to_user_id"),
              "referenced_tweets.id.author_id": ("users", "referenced_tweets"),
              "referenced_tweets.id": ("tweets", "referenced_tweets"),
              "attachments.media_keys": ("media", "attachments"), "attachments.poll_ids": ("polls", "attachments"),
              "geo.place_id": ("places", "geo")}
FIELD_PARAM = {"tweets": "tweet.fields", "users": "user.fields", "media": "media.fields", "places": "place.fields",
               "polls": "poll.fields"}


def select_v2(obj, params):
    def wanted(kind):
        return DEFAULTS[kind] | set(filter(None, params.get(FIELD_PARAM[kind], "").split(",")))

    exp = [e for e in params.get("expansions", "").split(",") if e in EXPANSIONS]
    tweet_fields = wanted("tweets") | {EXPANSIONS[e][1] for e in exp}
    out = {"data": {k: v for k, v in obj["data"].items() if k in tweet_fields}}
    includes = {}
    for kind in sorted({EXPANSIONS[e][0] for e in exp}):
        objs = obj.get("includes", {}).get(kind)
        if objs:
            keep = wanted(kind) if kind != "tweets" else tweet_fields
            includes[kind] = [{k: v for k, v in o.items() if k in keep} for o in objs]
    if includes:
        out["includes"] = includes
    return out


# ------------------------------------------------------------------ v1.1 statuses/filter ----------
def v11_matches(tweet, params):
    """(track OR follow OR locations) AND language, as the v1.1 filter parameters combine."""
    langs = [x for x in params.get("language", "").split(",") if x]
    if langs and tweet.get("lang") not in langs:
        return False
    text = (tweet.get("extended_tweet", {}).get("full_text") or tweet.get("text", "")).lower()
    for inner in ("retweeted_status", "quoted_status"):
        if inner in tweet:
            text += " " + (tweet[inner].get("extended_tweet", {}).get("full_text") or tweet[inner].get("text", "")).lower()
    words = set(re.findall(r"[\w]+", text)) | {w.strip("#@") for w in re.findall(r"[#@]\w+", text)}
    for phrase in filter(None, params.get("track", "").split(",")):
        if all(w.strip("#@").lower() in words for w in phrase.split()):
            return True
    follow = set(filter(None, params.get("follow", "").split(",")))
    if follow and ({tweet["user"]["id_str"], tweet.get("in_reply_to_user_id_str")} |
                   {tweet.get("retweeted_status", {}).get("user", {}).get("id_str")}) & follow:
        return True
    locs = [float(x) for x in params.get("locations", "").split(",") if x.strip()]
    for j in range(0, len(locs) - 3, 4):
        w, s, e, n = locs[j:j + 4]
        if tweet.get("coordinates"):
            x, y = tweet["coordinates"]["coordinates"]
            if w <= x <= e and s <= y <= n:
                return True
        elif tweet.get("place"):
            ring = tweet["place"]["bounding_box"]["coordinates"][0]
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            if min(xs) <= e and max(xs) >= w and min(ys) <= n and max(ys) >= s:
                return True
    return False
