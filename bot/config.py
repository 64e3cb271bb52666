"""Settings from the environment, validated once at startup (frozen dataclasses)."""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

_TELEGRAM_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
_DISCORD_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{50,100}$")
LANGUAGES = ("zh", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SALT_CHARS = 16
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
_PREFIXES = ("BOT_", "TELEGRAM_", "DISCORD_")

# Every variable the bot reads, with its meaning; the README and .env.example list the same (a test checks).
VARIABLES: dict[str, str] = {
    "BOT_DATABASE": "SQLite file for the usage log, subscriptions and heartbeat",
    "BOT_CONTENT_DIR": "folder of talk files",
    "BOT_INDEX_DIR": "folder for the persisted search index",
    "BOT_LANGUAGE": "language of the bot's own words when a user's is unknown: zh or en",
    "BOT_LOG_LEVEL": "DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "BOT_HASH_SALT": "secret salt for hashing chat and user ids in the usage log",
    "BOT_DEFAULT_TIMEZONE": "IANA time zone for /daily when none is given",
    "BOT_DAILY_GRACE_HOURS": "how late a missed daily quote may still go out",
    "BOT_LOG_RETENTION_DAYS": "usage rows older than this are pruned daily; 0 keeps them",
    "BOT_RELOAD_SECONDS": "how often a running bot looks for added, changed or removed talk files; 0 only on SIGHUP",
    "BOT_CONSOLE": "run the console adapter too when a platform token is set: 1 or 0",
    "BOT_OWNER_IDS": "who may use /report in a private chat, e.g. telegram:123,discord:456",
    "TELEGRAM_BOT_TOKEN": "token from @BotFather; starts the Telegram adapter",
    "TELEGRAM_API_BASE_URL": "Bot API base including /bot, for a self-hosted Bot API server",
    "TELEGRAM_WEBHOOK_URL": "public HTTPS URL for webhook mode (long polling when unset)",
    "TELEGRAM_WEBHOOK_PORT": "local port the webhook server listens on",
    "TELEGRAM_WEBHOOK_LISTEN": "local address the webhook server binds",
    "TELEGRAM_WEBHOOK_SECRET": "secret token Telegram sends with every webhook call",
    "DISCORD_BOT_TOKEN": "bot token from the Discord developer portal; starts the Discord adapter",
    "DISCORD_API_BASE_URL": "REST base including the version, for a REST proxy",
    "DISCORD_GATEWAY_URL": "gateway URL, for a gateway proxy",
    "DISCORD_GUILD_ID": "sync slash commands to this one server instantly (development)",
    "DISCORD_SHARD_COUNT": "total number of shards of the deployment",
    "DISCORD_SHARD_IDS": "comma-separated shard ids this process runs",
}


class ConfigError(ValueError):
    """A setting is wrong; the message names the variable and what is expected."""


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Telegram adapter settings."""

    token: str
    base_url: str | None = None
    webhook_url: str | None = None
    webhook_port: int = 8443
    webhook_listen: str = "0.0.0.0"
    webhook_secret: str | None = None


@dataclass(frozen=True, slots=True)
class DiscordSettings:
    """Discord adapter settings."""

    token: str
    api_base_url: str | None = None
    gateway_url: str | None = None
    guild_id: int | None = None
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    owner_ids: frozenset[str] = frozenset()  # Discord user ids of the owners (/report is offered when any)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment."""

    database: Path = Path("data/bot.sqlite3")
    content_dir: Path = REPO_CONTENT_DIR
    index_dir: Path | None = None
    language: str = "zh"
    log_level: str = "INFO"
    hash_salt: str | None = None
    default_timezone: str = "UTC"
    daily_grace_hours: float = 6.0
    log_retention_days: int = 365
    reload_seconds: int = 30
    console: bool | None = None
    telegram: TelegramSettings | None = None
    discord: DiscordSettings | None = None
    owner_ids: frozenset[str] = frozenset()  # "platform:id" of the owners (BOT_OWNER_IDS)
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def index_path(self) -> Path:
        """Folder of the persisted search index."""
        return self.index_dir or self.database.parent / "index"

    @property
    def console_enabled(self) -> bool:
        """The console adapter runs when asked to, or when no platform is configured."""
        if self.console is not None:
            return self.console
        return self.telegram is None and self.discord is None


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number from {lo} to {hi}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={raw!r}: expected a whole number from {lo} to {hi}")
    return value


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...], example: str) -> str | None:
    raw = _get(env, name)
    if raw is None:
        return None
    if not raw.startswith(tuple(f"{s}://" for s in schemes)) or len(raw) < len(schemes[0]) + 4:
        raise ConfigError(f"{name}={raw!r}: expected a URL like {example}")
    return raw.rstrip("/")


