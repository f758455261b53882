"""Putting a local package into OBS (S3 API) so a cloud endpoint can import ``obs://…``.

The real DataArts import reads packages from OBS only, so with ``upload = "obs"`` in the
profile the CLI first uploads the file there with boto3 (OBS speaks the S3 API), then imports
``obs://bucket/key``. The key is ``<obs_prefix><name>-<first 16 hex of sha256>.zip``, the name
being the file's without its ``.zip`` and with every run of white space a ``-`` (``apply -f``
names its package ``folder examples``): the same package always lands on the same key, another
package never overwrites it, and the key needs no quoting in a path or a console.
``upload_file`` is used rather than a bare ``put_object``: it sends small packages as one
``PUT`` and large ones in parts (OBS supports both), and reports progress as it goes.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from jobferry.cli.config import ObsTarget
from jobferry.cli.exits import CommandError
from jobferry.cli.multipart import Progress
from jobferry.extras import S3, needs_extra


def object_key(target: ObsTarget, path: Path) -> str:
    """The key a package goes to (stable for the same bytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    name = re.sub(r"\s+", "-", path.name.removesuffix(".zip"))
    return f"{target.prefix}{name}-{digest.hexdigest()[:16]}.zip"


def _client(target: ObsTarget) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise CommandError(
            needs_extra("Uploading packages to OBS (upload = 'obs' in the context)", S3)
        ) from exc
    return boto3.client(
        "s3",
        endpoint_url=target.endpoint,
        region_name=target.region or "us-east-1",
        aws_access_key_id=target.access_key,
        aws_secret_access_key=target.secret_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )


def upload_package(target: ObsTarget, path: Path, progress: Progress | None = None) -> str:
    """Upload ``path`` to the context's bucket; returns the ``obs://bucket/key`` to import."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    key = object_key(target, path)
    client = _client(target)
    size = path.stat().st_size
    sent = 0

    def moved(amount: int) -> None:
        nonlocal sent
        sent += amount
        if progress is not None:
            progress(sent, size)

    try:
        client.upload_file(str(path), target.bucket, key, Callback=moved)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CommandError(
            f"OBS refused the upload to obs://{target.bucket}/{key}: {error.get('Code')} "
            f"{error.get('Message', '')}; check obs_bucket, obs_endpoint and the OBS "
            "credentials of the context.",
            code=str(error.get("Code") or "OBS"),
        ) from exc
    except S3UploadFailedError as exc:
        raise CommandError(
            f"OBS refused the upload to obs://{target.bucket}/{key}: {exc}; check obs_bucket, "
            "obs_endpoint and the OBS credentials of the context.",
            code="OBS",
        ) from exc
    except BotoCoreError as exc:
        raise CommandError(
            f"Cannot upload to OBS at {target.endpoint or 'the default endpoint'}: {exc}; "
            "check obs_endpoint of the context."
        ) from exc
    return f"obs://{target.bucket}/{key}"
