"""The shape of outlets.yaml and settings.yaml, validated by pydantic (unknown keys are errors)."""
from __future__ import annotations

import re
from typing import Literal

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_RE = r"^[a-z0-9][a-z0-9_-]*$"
DURATION_RE = re.compile(r"^(\d+)\s*([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMG]?B)$", re.IGNORECASE)
SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(value: int | float | str) -> int:
    """'30m' -> 1800; a bare number is seconds."""
    if isinstance(value, (int, float)):
        return int(value)
    match = DURATION_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. 90s, 30m, 6h or 1d")
    return int(match.group(1)) * UNITS[match.group(2)]


def parse_size(value: int | str) -> int:
    """'10MB' -> 10485760 (binary units: 1 KB = 1024 B); a bare number is bytes."""
    if isinstance(value, int):
        return value
    match = SIZE_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a size; write e.g. 512KB, 10MB or 1GB")
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2).upper()])


def format_size(size: int) -> str:
    """10485760 -> '10 MB' (for messages)."""
    for unit in ("GB", "MB", "KB"):
        if size >= SIZE_UNITS[unit]:
            return f"{size / SIZE_UNITS[unit]:g} {unit}"
    return f"{size} B"


def check_http_url(url: str) -> str:
    if not re.match(r"^https?://[^/\s]+", url):
        raise ValueError(f"{url!r} is not an http(s) URL")
    return url


def check_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value


# host (and its subdomains), host:port or http(s)://host[:port]; crawler.origins applies them
DOMAIN_RE = re.compile(r"^(?:(?P<scheme>https?)://)?(?P<host>[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::(?P<port>\d{1,5}))?/?$",
                       re.IGNORECASE)


def check_domain(entry: str) -> str:
    if not DOMAIN_RE.match(entry.strip()):
        raise ValueError(f"{entry!r} is not a domain; write host, host:port or http(s)://host[:port]")
    return entry.strip()


HttpUrl = Annotated[str, AfterValidator(check_http_url)]
Domain = Annotated[str, AfterValidator(check_domain)]
Regex = Annotated[str, AfterValidator(check_regex)]


class Listing(Strict):
    url: HttpUrl
    links: Regex = Field(description="regex matched against absolute link URLs of article pages")
    next: Regex | None = Field(default=None, description="regex of pagination links to follow")


class Outlet(Strict):
    name: str = Field(pattern=NAME_RE)
    title: str | None = None
    domains: tuple[Domain, ...] = Field(min_length=1)
    language: str = "en"
    feeds: tuple[HttpUrl, ...] = ()
    feed_content: bool = False
    sitemaps: tuple[HttpUrl, ...] = ()
    listings: tuple[Listing, ...] = ()
    interval: int = 1800
    cron: str | None = None
    max_pages: int = Field(default=200, ge=1)
    residue: tuple[Regex, ...] = ()
    verified: bool = False
    enabled: bool = True
    notes: str | None = None

    _interval = field_validator("interval", mode="before")(classmethod(lambda cls, v: parse_duration(v)))

    @model_validator(mode="after")
    def _has_entry_point(self) -> "Outlet":
        if not (self.feeds or self.sitemaps or self.listings):
            raise ValueError("an outlet needs at least one of feeds, sitemaps or listings")
        return self

    @property
    def start_urls(self) -> tuple[str, ...]:
        return self.feeds + self.sitemaps + tuple(listing.url for listing in self.listings)


class OutletsFile(Strict):
    outlets: tuple[Outlet, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> "OutletsFile":
        names = [o.name for o in self.outlets]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"outlet names must be unique; repeated: {', '.join(dupes)}")
        return self


class CrawlSettings(Strict):
    user_agent: str = "drillwatch/0.1 (+https://github.com/drillwatch/drillwatch)"
    download_timeout: int = 20
    retries: int = 1
    concurrent_requests: int = 16
    concurrent_per_domain: int = 8
    download_delay: float = 0.0
    obey_robots: bool = True
    autothrottle: bool = False          # Scrapy's AutoThrottle: delays follow each site's response times
    autothrottle_target: float = Field(default=1.0, gt=0, description="requests in flight per site, per process")
    # Responses larger than these are cut off and recorded as too_large (a warning at half the size).
    max_page_size: int = Field(default=10 * 1024 ** 2, ge=1024)   # article and listing pages
    max_feed_size: int = Field(default=20 * 1024 ** 2, ge=1024)   # feeds and sitemaps

    _sizes = field_validator("max_page_size", "max_feed_size", mode="before")(
        classmethod(lambda cls, v: parse_size(v)))


class ExtractionSettings(Strict):
    boilerplate_min_pages: int = Field(default=4, ge=2)


class AlertSink(Strict):
    type: Literal["log", "jsonl", "atom", "apprise"]
    path: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _target(self) -> "AlertSink":
        if self.type in ("jsonl", "atom") and not self.path:
            raise ValueError(f"a {self.type} sink needs a path")
        if self.type == "apprise" and not self.url:
            raise ValueError("an apprise sink needs a url (see https://github.com/caronc/apprise/wiki)")
        return self


