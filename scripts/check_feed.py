#!/usr/bin/env python3
"""Checks a podcast feed with an independent parser (feedparser), for what Apple Podcasts and
the Podcasting 2.0 validators require:

- channel: title, link, description, language, itunes:image, itunes:category,
  itunes:explicit, podcast:guid (a version-5 UUID);
- every item: title, a complete enclosure (url, length, type), guid, an RFC 2822 pubDate.

Usage: check_feed.py FEED.xml  -> prints a JSON summary (items' titles and guids, the channel's
podcast:guid) and exits 0; exits 1 naming every missing requirement. `scripts/test` installs
feedparser (pinned) in a venv; tests/podcasts_api.rs runs this script with that venv's python.
"""

import json
import sys
import uuid
from email.utils import parsedate_to_datetime

import feedparser


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    feed = feedparser.parse(raw)
    faults = []
    if feed.bozo:
        faults.append(f"not well-formed: {feed.bozo_exception}")
    if feed.version != "rss20":
        faults.append(f"not RSS 2.0: {feed.version!r}")
    ns = feed.namespaces
    for prefix, url in [
        ("itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"),
        ("podcast", "https://podcastindex.org/namespace/1.0"),
        ("content", "http://purl.org/rss/1.0/modules/content/"),
    ]:
        if url not in ns.values():
            faults.append(f"namespace {prefix} ({url}) not declared")
    ch = feed.feed
    for key in ["title", "link", "subtitle", "language"]:
        if not ch.get(key):
            faults.append(f"channel has no {key if key != 'subtitle' else 'description'}")
    if not (ch.get("image") or {}).get("href"):
        faults.append("channel has no itunes:image")
    if not ch.get("tags"):
        faults.append("channel has no itunes:category")
    if "itunes_explicit" not in ch:
        faults.append("channel has no itunes:explicit")
    guid = ch.get("podcast_guid")
    try:
        if uuid.UUID(guid or "").version != 5:
            faults.append(f"podcast:guid {guid!r} is not a version-5 UUID")
    except ValueError:
        faults.append(f"podcast:guid {guid!r} is not a UUID")
    items = []
    for i, entry in enumerate(feed.entries):
        name = entry.get("title") or f"item {i}"
        if not entry.get("title"):
            faults.append(f"item {i} has no title")
        enclosures = [l for l in entry.get("links", []) if l.get("rel") == "enclosure"]
        if not enclosures:
            faults.append(f"{name}: no enclosure")
        for e in enclosures:
            if not (e.get("href") and e.get("length") and e.get("type")):
                faults.append(f"{name}: incomplete enclosure {e}")
            elif not str(e["length"]).isdigit():
                faults.append(f"{name}: enclosure length {e['length']!r} is not bytes")
        if not entry.get("id"):
            faults.append(f"{name}: no guid")
        published = entry.get("published")
        try:
            parsedate_to_datetime(published)
        except (TypeError, ValueError):
            faults.append(f"{name}: pubDate {published!r} is not RFC 2822")
        items.append(
            {
                "title": entry.get("title"),
                "guid": entry.get("id"),
                "published": published,
                "enclosure": enclosures[0].get("href") if enclosures else None,
                "itunes_episode": entry.get("itunes_episode"),
            }
        )
    if faults:
        print("\n".join(faults), file=sys.stderr)
        sys.exit(1)
    print(
        json.dumps(
            {
                "title": ch.get("title"),
                "podcast_guid": guid,
                "language": ch.get("language"),
                "items": items,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
