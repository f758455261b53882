"""Where the server reads a package a command names: its own paths as given, local files
uploaded first (to the server, or to OBS when the context says ``upload = "obs"``)."""

from __future__ import annotations

from pathlib import Path

from jobferry.cli import obs
from jobferry.cli.exits import CliUsageError
from jobferry.cli.session import Session

REMOTE_SCHEMES = ("obs://", "s3://", "upload://", "download://")
"""Paths the server reads itself (object storage, an upload, a package of a download center:
``download://<workspace id>/<package id>``), sent as given."""


def package_path(s: Session, source: str) -> str:
    """The path the import call names: remote as given, local files uploaded first."""
    if source.startswith(REMOTE_SCHEMES):
        return source
    file = Path(source).expanduser()
    if not file.is_file():
        folder = (
            f" A folder of definitions is imported with jobferry apply -f {source} (--dry-run "
            "plans it without importing)."
            if file.is_dir()
            else ""
        )
        raise CliUsageError(
            f"{source} {'is not a file' if file.exists() else 'does not exist'}; give a local "
            "package, an obs://bucket/key path or a package of a download center "
            f"(download://WORKSPACE_ID/ID: jobferry downloads list names them).{folder}"
        )
    context = s.context()
    if context.upload == "obs":
        assert context.obs is not None
        with s.output.progress(f"Uploading to OBS {context.obs.bucket}", transfer=True) as bar:
            return obs.upload_package(context.obs, file, bar.bytes)
    with s.output.progress("Uploading", transfer=True) as bar:
        answer = s.client().upload(file, bar.bytes)
    return str(answer["path"])