class AlertSettings(Strict):
    sinks: tuple[AlertSink, ...] = (AlertSink(type="log"),)
    max_attempts: int = 5


class DaemonSettings(Strict):
    jitter: int = 60
    misfire_grace: int = 600
    crawl_timeout: int = 1800
    stop_grace: int = 30
    max_backoff: int = 6 * 3600

    _durations = field_validator(
        "jitter", "misfire_grace", "crawl_timeout", "stop_grace", "max_backoff", mode="before"
    )(classmethod(lambda cls, v: parse_duration(v)))


class DedupSettings(Strict):
    """Near-duplicate stories. Changing num_perm, shingle_words or near_duplicate invalidates the stored
    LSH buckets (storage.dedup.rebuild_sql_index refills them)."""
    near_duplicate: float = Field(default=0.5, gt=0, le=1, description="estimated Jaccard of word shingles")
    num_perm: int = Field(default=128, ge=16, le=1024)
    shingle_words: int = Field(default=4, ge=1, le=12)
    large_edit: float = Field(default=0.2, gt=0, lt=1, description="share of shingles changed by a large edit")
    lsh: str = Field(default="sql", description="sql, or a redis:// URL for the LSH buckets")
    lsh_name: str | None = Field(default=None, description="Redis key prefix [default: derived from the database URL]")

    @field_validator("lsh")
    @classmethod
    def _lsh_backend(cls, value: str) -> str:
        if value != "sql" and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r}: write sql, or a Redis URL such as redis://127.0.0.1:6379/0")
        return value


class MonitorSettings(Strict):
    """Revisits of known articles: every `revisit_factor` of the time an article has been quiet, at least
    `revisit_min` and at most `revisit_max` apart, until it is `max_age` old."""
    revisit_min: int = 3600
    revisit_max: int = 7 * 86400
    revisit_factor: float = Field(default=0.25, gt=0)
    max_age: int = 30 * 86400
    revisit_share: float = Field(default=0.5, ge=0, le=1, description="share of an outlet's max_pages for revisits")

    _durations = field_validator("revisit_min", "revisit_max", "max_age", mode="before")(
        classmethod(lambda cls, v: parse_duration(v)))

    @model_validator(mode="after")
    def _ordered(self) -> "MonitorSettings":
        if not 0 < self.revisit_min <= self.revisit_max:
            raise ValueError("need 0 < revisit_min <= revisit_max")
        return self


class DigestSettings(Strict):
    """`drillwatch digest` and the daemon's digest job: sent through alerts.sinks when `schedule` is set."""
    schedule: str | None = Field(default=None, description="crontab expression (5 fields), e.g. '0 8 * * 1'")
    since: int = 7 * 86400
    format: Literal["text", "md", "html"] = "text"
    stories: int = Field(default=10, ge=1, description="how many of the most-copied stories to show")

    _since = field_validator("since", mode="before")(classmethod(lambda cls, v: parse_duration(v)))

    @field_validator("since")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("the digest period must be longer than 0s; write e.g. 7d or 24h")
        return value

    @field_validator("schedule")
    @classmethod
    def _crontab(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError(f"{value!r} is not a crontab expression: five fields (minute hour day-of-month "
                             "month day-of-week), e.g. '0 8 * * 1' for Mondays at 08:00")
        return value


class ClusterSettings(Strict):
    """Scaling out: workers share one Redis queue (scrapy-redis) and one PostgreSQL database."""
    redis: str | None = Field(default=None, description="redis:// URL of the shared queue; none: single process")
    prefix: str = Field(default="drillwatch", min_length=1, description="Redis key prefix of this cluster")
    heartbeat: int = Field(default=10, ge=1, description="seconds between a worker's heartbeats")
    lease: int = Field(default=30, ge=2, description="seconds a leader (or a silent worker) keeps its claim")

    _durations = field_validator("heartbeat", "lease", mode="before")(classmethod(lambda cls, v: parse_duration(v)))

    @field_validator("redis")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"{value!r}: write a Redis URL such as redis://127.0.0.1:6379/0")
        return value or None


class Settings(Strict):
    crawl: CrawlSettings = CrawlSettings()
    extraction: ExtractionSettings = ExtractionSettings()
    alerts: AlertSettings = AlertSettings()
    daemon: DaemonSettings = DaemonSettings()
    dedup: DedupSettings = DedupSettings()
    monitor: MonitorSettings = MonitorSettings()
    digest: DigestSettings = DigestSettings()
    cluster: ClusterSettings = ClusterSettings()


# --- places.yaml ---------------------------------------------------------------------------------

class Place(Strict):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    kind: Literal["sea", "strait", "bay", "gulf", "ocean", "region", "city", "port", "range", "lake"]


class PlacesFile(Strict):
    places: dict[str, Place] = {}
    without_coordinates: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _not_both(self) -> "PlacesFile":
        both = sorted(set(self.places) & set(self.without_coordinates))
        if both:
            raise ValueError(f"listed with and without coordinates: {', '.join(both)}")
        return self
