"""The DataArts connection bundle: ``DLF_All_DataConnections.zip`` with ``connections/{name}.conn``.

``POST /v1/{project_id}/connections/export`` answers it and ``POST …/connections/import`` reads
it. Each entry is one JSON object, the create-connection body ``{name, type, config,
description}``; secrets are never written (the target supplies them with the import's
``params``). The writer is deterministic (sorted entries, fixed timestamps, canonical JSON);
the reader applies the package reader's caps and entry-name rules, and every refusal names the
entry and the rule.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from jobferry.package.documents import parse_json
from jobferry.package.paths import checked_files
from jobferry.package.reader import ReadLimits
from jobferry.package.refusals import refuse, size_text
from jobferry.package.writer import COMPRESS_LEVEL, FIXED_DATE_TIME

BUNDLE_NAME = "DLF_All_DataConnections.zip"
FOLDER = "connections/"
SUFFIX = ".conn"


@dataclass(frozen=True)
class BundledConnection:
    """One connection of a bundle: the entry it came from and its create-connection body."""

    entry: str
    name: str
    type: str
    config: dict[str, Any]
    description: str


def write_bundle(connections: Iterable[dict[str, Any]]) -> bytes:
    """The zip of ``{name, type, config, description}`` bodies (no secrets: the caller's job)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for body in sorted(connections, key=lambda b: str(b["name"])):
            info = zipfile.ZipInfo(f"{FOLDER}{body['name']}{SUFFIX}", date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            data = orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
            bundle.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def read_bundle(path: Path, limits: ReadLimits) -> list[BundledConnection]:
    """Every connection of a bundle, safely: caps, entry names, one JSON object per entry."""
    size = path.stat().st_size
    if size > limits.max_package_bytes:
        raise refuse(
            "package.size",
            f"it is {size_text(size)}, over the {size_text(limits.max_package_bytes)} limit",
            "export fewer connections or raise JOBFERRY_IMPORT_MAX_PACKAGE_BYTES",
        )
    try:
        with zipfile.ZipFile(path) as bundle:
            infos = bundle.infolist()
            if len(infos) > limits.max_entries:
                raise refuse(
                    "zip.entries",
                    f"it has {len(infos)} entries, over the limit of {limits.max_entries}",
                    "export fewer connections",
                )
            files = checked_files(infos, limits.max_name_length)
            return [_connection(bundle, info, limits) for info in _entries(files)]
    except zipfile.BadZipFile as exc:
        raise refuse(
            "zip.invalid",
            f"it is not a zip file ({exc})",
            f"import the {BUNDLE_NAME} that a connection export answered",
        ) from exc


def _entries(files: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    chosen = [i for i in files if i.filename.endswith(SUFFIX)]
    if not chosen:
        raise refuse(
            "bundle.empty",
            f"it holds no {FOLDER}{{name}}{SUFFIX} entry",
            f"import the {BUNDLE_NAME} that a connection export answered",
        )
    return chosen


def _connection(
    bundle: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits
) -> BundledConnection:
    entry = info.filename
    if info.file_size > limits.max_entry_bytes:
        raise refuse(
            "entry.size",
            f"it is {size_text(info.file_size)} uncompressed, over the "
            f"{size_text(limits.max_entry_bytes)} limit",
            "a connection definition is a small JSON object",
            entry=entry,
        )
    with bundle.open(info) as stream:
        body = parse_json(stream.read(limits.max_entry_bytes + 1), entry)
    name, type_ = body.get("name"), body.get("type")
    config, description = body.get("config", {}), body.get("description", "")
    stem = entry.rsplit("/", 1)[-1][: -len(SUFFIX)]
    if not isinstance(name, str) or not name or not isinstance(type_, str) or not type_:
        raise refuse(
            "connection.fields",
            "it has no text name and type",
            'each .conn file holds {"name", "type", "config", "description"}',
            entry=entry,
        )
    if name != stem:
        raise refuse(
            "connection.name",
            f"it defines connection '{name}' but the file is named for '{stem}'",
            f"name the file {FOLDER}{name}{SUFFIX}",
            entry=entry,
        )
    if not isinstance(config, dict) or not isinstance(description, str):
        raise refuse(
            "connection.fields",
            "config is not an object or description is not text",
            "fix the file or export the connection again",
            entry=entry,
        )
    return BundledConnection(entry, name, type_, config, description)
