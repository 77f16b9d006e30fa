"""`persona-bot cache stats|clear`: what operators need to see and reset the shared cache."""

from __future__ import annotations

import argparse
import json

from bot.cache import CacheStats, CacheUnavailable, RedisCache
from bot.config import Settings
from bot.redis_conn import RedisOptions, ResilientRedis

NOT_SHARED = (
    "REDIS_URL is not set: each bot process keeps its own in-process cache, which ends with the process. "
    "Nothing shared to {what}."
)


def add_cache_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cache = subparsers.add_parser("cache", help="inspect or clear the shared persona cache (Redis)")
    sub = cache.add_subparsers(dest="cache_command", required=True, parser_class=type(cache))
    p = sub.add_parser("stats", help="cached personas and follow-ups, hits and misses, Redis memory")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_cache_stats)
    p = sub.add_parser(
        "clear", help="delete cached personas and follow-ups (stored personas, preferences and feedback stay)"
    )
    p.set_defaults(func=cmd_cache_clear)


def _open(settings: Settings) -> RedisCache | None:
    options = RedisOptions.from_settings(settings)
    if not options.url:
        return None
    return RedisCache(ResilientRedis(options.url), options.cache_ttl)


def _unreachable(cache: RedisCache) -> CacheUnavailable:
    return CacheUnavailable(f"Redis at {cache.redis.display_url} is not reachable.")


def format_stats(stats: CacheStats, where: str) -> str:
    lookups = stats.hits + stats.misses
    rate = f"{100 * stats.hits / lookups:.0f}%" if lookups else "-"
    rows = [
        ("redis", where),
        ("cached personas", str(stats.personas)),
        ("cached follow-ups", str(stats.followups)),
        ("hits", str(stats.hits)),
        ("misses", str(stats.misses)),
        ("hit rate", rate),
        ("memory used", stats.memory or "-"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def cmd_cache_stats(args: argparse.Namespace, settings: Settings) -> int:
    cache = _open(settings)
    if cache is None:
        print(NOT_SHARED.format(what="show"))
        return 0
    stats = cache.stats()
    if not stats.available:
        raise _unreachable(cache)
    if args.format == "json":
        print(json.dumps({**stats.as_dict(), "redis": cache.redis.display_url}, indent=2))
    else:
        print(format_stats(stats, cache.redis.display_url))
    return 0


def cmd_cache_clear(args: argparse.Namespace, settings: Settings) -> int:
    cache = _open(settings)
    if cache is None:
        print(NOT_SHARED.format(what="clear"))
        return 0
    removed = cache.clear()
    print(f"Removed {removed} cached personas and follow-ups from {cache.redis.display_url}.")
    return 0
