"""Contexts: which endpoint, project, workspace and credentials a remote command uses.

A context is a named connection to an endpoint (what the AWS CLI calls a named profile; here
"profile" means an environment profile, the renames an import applies). Contexts live in a
TOML file, ``$XDG_CONFIG_HOME/jobferry/config.toml`` (default ``~/.config/jobferry/config.toml``;
``--config`` or ``JOBFERRY_CONFIG`` name another file), one table per context::

    default_context = "test"            # optional; else the context named "default"

    [contexts.test]
    endpoint = "http://127.0.0.1:8000"  # a jobferry server, or the real DataArts endpoint
    project_id = "0123456789abcdef0123456789abcdef"
    workspace = "sales_test"            # workspace name or id (the ``workspace`` header); optional
    ak_env = "TEST_AK"                  # read the AK/SK from these environment variables …
    sk_env = "TEST_SK"
    # ak_file / sk_file = "/run/secrets/jobferry_sk"  # … or read them from files …
    # ak = "…" / sk = "…"               # … or write them here (keep the file private)
    verify_tls = true                   # or false, or ca_bundle = "/path/to/ca.pem"
    timeout = 120                       # seconds a call's answer is waited for (default 120)
    wait_timeout = 1800                 # seconds a task is followed (default 0: to its end)
    region = "cn-north-4"
    upload = "jobferry"                 # "jobferry": POST /packages; "obs": put into obs_bucket
    obs_bucket = "release-packages"     # for upload = "obs"
    obs_endpoint = "https://obs.cn-north-4.myhuaweicloud.com"
    obs_prefix = "jobferry/uploads/"
    # obs_ak_env / obs_sk_env (or obs_ak / obs_sk): OBS credentials; default the context's AK/SK

Which context: ``--context``, else ``JOBFERRY_CONTEXT``, else ``default_context``, else
``default``. Files and environments written before contexts had their name still work, with a
one-line notice: ``[profiles.NAME]`` tables, ``default_profile``, ``JOBFERRY_PROFILE`` (and the
hidden ``--profile`` option). A missing file, or a missing context nothing named (the
``default``), is fine as long as the environment supplies what the command needs; a context
named (option, variable, ``default_context``) must be in the file. Environment variables
override the context, field by field: ``JOBFERRY_ENDPOINT``, ``JOBFERRY_PROJECT_ID``,
``JOBFERRY_WORKSPACE``, ``JOBFERRY_AK``, ``JOBFERRY_SK`` (or ``JOBFERRY_AK_FILE``,
``JOBFERRY_SK_FILE``: files holding them), ``JOBFERRY_VERIFY_TLS``, ``JOBFERRY_TIMEOUT``,
``JOBFERRY_WAIT_TIMEOUT``, ``JOBFERRY_REGION``, ``JOBFERRY_UPLOAD``, ``JOBFERRY_OBS_BUCKET``,
``JOBFERRY_OBS_ENDPOINT``, ``JOBFERRY_CA_BUNDLE``. A ``--workspace`` option wins over both.
Unknown keys are refused (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

UPLOAD_MODES = ("jobferry", "obs")
_TEXT_KEYS = (
    "endpoint",
    "project_id",
    "workspace",
    "ak",
    "sk",
    "ak_env",
    "sk_env",
    "ak_file",
    "sk_file",
    "region",
    "upload",
    "ca_bundle",
    "obs_bucket",
    "obs_endpoint",
    "obs_prefix",
    "obs_region",
    "obs_ak",
    "obs_sk",
    "obs_ak_env",
    "obs_sk_env",
)
_ENV_OVERRIDES = {
    "endpoint": "JOBFERRY_ENDPOINT",
    "project_id": "JOBFERRY_PROJECT_ID",
    "workspace": "JOBFERRY_WORKSPACE",
    "ak": "JOBFERRY_AK",
    "sk": "JOBFERRY_SK",
    "region": "JOBFERRY_REGION",
    "upload": "JOBFERRY_UPLOAD",
    "obs_bucket": "JOBFERRY_OBS_BUCKET",
    "obs_endpoint": "JOBFERRY_OBS_ENDPOINT",
    "ca_bundle": "JOBFERRY_CA_BUNDLE",
}

_NUMBER_KEYS = ("verify_tls", "timeout", "wait_timeout")
"""The keys whose value is not a string (a boolean, seconds)."""

CLIENT_VARIABLES = frozenset(
    {*_ENV_OVERRIDES.values(), "JOBFERRY_CONFIG", "JOBFERRY_CONTEXT", "JOBFERRY_PROFILE"}
    | {"JOBFERRY_VERIFY_TLS", "JOBFERRY_TIMEOUT", "JOBFERRY_WAIT_TIMEOUT"}
    | {"JOBFERRY_AK_FILE", "JOBFERRY_SK_FILE"}
)
"""The environment variables the CLI reads as a client (the server's are its settings)."""
SLOW_ANSWER = (
    "try again, or wait longer for each answer: JOBFERRY_TIMEOUT, or timeout in the context "
    "(seconds)."
)
"""What to do when an ordinary call's answer did not come within the context's ``timeout``."""
MAX_TIMEOUT = 86_400.0
"""The longest a call's answer may be waited for (a day)."""


class ConfigError(Exception):
    """The configuration file or the environment does not give a usable context."""


@dataclass(frozen=True)
class ObsTarget:
    """Where ``upload = "obs"`` puts local packages before importing them."""

    bucket: str
    endpoint: str | None
    prefix: str
    region: str | None
    access_key: str | None
    secret_key: str | None


@dataclass(frozen=True)
class Context:
    """One named endpoint with everything needed to call it."""

    name: str
    endpoint: str | None = None
    project_id: str | None = None
    workspace: str | None = None
    ak: str | None = None
    sk: str | None = None
    verify_tls: bool = True
    timeout: float | None = None
    """How long a call's answer is waited for, in seconds (``None``: the client's default)."""
    wait_timeout: float | None = None
    """How long a command follows a task the server runs before it gives up (exit 124), in
    seconds (``None``: to its end, however long)."""
    ca_bundle: str | None = None
    region: str | None = None
    upload: str = "jobferry"
    obs: ObsTarget | None = None
    source: str = "environment"
    """Where the context came from (for messages): the config file path, or ``environment``."""
    endpoint_from_env: bool = False  # JOBFERRY_ENDPOINT gave it (said when it is not reached)
    missing: tuple[str, ...] = field(default=())
    """Fields a remote command needs that neither the file nor the environment gave."""
    notices: tuple[str, ...] = field(default=())
    """Deprecated spellings met while loading (one line each, for standard error)."""

    def with_workspace(self, workspace: str | None) -> Context:
        """The same context with another workspace (``None`` keeps the context's)."""
        return self if workspace is None else replace(self, workspace=workspace)

    def require_remote(self) -> None:
        """Refuse (ConfigError) unless endpoint, project id and credentials are all known."""
        if self.missing:
            raise ConfigError(
                f"Context '{self.name}' ({self.source}) has no {', '.join(self.missing)}; set "
                "them in the config file (jobferry --config FILE, default "
                f"{default_config_path()}) or in JOBFERRY_ENDPOINT, JOBFERRY_PROJECT_ID, "
                "JOBFERRY_AK and JOBFERRY_SK (or JOBFERRY_AK_FILE and JOBFERRY_SK_FILE, files "
                "holding them)."
            )


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$JOBFERRY_CONFIG``, else ``$XDG_CONFIG_HOME/jobferry/config.toml`` (or ~/.config)."""
    env = os.environ if env is None else env
    if env.get("JOBFERRY_CONFIG"):
        return Path(env["JOBFERRY_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "jobferry" / "config.toml"


def _read_file(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(
                f"Config file {path} does not exist; create it (jobferry config init writes a "
                "context into it) or name another with --config or JOBFERRY_CONFIG."
            )
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Config file {path} is not valid TOML: {exc}; fix the file there (jobferry config "
            "show reads it again)."
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"Config file {path} cannot be read: {exc.strerror or exc}; make it readable, or "
            "name another with --config or JOBFERRY_CONFIG."
        ) from exc


def _table(data: dict[str, Any], path: Path, notices: list[str]) -> tuple[str, dict[str, Any]]:
    """The file's table of contexts and its name (``profiles``, the older name, still read)."""
    contexts, profiles = data.get("contexts"), data.get("profiles")
    if contexts is not None and profiles is not None:
        raise ConfigError(
            f"{path} has both [contexts.…] and [profiles.…] tables; rename the [profiles.…] "
            "tables to [contexts.…] (connection profiles are now called contexts)."
        )
    table, found = ("profiles", profiles) if profiles is not None else ("contexts", contexts)
    if profiles is not None:
        notices.append(
            f"notice: {path}: connection profiles are now contexts; rename [profiles.…] to "
            "[contexts.…] and default_profile to default_context."
        )
    if found is None:
        return table, {}
    if not isinstance(found, dict):
        raise ConfigError(
            f"{path}: '{table}' must be a table of [{table}.<name>] tables; fix it in the file, "
            f"one [{table}.<name>] table per context."
        )
    return table, found


def _section(
    data: dict[str, Any], name: str, path: Path, named_by: str, notices: list[str]
) -> dict[str, Any]:
    """The context's table; ``{}`` when absent and nothing named it (``named_by``: ``''``)."""
    table, contexts = _table(data, path, notices)
    section = contexts.get(name)
    if section is None:
        if named_by:
            pick = "set it to one of them" if named_by.startswith("default_") else "pick another"
            known = ", ".join(sorted(contexts)) or "none"
            raise ConfigError(
                f"Context '{name}' ({named_by}) is not in {path} (contexts there: {known}); "
                f"add a [contexts.{name}] table or {pick}."
            )
        return {}
    where = f"{path}: [{table}.{name}]"
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a table; fix it in the file (key = value lines).")
    unknown = sorted(set(section) - set(_TEXT_KEYS) - set(_NUMBER_KEYS))
    if unknown:
        raise ConfigError(
            f"{where} has unknown key(s) {', '.join(unknown)}; known keys are "
            f"{', '.join((*_TEXT_KEYS, *_NUMBER_KEYS))}."
        )
    for key in _TEXT_KEYS:
        if key in section and not isinstance(section[key], str):
            raise ConfigError(f'{where} {key} must be a string; fix it in the file: {key} = "…".')
    if "verify_tls" in section and not isinstance(section["verify_tls"], bool):
        raise ConfigError(f"{where} verify_tls must be true or false; fix it in the file.")
    return section


def _timeout(values: dict[str, Any], env: Mapping[str, str], where: str) -> float | None:
    """The seconds a call's answer is waited for: ``JOBFERRY_TIMEOUT``, else the context's
    ``timeout`` (``None``: neither sets it), a number above 0 and at most a day."""
    given: Any = env.get("JOBFERRY_TIMEOUT") or values.get("timeout")
    if given is None:
        return None
    source = "JOBFERRY_TIMEOUT" if env.get("JOBFERRY_TIMEOUT") else f"{where} timeout"
    try:
        seconds = float(given) if not isinstance(given, bool) else -1.0
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= MAX_TIMEOUT:
        raise ConfigError(
            f"{source}={given!r} is not a number of seconds above 0 and at most "
            f"{MAX_TIMEOUT:.0f} (a day)."
        )
    return seconds


def wait_seconds(given: Any, source: str) -> float | None:
    """How long to follow a task (``JOBFERRY_WAIT_TIMEOUT``, ``wait_timeout``,
    ``--wait-timeout``): seconds from 0 to a day; 0 (or none given) follows it to its end."""
    if given is None or given == "":
        return None
    try:
        seconds = float(given) if not isinstance(given, bool) else -1.0
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= MAX_TIMEOUT:
        raise ConfigError(
            f"{source}={given!r} is not a number of seconds from 0 (no limit) to "
            f"{MAX_TIMEOUT:.0f} (a day)."
        )
    return seconds or None


def _wait_timeout(values: dict[str, Any], env: Mapping[str, str], where: str) -> float | None:
    """``JOBFERRY_WAIT_TIMEOUT``, else the context's ``wait_timeout``."""
    if env.get("JOBFERRY_WAIT_TIMEOUT"):
        return wait_seconds(env["JOBFERRY_WAIT_TIMEOUT"], "JOBFERRY_WAIT_TIMEOUT")
    return wait_seconds(values.get("wait_timeout"), f"{where} wait_timeout")


def _flag(value: str, variable: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{variable}={value!r} is not a boolean; use true or false.")


def _read_secret(path: str, source: str) -> str:
    """A credential kept in a file (a CI system's secret file, a mounted secret): its text
    without the line end, refused (exit 2) naming ``source`` when unreadable or empty."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{source} names {path}, which cannot be read: {exc}; make it readable, or name "
            "the file that holds the key."
        ) from exc
    if not text:
        raise ConfigError(f"{source} names {path}, which is empty; write the key into it.")
    return text


def _credential(values: dict[str, Any], key: str, env: Mapping[str, str], where: str) -> str | None:
    """The context's AK or SK: ``JOBFERRY_AK``/``JOBFERRY_SK``, else the file ``JOBFERRY_AK_FILE``
    /``JOBFERRY_SK_FILE`` names, else the context's (inline, ``…_env``, ``…_file``)."""
    variable = f"JOBFERRY_{key.upper()}"
    if env.get(variable):
        return env[variable]
    if env.get(f"{variable}_FILE"):
        return _read_secret(env[f"{variable}_FILE"], f"{variable}_FILE")
    return _secret(values, key, env, where)


def _secret(values: dict[str, Any], key: str, env: Mapping[str, str], where: str) -> str | None:
    """A credential: inline (``key``), from the variable ``key_env`` or the file ``key_file``."""
    if values.get(f"{key}_file"):
        return _read_secret(values[f"{key}_file"], f"{where} {key}_file")
    variable = values.get(f"{key}_env")
    if variable:
        found = env.get(variable)
        if not found:
            also = (
                f" (or JOBFERRY_{key.upper()}, over the context's)" if key in ("ak", "sk") else ""
            )
            raise ConfigError(
                f"{where} reads {key} from ${variable}, which is not set; set it{also}."
            )
        return found
    inline = values.get(key)
    return str(inline) if inline else None


def _obs_target(
    values: dict[str, Any], env: Mapping[str, str], where: str, keys: tuple[str | None, ...]
) -> ObsTarget | None:
    """Where ``upload = 'obs'`` puts packages (None without an obs_bucket); the OBS keys
    default to the context's AK/SK."""
    if not values.get("obs_bucket"):
        return None
    ak, sk = keys
    return ObsTarget(
        bucket=values["obs_bucket"],
        endpoint=values.get("obs_endpoint"),
        prefix=values.get("obs_prefix", "jobferry/uploads/"),
        region=values.get("obs_region") or values.get("region"),
        access_key=_secret(values, "obs_ak", env, where) or ak,
        secret_key=_secret(values, "obs_sk", env, where) or sk,
    )


def _chosen(
    context: str | None,
    env: Mapping[str, str],
    data: dict[str, Any],
    path: Path,
    notices: list[str],
) -> tuple[str, str]:
    """The context's name (option, environment, file default, 'default') and what named it."""
    named = context or env.get("JOBFERRY_CONTEXT")
    if not named and env.get("JOBFERRY_PROFILE"):
        notices.append(
            "notice: JOBFERRY_PROFILE is deprecated (connection profiles are now contexts); "
            "set JOBFERRY_CONTEXT instead."
        )
        named = env["JOBFERRY_PROFILE"]
    key = "default_profile" if "default_profile" in data else "default_context"
    chosen = named or data.get(key) or "default"
    if not isinstance(chosen, str):
        raise ConfigError(f'{path}: {key} must be a context name; fix it: {key} = "NAME".')
    if not named:
        return chosen, key if data.get(key) else ""
    variable = "JOBFERRY_CONTEXT" if env.get("JOBFERRY_CONTEXT") else "JOBFERRY_PROFILE"
    return chosen, "--context" if context else variable


def _transport(values: dict[str, Any], env: Mapping[str, str], where: str) -> tuple[bool, str]:
    """Whether TLS certificates are verified, and where packages are uploaded."""
    verify = values.get("verify_tls", True)
    if env.get("JOBFERRY_VERIFY_TLS"):
        verify = _flag(env["JOBFERRY_VERIFY_TLS"], "JOBFERRY_VERIFY_TLS")
    upload = values.get("upload", "jobferry")
    if upload not in UPLOAD_MODES:
        raise ConfigError(f"{where}: upload must be 'jobferry' or 'obs', not {upload!r}.")
    return bool(verify), str(upload)


def load_context(
    config: Path | None = None,
    context: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Context:
    """The context to use: file section, then ``JOBFERRY_*`` overrides (see the module doc)."""
    env = os.environ if env is None else env
    path = config.expanduser() if config is not None else default_config_path(env)
    data = _read_file(path, explicit=config is not None)
    notices: list[str] = []
    chosen, named_by = _chosen(context, env, data, path, notices)
    values = dict(_section(data, chosen, path, named_by, notices))
    source = str(path) if values else "environment"
    where = f"Context '{chosen}' ({source})"
    ak, sk = _credential(values, "ak", env, where), _credential(values, "sk", env, where)
    values.update({key: env[var] for key, var in _ENV_OVERRIDES.items() if env.get(var)})
    verify, upload = _transport(values, env, where)
    obs = _obs_target(values, env, where, (ak, sk))
    if obs is None and upload == "obs":
        raise ConfigError(f"{where}: upload = 'obs' needs obs_bucket (and usually obs_endpoint).")
    endpoint = values.get("endpoint")
    required = (
        ("endpoint", endpoint),
        ("project_id", values.get("project_id")),
        ("access key (ak)", ak),
        ("secret key (sk)", sk),
    )
    missing = tuple(label for label, value in required if not value)
    return Context(
        name=chosen,
        endpoint=endpoint.rstrip("/") if endpoint else None,
        project_id=values.get("project_id"),
        workspace=values.get("workspace"),
        ak=ak,
        sk=sk,
        verify_tls=verify,
        timeout=_timeout(values, env, where),
        wait_timeout=_wait_timeout(values, env, where),
        ca_bundle=values.get("ca_bundle"),
        region=values.get("region"),
        upload=upload,
        obs=obs,
        source=source,
        endpoint_from_env=bool(env.get("JOBFERRY_ENDPOINT")),
        missing=missing,
        notices=tuple(notices),
    )