def _timezone(name: str, raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={raw!r}: expected an IANA time zone such as Asia/Shanghai or UTC") from None
    return raw


def _needs_token(env: Mapping[str, str], token_name: str, prefix: str) -> None:
    """Platform options without the platform's token are a mistake (the adapter would silently not start)."""
    stray = sorted(n for n in VARIABLES if n.startswith(prefix) and n != token_name and _get(env, n))
    if stray:
        raise ConfigError(f"{stray[0]} is set but {token_name} is not: set the token too, or unset {stray[0]}")


def _listen(env: Mapping[str, str]) -> str:
    raw = _get(env, "TELEGRAM_WEBHOOK_LISTEN") or "0.0.0.0"
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        if not _HOST.match(raw):
            raise ConfigError(f"TELEGRAM_WEBHOOK_LISTEN={raw!r}: expected an address to bind such as 0.0.0.0, "
                              "127.0.0.1 or ::") from None
    return raw


def _token(env: Mapping[str, str], platform: str, valid: Callable[[str], bool], expected: str) -> str | None:
    """A platform's bot token (None when not set, if none of its other settings is), checked for its shape."""
    name = f"{platform}_BOT_TOKEN"
    token = _get(env, name)
    if token is None:
        _needs_token(env, name, f"{platform}_")
    elif not valid(token):
        raise ConfigError(f"{name}: expected {expected}")
    return token


def _telegram(env: Mapping[str, str]) -> TelegramSettings | None:
    token = _token(env, "TELEGRAM", lambda t: bool(_TELEGRAM_TOKEN.match(t)),
                   "a token from @BotFather like 123456789:AAE... (digits, ':', 35 letters)")
    if token is None:
        return None
    secret = _get(env, "TELEGRAM_WEBHOOK_SECRET")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET: expected 1-256 characters of A-Z, a-z, 0-9, _ and -")
    webhook_url = _url(env, "TELEGRAM_WEBHOOK_URL", ("https", "http"), "https://bot.example.org/telegram")
    if webhook_url is not None and secret is None:
        # without it anyone who learns the URL could post forged updates (fake chats, fake migrations)
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required in webhook mode (TELEGRAM_WEBHOOK_URL is set); "
                          "e.g. the output of `openssl rand -hex 32`")
    return TelegramSettings(
        token=token,
        base_url=_url(env, "TELEGRAM_API_BASE_URL", ("http", "https"), "http://127.0.0.1:8081/bot"),
        webhook_url=webhook_url,
        webhook_port=_int(env, "TELEGRAM_WEBHOOK_PORT", 8443, 1, 65535),
        webhook_listen=_listen(env),
        webhook_secret=secret,
    )


def _shard_ids(env: Mapping[str, str], count: int | None) -> tuple[int, ...] | None:
    raw = _get(env, "DISCORD_SHARD_IDS")
    if raw is None:
        return None
    if count is None:
        raise ConfigError("DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT, the total number of shards")
    try:
        ids = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise ConfigError(f"DISCORD_SHARD_IDS={raw!r}: expected comma-separated shard numbers like 0,1") from None
    if not ids or any(not 0 <= i < count for i in ids) or len(set(ids)) != len(ids):
        raise ConfigError(f"DISCORD_SHARD_IDS={raw!r}: expected distinct numbers from 0 to {count - 1}")
    return ids


def _discord(env: Mapping[str, str]) -> DiscordSettings | None:
    token = _token(env, "DISCORD", lambda t: bool(_DISCORD_TOKEN.match(t)) and t.count(".") == 2,
                   "a bot token from the developer portal (three dot-separated parts)")
    if token is None:
        return None
    guild = _get(env, "DISCORD_GUILD_ID")
    if guild is not None and not guild.isdigit():
        raise ConfigError(f"DISCORD_GUILD_ID={guild!r}: expected a server id (digits only)")
    count = _int(env, "DISCORD_SHARD_COUNT", 0, 1, 100_000) if _get(env, "DISCORD_SHARD_COUNT") else None
    return DiscordSettings(
        token=token,
        api_base_url=_url(env, "DISCORD_API_BASE_URL", ("http", "https"), "http://127.0.0.1:8080/api/v10"),
        gateway_url=_url(env, "DISCORD_GATEWAY_URL", ("ws", "wss"), "ws://127.0.0.1:7878"),
        guild_id=int(guild) if guild else None,
        shard_count=count,
        shard_ids=_shard_ids(env, count),
    )


def _bool(env: Mapping[str, str], name: str) -> bool | None:
    raw = _get(env, name)
    if raw is None:
        return None
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r}: expected 1 or 0")


