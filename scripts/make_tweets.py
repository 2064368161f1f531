#!/usr/bin/env python3
"""Writes samples/tweets/v11.jsonl and v2.jsonl: the same 1,000 made-up tweets (fixed seed,
reproducible) in Twitter's v1.1 streaming shape and in the v2 stream shape ({"data", "includes"};
the fixture adds "matching_rules"). Nothing here is real user data.

Shapes follow the public docs: v1.1 "Tweet object", "User object", "Entities", "Extended entities",
"Geo objects" (developer.twitter.com/en/docs/twitter-api/v1/data-dictionary/object-model/*) incl.
`extended_tweet` for tweets over 140 characters; v2 "Tweet", "User", "Media", "Place", "Poll"
objects and the `expansions` layout (developer.twitter.com/en/docs/twitter-api/data-dictionary/*).
Retweets, quoted tweets, retweets of quotes and (as some compatible services send) retweets of
retweets nest whole tweet objects, so the v1.1 sample has well over 1,000 distinct field paths:
Elasticsearch's default `index.mapping.total_fields.limit` (1000) rejects it, as it did for the seed.

Usage: scripts/make_tweets.py [OUT_DIR] [COUNT]   (prints the field-path counts at the end)
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

out_dir = sys.argv[1] if len(sys.argv) > 1 else "samples/tweets"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
rng = random.Random(1414)
T0 = datetime(2023, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
WORDS = ("data pipeline sluice logstash kafka stream river flood rain weather city music game news "
         "coffee morning night team match goal build release bug fix cloud search index tweet photo "
         "travel train bus code swift python rust open source community event today tomorrow").split()
TAGS = ["sluice", "opensource", "data", "weather", "music", "football", "travel", "swift", "news"]
SYMBOLS = ["AAPL", "GOOG", "ELST", "TWTR"]
LANGS = ["en", "en", "en", "de", "fr", "es", "ja", "pt"]
PLACES = [  # name, country, code, lon0, lat0, lon1, lat1
    ("Berlin", "Germany", "DE", 13.08, 52.33, 13.76, 52.67), ("Paris", "France", "FR", 2.22, 48.81, 2.47, 48.90),
    ("San Francisco", "United States", "US", -122.51, 37.70, -122.35, 37.83),
    ("Tokyo", "Japan", "JP", 139.56, 35.52, 139.92, 35.82), ("Madrid", "Spain", "ES", -3.83, 40.31, -3.52, 40.56)]
SOURCES = ['<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>',
           '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
           '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>']
next_id = [1630000000000000000]


def new_id():
    next_id[0] += rng.randint(1000, 900000)
    return next_id[0]


def v1_time(t):
    return t.strftime("%a %b %d %H:%M:%S +0000 %Y")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


USERS = []
for i in range(120):
    uid = 10_000_000 + i * 7919
    name = f"user{i:03d}"
    USERS.append({"id": uid, "screen_name": name, "name": f"{rng.choice(WORDS).title()} {name.title()}",
                  "location": rng.choice(["Berlin", "Paris", "", "Earth", "Tokyo"]),
                  "description": " ".join(rng.choice(WORDS) for _ in range(5)) + " https://t.co/u" + str(i),
                  "followers": rng.randint(0, 50000), "friends": rng.randint(0, 3000),
                  "created": T0 - timedelta(days=rng.randint(100, 4000)), "verified": rng.random() < 0.1,
                  "lang": rng.choice(LANGS), "geo_enabled": rng.random() < 0.3})


def indices_of(text, token):
    at = text.find(token)
    return [at, at + len(token)] if at >= 0 else [0, len(token)]


def make_tweet(depth=0, kind=None):
    """The neutral model of one tweet; rendered below as v1.1 and v2."""
    t = T0 + timedelta(seconds=rng.randint(0, 86400 * 3))
    user = rng.choice(USERS)
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 24))]
    tags = rng.sample(TAGS, rng.randint(0, 3))
    mentions = rng.sample(USERS, rng.randint(0, 2))
    text = " ".join(words) + "".join(f" #{h}" for h in tags) + "".join(f" @{m['screen_name']}" for m in mentions)
    tw = {"id": new_id(), "time": t, "user": user, "text": text, "tags": tags, "mentions": mentions,
          "lang": rng.choice(LANGS), "source": rng.choice(SOURCES), "urls": [], "media": [], "symbols": [],
          "place": None, "coords": None, "reply_to": None, "poll": None,
          "metrics": [rng.randint(0, 500) for _ in range(4)], "sensitive": rng.random() < 0.05}
    if rng.random() < 0.35:
        tw["urls"].append({"short": f"https://t.co/{tw['id'] % 99991}", "expanded": f"https://example.org/{rng.choice(WORDS)}/{tw['id']}",
                           "unwound": rng.random() < 0.5})
    if rng.random() < 0.1:
        tw["symbols"].append(rng.choice(SYMBOLS))
    if rng.random() < 0.15:
        kind_m = rng.choice(["photo", "photo", "video", "animated_gif"])
        tw["media"] = [{"id": new_id(), "type": kind_m, "w": rng.choice([640, 1080, 1920]), "h": rng.choice([480, 1080, 1350]),
                        "alt": rng.random() < 0.4, "ms": rng.randint(2000, 140000)} for _ in range(rng.randint(1, 2))]
    if rng.random() < 0.2:
        tw["place"] = rng.choice(PLACES)
        if rng.random() < 0.5:
            p = tw["place"]
            tw["coords"] = [round(rng.uniform(p[3], p[5]), 5), round(rng.uniform(p[4], p[6]), 5)]
    if rng.random() < 0.1:
        tw["reply_to"] = (new_id(), rng.choice(USERS))
    if rng.random() < 0.03:
        tw["poll"] = [f"option {i}" for i in range(rng.randint(2, 4))]
    if depth < 2:
        kind = kind or rng.choices(["plain", "retweet", "quote"], [55, 30, 15])[0]
        if kind == "retweet":
            inner = rng.choices(["plain", "quote", "retweet"], [70, 25, 5])[0] if depth == 0 else "plain"
            tw["retweeted"] = make_tweet(depth + 1, inner)
            tw["text"] = f"RT @{tw['retweeted']['user']['screen_name']}: " + tw["retweeted"]["text"]
            tw.update(urls=[], media=[], poll=None, place=None, coords=None)
        elif kind == "quote":
            tw["quoted"] = make_tweet(depth + 1, "plain")
    return tw


# ---------------------------------------------------------------- v1.1 -------------------------
def v1_user(u):
    return {"id": u["id"], "id_str": str(u["id"]), "name": u["name"], "screen_name": u["screen_name"],
            "location": u["location"] or None, "url": f"https://example.org/~{u['screen_name']}",
            "description": u["description"], "translator_type": "none", "protected": False,
            "verified": u["verified"], "followers_count": u["followers"], "friends_count": u["friends"],
            "listed_count": u["followers"] // 100, "favourites_count": u["friends"] * 3,
            "statuses_count": u["followers"] + 17, "created_at": v1_time(u["created"]), "utc_offset": None,
            "time_zone": None, "geo_enabled": u["geo_enabled"], "lang": None, "contributors_enabled": False,
            "is_translator": False, "profile_background_color": "F5F8FA", "profile_background_image_url": "",
            "profile_background_image_url_https": "", "profile_background_tile": False,
            "profile_link_color": "1DA1F2", "profile_sidebar_border_color": "C0DEED",
            "profile_sidebar_fill_color": "DDEEF6", "profile_text_color": "333333",
            "profile_use_background_image": True,
            "profile_image_url": f"http://pbs.twimg.com/profile_images/{u['id']}/a_normal.jpg",
            "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{u['id']}/a_normal.jpg",
            "profile_banner_url": f"https://pbs.twimg.com/profile_banners/{u['id']}/1600000000",
            "default_profile": True, "default_profile_image": False, "following": None,
            "follow_request_sent": None, "notifications": None, "withheld_in_countries": [],
            "entities": {"url": {"urls": [{"url": "https://t.co/x", "expanded_url": f"https://example.org/~{u['screen_name']}",
                                           "display_url": f"example.org/~{u['screen_name']}", "indices": [0, 23]}]},
                         "description": {"urls": []}}}


def v1_media(tw, m, extended):
    url = f"https://t.co/m{m['id'] % 99991}"
    d = {"id": m["id"], "id_str": str(m["id"]), "indices": indices_of(tw["text"], url),
         "media_url": f"http://pbs.twimg.com/media/{m['id']}.jpg", "media_url_https": f"https://pbs.twimg.com/media/{m['id']}.jpg",
         "url": url, "display_url": f"pic.twitter.com/{m['id'] % 99991}",
         "expanded_url": f"https://twitter.com/{tw['user']['screen_name']}/status/{tw['id']}/photo/1",
         "type": "photo" if not extended else m["type"],
         "sizes": {s: {"w": min(m["w"], lim), "h": min(m["h"], lim), "resize": "crop" if s == "thumb" else "fit"}
                   for s, lim in (("thumb", 150), ("small", 680), ("medium", 1200), ("large", 2048))}}
    if extended and m["alt"]:
        d["ext_alt_text"] = "a picture of " + rng.choice(WORDS)
    if extended and m["type"] != "photo":
        d["video_info"] = {"aspect_ratio": [16, 9], "duration_millis": m["ms"],
                           "variants": [{"bitrate": b, "content_type": "video/mp4",
                                         "url": f"https://video.twimg.com/v/{m['id']}/{b}.mp4"} for b in (256000, 832000)]}
        d["additional_media_info"] = {"monetizable": False, "title": "", "description": ""}
    return d


def v1_entities(tw):
    e = {"hashtags": [{"text": h, "indices": indices_of(tw["text"], "#" + h)} for h in tw["tags"]],
         "urls": [], "user_mentions": [{"screen_name": m["screen_name"], "name": m["name"], "id": m["id"],
                                        "id_str": str(m["id"]), "indices": indices_of(tw["text"], "@" + m["screen_name"])}
                                       for m in tw["mentions"]],
         "symbols": [{"text": s, "indices": [0, len(s) + 1]} for s in tw["symbols"]]}
    for u in tw["urls"]:
        d = {"url": u["short"], "expanded_url": u["expanded"], "display_url": u["expanded"][8:30], "indices": [0, 23]}
        if u["unwound"]:
            d["unwound"] = {"url": u["expanded"], "status": 200, "title": "A page", "description": "About " + rng.choice(WORDS)}
        e["urls"].append(d)
    if tw["media"]:
        e["media"] = [v1_media(tw, m, False) for m in tw["media"][:1]]
    if tw["poll"]:
        e["polls"] = [{"options": [{"position": i + 1, "text": o} for i, o in enumerate(tw["poll"])],
                       "end_datetime": v1_time(tw["time"] + timedelta(days=1)), "duration_minutes": 1440}]
    return e


def v1_tweet(tw):
    d = {"created_at": v1_time(tw["time"]), "id": tw["id"], "id_str": str(tw["id"]),
         "text": tw["text"][:140], "source": tw["source"], "truncated": len(tw["text"]) > 140,
         "in_reply_to_status_id": None, "in_reply_to_status_id_str": None, "in_reply_to_user_id": None,
         "in_reply_to_user_id_str": None, "in_reply_to_screen_name": None, "user": v1_user(tw["user"]),
         "geo": None, "coordinates": None, "place": None, "contributors": None,
         "is_quote_status": "quoted" in tw, "quote_count": tw["metrics"][0], "reply_count": tw["metrics"][1],
         "retweet_count": tw["metrics"][2], "favorite_count": tw["metrics"][3], "entities": v1_entities(tw),
         "favorited": False, "retweeted": False, "filter_level": "low", "lang": tw["lang"],
         "timestamp_ms": str(int(tw["time"].timestamp() * 1000))}
    if tw["reply_to"]:
        sid, u = tw["reply_to"]
        d.update(in_reply_to_status_id=sid, in_reply_to_status_id_str=str(sid), in_reply_to_user_id=u["id"],
                 in_reply_to_user_id_str=str(u["id"]), in_reply_to_screen_name=u["screen_name"])
    if tw["media"]:
        d["extended_entities"] = {"media": [v1_media(tw, m, True) for m in tw["media"]]}
        d["possibly_sensitive"] = tw["sensitive"]
    if tw["urls"]:
        d["possibly_sensitive"] = tw["sensitive"]
    if tw["coords"]:
        d["coordinates"] = {"type": "Point", "coordinates": tw["coords"]}
        d["geo"] = {"type": "Point", "coordinates": [tw["coords"][1], tw["coords"][0]]}
    if tw["place"]:
        n, c, cc, x0, y0, x1, y1 = tw["place"]
        d["place"] = {"id": f"{abs(hash(n)) % (1 << 48):012x}", "url": f"https://api.twitter.com/1.1/geo/id/{n}.json",
                      "place_type": "city", "name": n, "full_name": f"{n}, {c}", "country_code": cc, "country": c,
                      "bounding_box": {"type": "Polygon", "coordinates": [[[x0, y0], [x0, y1], [x1, y1], [x1, y0]]]},
                      "attributes": {}}
    if d["truncated"]:
        ext = {"full_text": tw["text"], "display_text_range": [0, len(tw["text"])], "entities": v1_entities(tw)}
        if tw["media"]:
            ext["extended_entities"] = d["extended_entities"]
        d["extended_tweet"] = ext
    if "quoted" in tw:
        q = tw["quoted"]
        d.update(quoted_status_id=q["id"], quoted_status_id_str=str(q["id"]), quoted_status=v1_tweet(q),
                 quoted_status_permalink={"url": "https://t.co/q", "expanded": f"https://twitter.com/{q['user']['screen_name']}/status/{q['id']}",
                                          "display": f"twitter.com/{q['user']['screen_name']}/status/…"})
    if "retweeted" in tw:
        d["retweeted_status"] = v1_tweet(tw["retweeted"])
    return d


# ---------------------------------------------------------------- v2 ---------------------------
def v2_user(u):
    return {"id": str(u["id"]), "name": u["name"], "username": u["screen_name"], "created_at": iso(u["created"]),
            "description": u["description"], "location": u["location"], "protected": False, "verified": u["verified"],
            "verified_type": "blue" if u["verified"] else "none",
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{u['id']}/a_normal.jpg",
            "url": "https://t.co/x", "public_metrics": {"followers_count": u["followers"], "following_count": u["friends"],
                                                        "tweet_count": u["followers"] + 17, "listed_count": u["followers"] // 100},
            "entities": {"url": {"urls": [{"start": 0, "end": 23, "url": "https://t.co/x",
                                           "expanded_url": f"https://example.org/~{u['screen_name']}",
                                           "display_url": f"example.org/~{u['screen_name']}"}]}}}


def v2_data(tw, inc):
    d = {"id": str(tw["id"]), "text": tw["text"], "edit_history_tweet_ids": [str(tw["id"])],
         "author_id": str(tw["user"]["id"]), "conversation_id": str(tw["id"]), "created_at": iso(tw["time"]),
         "lang": tw["lang"], "source": "Twitter Web App", "possibly_sensitive": tw["sensitive"], "reply_settings": "everyone",
         "public_metrics": {"retweet_count": tw["metrics"][2], "reply_count": tw["metrics"][1],
                            "like_count": tw["metrics"][3], "quote_count": tw["metrics"][0], "bookmark_count": 0,
                            "impression_count": sum(tw["metrics"]) * 10}}
    inc["users"][tw["user"]["id"]] = v2_user(tw["user"])
    ent = {}
    if tw["tags"]:
        ent["hashtags"] = [dict(zip(("start", "end"), indices_of(tw["text"], "#" + h)), tag=h) for h in tw["tags"]]
    if tw["mentions"]:
        ent["mentions"] = [dict(zip(("start", "end"), indices_of(tw["text"], "@" + m["screen_name"])),
                                username=m["screen_name"], id=str(m["id"])) for m in tw["mentions"]]
        for m in tw["mentions"]:
            inc["users"][m["id"]] = v2_user(m)
    if tw["urls"]:
        ent["urls"] = [{"start": 0, "end": 23, "url": u["short"], "expanded_url": u["expanded"],
                        "display_url": u["expanded"][8:30], **({"status": 200, "title": "A page", "unwound_url": u["expanded"]}
                                                               if u["unwound"] else {})} for u in tw["urls"]]
    if tw["symbols"]:
        ent["cashtags"] = [{"start": 0, "end": len(s) + 1, "tag": s} for s in tw["symbols"]]
    if rng.random() < 0.3:
        ent["annotations"] = [{"start": 0, "end": 5, "probability": round(rng.random(), 4), "type": "Place",
                               "normalized_text": rng.choice(WORDS).title()}]
        d["context_annotations"] = [{"domain": {"id": "66", "name": "Interests and Hobbies Category", "description": "A grouping"},
                                     "entity": {"id": "847", "name": rng.choice(WORDS).title()}}]
    if ent:
        d["entities"] = ent
    refs = []
    if tw["reply_to"]:
        sid, u = tw["reply_to"]
        d["in_reply_to_user_id"] = str(u["id"])
        refs.append({"type": "replied_to", "id": str(sid)})
    for key, typ in (("retweeted", "retweeted"), ("quoted", "quoted")):
        if key in tw:
            refs.append({"type": typ, "id": str(tw[key]["id"])})
            inc["tweets"][tw[key]["id"]] = v2_data(tw[key], inc)
    if refs:
        d["referenced_tweets"] = refs
    att = {}
    if tw["media"]:
        att["media_keys"] = [f"3_{m['id']}" for m in tw["media"]]
        for m in tw["media"]:
            md = {"media_key": f"3_{m['id']}", "type": m["type"], "width": m["w"], "height": m["h"]}
            if m["type"] == "photo":
                md["url"] = f"https://pbs.twimg.com/media/{m['id']}.jpg"
            else:
                md.update(duration_ms=m["ms"], preview_image_url=f"https://pbs.twimg.com/media/{m['id']}.jpg",
                          public_metrics={"view_count": m["ms"] // 10},
                          variants=[{"bit_rate": 832000, "content_type": "video/mp4", "url": f"https://video.twimg.com/v/{m['id']}.mp4"}])
            if m["alt"]:
                md["alt_text"] = "a picture"
            inc["media"][m["id"]] = md
    if tw["poll"]:
        pid = str(tw["id"] + 1)
        att["poll_ids"] = [pid]
        inc["polls"][pid] = {"id": pid, "options": [{"position": i + 1, "label": o, "votes": rng.randint(0, 99)}
                                                    for i, o in enumerate(tw["poll"])],
                             "duration_minutes": 1440, "end_datetime": iso(tw["time"] + timedelta(days=1)), "voting_status": "open"}
    if att:
        d["attachments"] = att
    if tw["place"]:
        n, c, cc, x0, y0, x1, y1 = tw["place"]
        pid = f"{abs(hash(n)) % (1 << 48):012x}"
        d["geo"] = {"place_id": pid}
        if tw["coords"]:
            d["geo"]["coordinates"] = {"type": "Point", "coordinates": tw["coords"]}
        inc["places"][pid] = {"id": pid, "full_name": f"{n}, {c}", "name": n, "country": c, "country_code": cc,
                              "place_type": "city", "geo": {"type": "Feature", "bbox": [x0, y0, x1, y1], "properties": {}}}
    return d


def v2_object(tw):
    inc = {"users": {}, "tweets": {}, "media": {}, "places": {}, "polls": {}}
    data = v2_data(tw, inc)
    return {"data": data, "includes": {k: list(v.values()) for k, v in inc.items() if v}}


def paths(value, prefix, out):
    """Distinct non-null field paths as Elasticsearch's dynamic mapping sees them (arrays flattened);
    returns them with their leaf kind so the caller can count `.keyword` sub-fields of strings."""
    if isinstance(value, dict):
        if prefix:
            out[prefix] = "object"
        for k, v in value.items():
            paths(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(value, list):
        for v in value:
            paths(v, prefix, out)
    elif value is not None:
        out.setdefault(prefix, "string" if isinstance(value, str) else "other")


if __name__ == "__main__":
    # hash() of str is salted per run: make the place ids stable.
    hash = lambda s: sum(ord(ch) * 31 ** i for i, ch in enumerate(s))  # noqa: E731
    tweets = [make_tweet() for _ in range(count)]
    v11 = [v1_tweet(t) for t in tweets]
    v2 = [v2_object(t) for t in tweets]
    for name, rows in (("v11.jsonl", v11), ("v2.jsonl", v2)):
        with open(f"{out_dir}/{name}", "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    for name, rows in (("v1.1", v11), ("v2", v2)):
        found = {}
        for r in rows:
            paths(r, "", found)
        strings = sum(1 for k in found.values() if k == "string")
        print(f"{name}: {len(rows)} tweets, {len(found)} distinct field paths "
              f"(Elasticsearch mappers incl. .keyword sub-fields of strings: {len(found) + strings})")
