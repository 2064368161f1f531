#!/usr/bin/env python3
"""Writes N Apache combined-log lines (~200-220 bytes) with varied IPs, times, methods,
paths with query strings, statuses, sizes, referrers and agents (fixed seed)."""
import random
import sys

path = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = random.Random(7)
methods = ["GET"] * 8 + ["POST", "PUT", "DELETE", "HEAD"]
pages = ["/index.html", "/api/v2/orders", "/static/css/site.min.css", "/images/logo-large.png",
         "/search", "/products/item", "/account/settings", "/blog/2026/11/release-notes"]
agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
          "curl/8.5.0", "Googlebot/2.1 (+http://www.google.com/bot.html)"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
with open(path, "w") as f:
    for i in range(n):
        ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        ts = f"{rng.randint(1, 28):02d}/{rng.choice(months)}/2026:{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} +0000"
        page = rng.choice(pages)
        q = f"?id={rng.randint(1, 99999)}&ref=mail&page={rng.randint(1, 40)}" if rng.random() < 0.6 else ""
        status = rng.choice([200] * 10 + [301, 304, 404, 500])
        size = rng.randint(200, 90000)
        ref = f"https://www.example.com{rng.choice(pages)}"
        f.write(f'{ip} - - [{ts}] "{rng.choice(methods)} {page}{q} HTTP/1.1" {status} {size} "{ref}" "{rng.choice(agents)}"\n')