def _owners(env: Mapping[str, str]) -> frozenset[str]:
    raw = _get(env, "BOT_OWNER_IDS")
    if raw is None:
        return frozenset()
    owners = set()
    for part in raw.split(","):
        platform, _, user = part.strip().partition(":")
        if platform.lower() not in ("telegram", "discord", "console") or not re.fullmatch(r"[\w.-]+", user.strip()):
            raise ConfigError(f"BOT_OWNER_IDS={raw!r}: expected platform:id pairs such as telegram:123,discord:456")
        owners.add(f"{platform.lower()}:{user.strip()}")
    return frozenset(owners)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise ConfigError naming the first bad variable."""
    env = os.environ if env is None else env
    language = (_get(env, "BOT_LANGUAGE") or "zh").lower()
    if language not in LANGUAGES:
        raise ConfigError(f"BOT_LANGUAGE={language!r}: expected zh or en")
    level = (_get(env, "BOT_LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"BOT_LOG_LEVEL={level!r}: expected one of {', '.join(LOG_LEVELS)}")
    grace_raw = _get(env, "BOT_DAILY_GRACE_HOURS") or "6"
    try:
        grace = float(grace_raw)
    except ValueError:
        grace = -1.0
    if not 0 <= grace <= 23:
        raise ConfigError(f"BOT_DAILY_GRACE_HOURS={grace_raw!r}: expected hours from 0 to 23")
    index_dir = _get(env, "BOT_INDEX_DIR")
    salt = _get(env, "BOT_HASH_SALT")
    if salt is not None and len(salt) < MIN_SALT_CHARS:
        raise ConfigError(f"BOT_HASH_SALT: expected a random secret of at least {MIN_SALT_CHARS} characters "
                          "(e.g. from `openssl rand -hex 32`), or leave it empty to keep one in the database")
    telegram = _telegram(env)
    discord = _discord(env)
    owners = _owners(env)
    if discord is not None:
        discord = replace(discord, owner_ids=frozenset(o.split(":", 1)[1] for o in owners if o.startswith("discord:")))
    secrets = tuple(s for s in (
        telegram.token if telegram else None,
        telegram.webhook_secret if telegram else None,
        discord.token if discord else None,
        salt,
    ) if s)
    return Settings(
        database=Path(_get(env, "BOT_DATABASE") or "data/bot.sqlite3"),
        content_dir=Path(_get(env, "BOT_CONTENT_DIR") or REPO_CONTENT_DIR),
        index_dir=Path(index_dir) if index_dir else None,
        language=language,
        log_level=level,
        hash_salt=salt,
        default_timezone=_timezone("BOT_DEFAULT_TIMEZONE", _get(env, "BOT_DEFAULT_TIMEZONE") or "UTC"),
        daily_grace_hours=grace,
        log_retention_days=_int(env, "BOT_LOG_RETENTION_DAYS", 365, 0, 100_000),
        reload_seconds=_int(env, "BOT_RELOAD_SECONDS", 30, 0, 86_400),
        console=_bool(env, "BOT_CONSOLE"),
        telegram=telegram,
        discord=discord,
        owner_ids=owners,
        secrets=secrets,
    )


def unknown_variables(env: Mapping[str, str] | None = None) -> list[str]:
    """Set variables that look like the bot's but are not read by it (typos such as BOT_LOGLEVEL)."""
    env = os.environ if env is None else env
    return sorted(n for n in env if n.startswith(_PREFIXES) and n not in VARIABLES and env[n].strip())


def check_content_dir(directory: Path) -> None:
    """Raise ConfigError unless the folder exists and holds at least one talk file."""
    from bot.content.loader import talk_files

    if not directory.exists():
        raise ConfigError(f"BOT_CONTENT_DIR={directory}: expected a folder of talk files (*.md); it does not exist")
    if not directory.is_dir():
        raise ConfigError(f"BOT_CONTENT_DIR={directory}: expected a folder of talk files (*.md); it is a file")
    try:
        files = talk_files(directory)
    except OSError as exc:
        raise ConfigError(f"BOT_CONTENT_DIR={directory}: expected a readable folder ({exc.strerror})") from None
    if not files:
        raise ConfigError(f"BOT_CONTENT_DIR={directory}: expected a folder of talk files (*.md); it holds none")


def check_database_path(path: Path) -> None:
    """Raise ConfigError unless the database's folder can be created and written and the file written."""
    name = "BOT_DATABASE"
    if path.is_dir():
        raise ConfigError(f"{name}={path}: expected the path of a SQLite file; it is a folder")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{name}={path}: expected a writable location; cannot create folder {folder} "
                          f"({exc.strerror})") from None
    try:  # SQLite also needs to create the -wal and -shm files next to the database
        with tempfile.TemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{name}={path}: expected a writable location; cannot write in folder {folder} "
                          f"({exc.strerror})") from None
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise ConfigError(f"{name}={path}: expected a writable file; the file is read-only for this user")


def check_startup(settings: Settings) -> None:
    """What `run` needs beyond well-formed variables: a platform, talk files and a writable database path."""
    if settings.telegram is None and settings.discord is None and not settings.console_enabled:
        raise ConfigError("TELEGRAM_BOT_TOKEN / DISCORD_BOT_TOKEN: expected at least one platform token "
                          "(or BOT_CONSOLE=1 for the console)")
    check_content_dir(settings.content_dir)
    check_database_path(settings.database)
