"""Load and validate the YAML configuration into frozen objects.

Every failure becomes a ConfigError that names the file, the place in it and a hint, because the
person reading it is editing that file right now.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from config import PACKAGE_DIR
from config.schema import Outlet, OutletsFile, PlacesFile, Settings

ENV_CONFIG = "DRILLWATCH_CONFIG"
VAR_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")


class ConfigError(Exception):
    def __init__(self, file: Path | str, where: str, message: str, hint: str = ""):
        self.file, self.where, self.message, self.hint = str(file), where, message, hint
        text = f"{file}: {where}: {message}" if where else f"{file}: {message}"
        super().__init__(text + (f"\n  hint: {hint}" if hint else ""))


def config_dir(explicit: str | Path | None = None) -> Path:
    """--config beats $DRILLWATCH_CONFIG beats the shipped config/ directory."""
    chosen = explicit or os.environ.get(ENV_CONFIG) or PACKAGE_DIR
    path = Path(chosen).expanduser()
    if not path.is_dir():
        raise ConfigError(path, "", "config directory does not exist",
                          f"pass --config DIR or set {ENV_CONFIG} to a directory holding outlets.yaml")
    return path


def _expand_vars(value: Any, file: Path, where: str) -> Any:
    """${VAR} in strings comes from the environment (secrets in sink URLs, the demo server URL)."""
    if isinstance(value, dict):
        return {k: _expand_vars(v, file, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_vars(v, file, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        def sub(match: re.Match) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(file, where, f"environment variable {name} is not set",
                                  f"export {name}=... or remove ${{{name}}} from the file")
            return os.environ[name]
        return VAR_RE.sub(sub, value)
    return value


def read_yaml(file: Path) -> Any:
    try:
        with file.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigError(file, "", "file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(file, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None


def _location(loc: tuple, data: Any) -> str:
    """('outlets', 2, 'feeds', 0) -> "outlet 'tass' field 'feeds[0]'" using the outlet's name."""
    parts = list(loc)
    prefix = ""
    if len(parts) >= 2 and parts[0] == "outlets" and isinstance(parts[1], int):
        try:
            name = data["outlets"][parts[1]].get("name") or f"#{parts[1] + 1}"
        except (KeyError, IndexError, TypeError, AttributeError):
            name = f"#{parts[1] + 1}"
        prefix, parts = f"outlet '{name}'", parts[2:]
    field = ""
    for part in parts:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    if prefix and field:
        return f"{prefix} field '{field}'"
    return prefix or (f"field '{field}'" if field else "")


def _validate(model, data: Any, file: Path):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        hint = ""
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
            allowed = _allowed_keys(model, err["loc"][:-1])
            hint = f"allowed keys: {', '.join(allowed)}" if allowed else ""
        elif err["type"] == "missing":
            msg = "required field is missing"
        more = len(exc.errors()) - 1
        if more:
            hint = (hint + "; " if hint else "") + f"{more} more problem(s) after this one"
        raise ConfigError(file, _location(err["loc"], data), msg, hint) from None


def _allowed_keys(model, loc: tuple) -> list[str]:
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ()) or (annotation,)
        model = next((a for a in args if isinstance(a, type) and hasattr(a, "model_fields")), None)
        if model is None:
            return []
    return list(model.model_fields)


def load_outlets(directory: str | Path | None = None) -> tuple[Outlet, ...]:
    file = config_dir(directory) / "outlets.yaml"
    raw = read_yaml(file)
    if not isinstance(raw, dict):
        raise ConfigError(file, "", "expected a mapping with an 'outlets:' list")
    raw = _expand_vars(raw, file, "")
    return _validate(OutletsFile, raw, file).outlets


def load_settings(directory: str | Path | None = None) -> Settings:
    """settings.yaml is optional in a config dir: missing sections take the shipped defaults."""
    file = config_dir(directory) / "settings.yaml"
    if not file.exists():
        file = PACKAGE_DIR / "settings.yaml"
    raw = read_yaml(file) or {}
    return _validate(Settings, _expand_vars(raw, file, ""), file)


def load_places(directory: str | Path | None = None) -> PlacesFile:
    """The config dir's places.yaml when it has one, else the shipped table of place coordinates."""
    own = config_dir(directory) / "places.yaml"
    file = own if own.is_file() else PACKAGE_DIR / "places.yaml"
    raw = read_yaml(file) or {}
    if not isinstance(raw, dict):
        raise ConfigError(file, "", "expected a mapping with a 'places:' mapping of name -> coordinates",
                          "e.g. places: {Vladivostok: {latitude: 43.12, longitude: 131.89, kind: port}}")
    return _validate(PlacesFile, raw, file)


def find_outlet(outlets: tuple[Outlet, ...], name: str, file_hint: str = "outlets.yaml") -> Outlet:
    for outlet in outlets:
        if outlet.name == name:
            return outlet
    known = ", ".join(o.name for o in outlets) or "none"
    raise ConfigError(file_hint, f"outlet '{name}'", "no such outlet", f"configured outlets: {known}")


def load_gazetteer(directory: str | Path | None = None):
    """The config dir's exercises.yaml when it has one, else the shipped gazetteer; errors as ConfigError.

    Compiling the gazetteer costs a noticeable part of a crawl's start-up and every outlet's pipeline
    needs it: the (immutable) result is shared per file version, so an edited file is read again."""
    own = config_dir(directory) / "exercises.yaml"
    file = own if own.is_file() else PACKAGE_DIR / "exercises.yaml"
    return _parsed_gazetteer(str(file), file.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _parsed_gazetteer(file: str, _mtime_ns: int):
    from config.gazetteer import GazetteerError, load_gazetteer as parse_file

    try:
        return parse_file(Path(file))
    except GazetteerError as exc:
        raise ConfigError(exc.file, "", str(exc).removeprefix(f"{exc.file}: "), getattr(exc, "hint", "") or "") from None
