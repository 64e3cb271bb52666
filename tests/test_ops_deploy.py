"""The container files agree with the code: command, health check, data volume, variables (no Docker needed)."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot.app import HEARTBEAT_SECONDS
from bot.cli import build_parser
from bot.config import VARIABLES, load_settings
from bot.ops import HEALTH_MAX_AGE

from .conftest import REPO

_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)")


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends in a continuation"
    out = []
    for line in lines:
        instruction, _, rest = line.partition(" ")
        out.append((instruction.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile()
    start = max(i for i, (instruction, _) in enumerate(steps) if instruction == "FROM")
    return steps[start:]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def env_of(steps: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, rest in steps:
        if instruction == "ENV":
            for part in shlex.split(rest):
                name, _, value = part.partition("=")
                env[name] = value
    return env


def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def service() -> dict[str, Any]:
    bot = compose()["services"]["bot"]
    assert isinstance(bot, dict)
    return bot


def env_example() -> dict[str, tuple[str, bool]]:
    """NAME -> (value, active) for every `NAME=value` and commented `# NAME=value` line of .env.example."""
    found: dict[str, tuple[str, bool]] = {}
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            name = match.group(2)
            assert name not in found, f"{name} appears twice in .env.example"
            found[name] = (match.group(3), match.group(1) is None)
    return found


def subcommands() -> set[str]:
    parser = build_parser()
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if action.dest == "command" and action.choices:
            return set(action.choices)
    raise AssertionError("no subcommands")


def seconds(duration: str | int | float) -> float:
    if isinstance(duration, int | float):
        return float(duration)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001}
    parts = _DURATION.findall(duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def console_script() -> str:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    scripts = data["project"]["scripts"]
    assert scripts == {"transcript-bot": "bot.cli:main"}
    return "transcript-bot"


def assert_valid_cli(argv: list[str]) -> None:
    assert argv[0] == console_script(), argv
    assert argv[1] in subcommands(), argv
    build_parser().parse_args(argv[1:])  # exits (SystemExit) on unknown options


# ----- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_base_user_and_command() -> None:
    steps = final_stage()
    base = steps[0][1].split()[0]
    assert re.fullmatch(r"python:3\.1[12]-slim(-\w+)?", base), base
    users = [rest for instruction, rest in steps if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    cmd = [rest for instruction, rest in steps if instruction == "CMD"]
    assert cmd and exec_form(cmd[-1]) == ["transcript-bot", "run"]  # exec form: the bot itself gets SIGTERM
    assert_valid_cli(exec_form(cmd[-1]))


def test_dockerfile_data_volume_and_paths() -> None:
    steps = final_stage()
    env = env_of(steps)
    volumes = [v for instruction, rest in steps if instruction == "VOLUME" for v in exec_form(rest)]
    assert "/data" in volumes
    assert env["BOT_DATABASE"] == "/data/bot.sqlite3"
    assert str(PurePosixPath(env["BOT_DATABASE"]).parent) in volumes
    assert set(env) - {"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PIP_NO_CACHE_DIR",
                       "PIP_DISABLE_PIP_VERSION_CHECK", "TZ"} <= set(VARIABLES)
    workdir = [rest for instruction, rest in steps if instruction == "WORKDIR"][-1]
    copies = [rest.split() for instruction, rest in steps if instruction == "COPY"]
    content = [c for c in copies if c[-2] == "content"]
    assert content, "content/ is not copied into the image"
    assert str(PurePosixPath(workdir) / content[0][-1]) in (env["BOT_CONTENT_DIR"], env["BOT_CONTENT_DIR"] + "/")
    assert env.get("BOT_CONSOLE") == "0"  # no terminal in a container: a missing token must be an error


def test_dockerfile_installs_the_package_without_dev_extras_and_tzdata() -> None:
    text = " ".join(rest for _, rest in dockerfile())
    assert "pip install" in text and "[dev]" not in text and "-e " not in text
    assert "tzdata" in text
    healthchecks = [rest for instruction, rest in final_stage() if instruction == "HEALTHCHECK"]
    for rest in healthchecks:
        argv = exec_form(rest[rest.index("CMD") + 3:].strip())
        assert_valid_cli(argv)
        assert argv[1] == "health"


def test_dockerignore_keeps_secrets_out_and_the_build_inputs_in() -> None:
    ignored = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".git", ".venv", "data"} <= ignored
    assert not {"bot", "content", "README.md", "pyproject.toml"} & ignored


# ----- docker-compose.yml --------------------------------------------------------------------------


def test_compose_service_builds_here_with_env_file_and_restart() -> None:
    bot = service()
    build = bot["build"]
    assert build == "." or (isinstance(build, dict) and build.get("context") == ".")
    env_file = bot["env_file"]
    assert env_file == ".env" or env_file == [".env"] or env_file == [{"path": ".env"}]
    assert bot["restart"] == "unless-stopped"
    assert seconds(bot["stop_grace_period"]) >= 10
    if "command" in bot:
        command = bot["command"]
        assert_valid_cli(shlex.split(command) if isinstance(command, str) else list(command))


def test_compose_data_volume_is_named_and_holds_the_database() -> None:
    bot = service()
    mounts = [str(v).split(":") for v in bot["volumes"]]
    data = [m for m in mounts if m[1] == "/data"]
    assert data, mounts
    name = data[0][0]
    assert not name.startswith((".", "/")), "the data volume should be a named volume"
    assert name in (compose().get("volumes") or {})


def test_compose_healthcheck_runs_the_health_subcommand() -> None:
    check = service()["healthcheck"]
    test = check["test"]
    if isinstance(test, str):
        argv = shlex.split(test)
    elif test[0] == "CMD-SHELL":
        argv = shlex.split(test[1])
    else:
        assert test[0] == "CMD"
        argv = list(test[1:])
    assert_valid_cli(argv)
    assert argv[1] == "health"
    assert seconds(check["timeout"]) >= 3
    assert seconds(check.get("start_period", "0s")) >= 30  # content and index load before the first beat
    assert HEALTH_MAX_AGE >= 3 * HEARTBEAT_SECONDS  # a missed beat or two is not "unhealthy"


def test_compose_webhook_port_is_documented() -> None:
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert re.search(r"#\s*ports:", text) and "8443" in text


# ----- .env.example and README ------------------------------------------------------------------------


def test_env_example_lists_exactly_the_variables() -> None:
    names = set(env_example())
    assert names == set(VARIABLES), f"missing: {set(VARIABLES) - names}, unknown: {names - set(VARIABLES)}"


def test_env_example_is_commented_and_holds_no_secret() -> None:
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = _ASSIGNMENT.match(line.strip())
        if match:
            assert number > 0 and lines[number - 1].startswith("#"), f"{match.group(2)} has no comment above"
    for name, (value, _) in env_example().items():
        if name.endswith(("TOKEN", "SECRET", "SALT")):
            assert value == "", f"{name} must be empty in .env.example"


def test_env_example_with_the_image_environment_gives_the_container_paths() -> None:
    """Compose puts env_file values over the image's ENV; an empty BOT_DATABASE= would lose the volume."""
    env = env_of(final_stage())
    env.update({name: value for name, (value, active) in env_example().items() if active})
    settings = load_settings(env)
    assert settings.database == Path("/data/bot.sqlite3")
    assert settings.content_dir == Path("/app/content")
    assert settings.telegram is None and settings.discord is None and not settings.console_enabled
    for name in ("BOT_DATABASE", "BOT_CONTENT_DIR", "BOT_CONSOLE"):
        assert not env_example()[name][1], f"{name} must stay commented in .env.example (the image sets it)"


def test_readme_configuration_table_lists_every_variable() -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    rows = set(re.findall(r"^\|\s*`?([A-Z][A-Z0-9_]+)`?\s*\|", text, flags=re.M))
    if not rows & set(VARIABLES):
        pytest.skip("README.md has no configuration table yet")
    assert set(VARIABLES) <= rows, f"README lacks: {sorted(set(VARIABLES) - rows)}"
    assert {n for n in rows if n.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))} <= set(VARIABLES)
