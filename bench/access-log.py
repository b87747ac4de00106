#!/usr/bin/env python3
"""An access log for the log-analysis benchmark, unlike the logs template's
own synthetic log (508 paths, Common Log Format, one day):

- Combined Log Format, with a referer and a user agent that hold spaces;
- 60,000 paths of varied shape (pages, products, API calls with ids,
  static files with hashes, user pages, search) drawn from a Zipf law of
  exponent 0.9, so the 200 MB file has well over 10,000 distinct paths
  (the script prints how many); about a third of requests carry a query
  string, which the analysis strips;
- 9 days of traffic that rises and falls with the hour; GET, POST, HEAD;
  statuses 200/201/204/301/302/304/400/401/403/404/500/502/503, `-` sizes.
Every line is well formed, so an `awk` one-liner and the job must agree.

    bench/access-log.py OUT [SIZE]     (SIZE in bytes, default 200000000)

A fixed seed makes the same file every time.
"""
import bisect
import itertools
import random
import sys

out = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000_000
rng = random.Random(20261124)

words = ["home", "about", "pricing", "docs", "blog", "careers", "shop", "cart", "checkout", "account", "help",
         "search", "news", "events", "team", "contact", "legal", "privacy", "status", "download"]
shapes = [
    lambda i: f"/{rng.choice(words)}/{rng.choice(words)}-{i}.html",
    lambda i: f"/products/{i}/{rng.choice(words)}",
    lambda i: f"/api/v2/orders/{i * 7919 % 10_000_000}",
    lambda i: f"/api/v2/users/{i}/settings",
    lambda i: f"/static/js/chunk.{i:x}{rng.getrandbits(24):06x}.js",
    lambda i: f"/static/img/{rng.choice(words)}_{i}.webp",
    lambda i: f"/u/{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(3, 12)))}{i}",
    lambda i: f"/docs/v{i % 7}.{i % 13}/{rng.choice(words)}/{rng.choice(words)}#{i}",
]
paths, seen = ["/", "/index.html", "/favicon.ico", "/robots.txt", "/login", "/logout"], set()
seen.update(paths)
while len(paths) < 60_000:
    path = rng.choice(shapes)(len(paths))
    if path not in seen:
        seen.add(path)
        paths.append(path)
cumulative = list(itertools.accumulate(1.0 / (r ** 0.9) for r in range(1, len(paths) + 1)))
total = cumulative[-1]
statuses = [(200, 70), (201, 3), (204, 2), (301, 2), (302, 4), (304, 8), (400, 1), (401, 1), (403, 1), (404, 5),
            (500, 1), (502, 1), (503, 1)]
status_cumulative = list(itertools.accumulate(w for _, w in statuses))
agents = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "curl/8.5.0", "Googlebot/2.1 (+http://www.google.com/bot.html)", "python-requests/2.32.3",
]
referers = ["-", "https://www.example.com/", "https://search.example.org/?q=batch+jobs", "https://news.example.net/item?id=4211"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

written, distinct, second = 0, set(), 0
with open(out, "wb") as f:
    while written < size:
        lines = []
        for _ in range(20_000):
            hour = (second // 3600) % 24
            # Busier by day: 1 to 4 requests a second.
            second += rng.choice((0, 0, 1, 1, 2)) if 8 <= hour <= 20 else rng.choice((0, 1, 1, 2, 3))
            day = 12 + second // 86_400 % 9
            path = paths[bisect.bisect_left(cumulative, rng.random() * total)]
            distinct.add(path)
            if rng.random() < 0.33:
                path += f"?utm_source={rng.choice(words)}&page={rng.randint(1, 40)}"
            status = statuses[bisect.bisect_left(status_cumulative, rng.random() * status_cumulative[-1])][0]
            size_field = "-" if status in (204, 304) or rng.random() < 0.01 else str(rng.randint(120, 250_000))
            method = "GET" if rng.random() < 0.85 else rng.choice(("POST", "HEAD"))
            ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            user = "-" if rng.random() < 0.95 else f"user{rng.randint(1, 5000)}"
            stamp = f"{day:02d}/{months[10]}/2026:{hour:02d}:{second // 60 % 60:02d}:{second % 60:02d} +0000"
            lines.append(f'{ip} - {user} [{stamp}] "{method} {path} HTTP/1.1" {status} {size_field} '
                         f'"{rng.choice(referers)}" "{rng.choice(agents)}"\n')
        block = "".join(lines).encode()
        room = size - written
        if len(block) > room:
            block = block[: block.rfind(b"\n", 0, room) + 1]  # whole lines only
            if not block:
                break
        f.write(block)
        written += len(block)
print(f"{out}: {written} bytes, {len(distinct)} distinct paths", file=sys.stderr)
