"""Where the portal keeps its files: one interface, two backends (issue 24.7).

The files (all hold personal data, none is ever served without the portal's checks):

- ``EVIDENCE``: evidence files (证明材料), paper-declaration scans and training plans'
  programmes, under generated names (``<uuid4 hex>.pdf``);
- ``JOBS``: what the background jobs take and give: uploaded workbooks waiting for their job,
  exports for the province, bulk certificate PDFs, import outcomes (``<job id>-<hex>.xlsx``).

Backends:

- ``LocalStore`` (the default, nothing to configure): folders on this machine, UPLOAD_FOLDER
  (instance/evidence) and JOBS_RESULT_FOLDER (instance/jobs); each file written to a temporary
  name, synced and renamed (atomic), mode 600, as before.
- ``S3Store`` when S3_BUCKET is set: an S3-compatible object store through boto3 (MinIO, Ceph
  RGW, SeaweedFS, a cloud's), for several app servers and job workers on several machines.
  Settings (config or PORTAL_<name> in the environment): S3_BUCKET, S3_ENDPOINT_URL (empty: the
  AWS endpoint), S3_REGION, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (empty: boto3's own chain,
  AWS_ACCESS_KEY_ID / an instance role), S3_PREFIX (keys are ``<prefix><area>/<name>``, so
  several instances may share a bucket). The bucket must exist and must not be public: only the
  portal's key reads it.

Downloads are streamed through the portal (`send`), never handed out as S3 URLs, presigned or
public: the view has just checked who may see the file, and that check must hold for every byte
and every second. A presigned URL is a bearer token valid until it expires — forwarded, kept in
the browser's history, a proxy's log or a Referer, it opens the file to whoever holds it, after a
logout, after the person lost the right; it also points the browser at the store's host (which
then must be reachable by every user, under the portal's domain for the CSP) and loses the
portal's own headers (attachment names, nosniff, sandbox CSP, no-store). The files are small
(evidence at most EVIDENCE_MAX_FILE_BYTES, a unit's bulk PDF some megabytes): streaming costs
one app worker for the transfer time, which the portal can afford.

A store that cannot be reached or refuses a write raises `StoreUnavailable` (an OSError): the
request is answered like a full disk (portal.storage.service: 503 with the storage message, its
changes rolled back).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import uuid
from abc import ABC, abstractmethod
from typing import IO

from flask import Flask, current_app, send_file

EVIDENCE = "evidence"
JOBS = "jobs"
AREAS = (EVIDENCE, JOBS)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_KEY = "file_store"


class StoreUnavailable(OSError):
    """The object store could not be reached or refused the request."""

    def __init__(self, detail: str):
        super().__init__(errno.EIO, f"object store: {detail}")


def check_name(area: str, name: str) -> None:
    """Only the portal's generated names: no folder, no way out of the area."""
    if area not in AREAS or not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"bad stored file name {area}/{name!r}")


class FileStore(ABC):
    """The interface. Names are the portal's own (check_name); a missing file raises
    FileNotFoundError from get() and send(); delete() of a missing file does nothing."""

    kind = ""

    @abstractmethod
    def put(self, area: str, name: str, data: bytes) -> None:
        """Keep `data` under the name (replacing a file of that name)."""

    @abstractmethod
    def get(self, area: str, name: str) -> bytes:
        """The file's bytes."""

    @abstractmethod
    def exists(self, area: str, name: str) -> bool:
        """Is there such a file?"""

    @abstractmethod
    def delete(self, area: str, name: str) -> None:
        """Remove the file (nothing when there is none)."""

    @abstractmethod
    def names(self, area: str, prefix: str = "") -> list[str]:
        """The names in `area` starting with `prefix`, sorted."""

    @abstractmethod
    def send(self, area: str, name: str, **options):
        """A Flask response streaming the file (options as for flask.send_file)."""


class LocalStore(FileStore):
    kind = "local"

    def __init__(self, app: Flask):
        self.app = app

    def folder(self, area: str) -> str:
        """The area's folder, read from the settings each time (the tests move them)."""
        config = self.app.config
        if area == EVIDENCE:
            return config["UPLOAD_FOLDER"]
        return config.get("JOBS_RESULT_FOLDER") or os.path.join(self.app.instance_path, "jobs")

    def path(self, area: str, name: str) -> str:
        check_name(area, name)
        return os.path.join(self.folder(area), name)

    def put(self, area: str, name: str, data: bytes) -> None:
        """Atomically: a temporary file (mode 600), synced, renamed over the name."""
        from portal.config import private_dir

        final = self.path(area, name)
        folder = private_dir(self.folder(area))
        temporary = os.path.join(folder, f".tmp-{uuid.uuid4().hex}")
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, final)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def get(self, area: str, name: str) -> bytes:
        with open(self.path(area, name), "rb") as handle:
            return handle.read()

    def exists(self, area: str, name: str) -> bool:
        return os.path.isfile(self.path(area, name))

    def delete(self, area: str, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path(area, name))

    def names(self, area: str, prefix: str = "") -> list[str]:
        try:
            listed = os.listdir(self.folder(area))
        except FileNotFoundError:
            return []
        return sorted(
            n
            for n in listed
            if n.startswith(prefix) and not n.startswith(".") and _NAME.fullmatch(n)
        )

    def send(self, area: str, name: str, **options):
        return send_file(self.path(area, name), **options)


class S3Store(FileStore):
    kind = "s3"

    def __init__(self, client, bucket: str, prefix: str = ""):
        from botocore.exceptions import BotoCoreError, ClientError

        self.client, self.bucket, self.prefix = client, bucket, prefix
        self._errors = (BotoCoreError, ClientError)
        self._client_error = ClientError

    @classmethod
    def from_config(cls, config) -> S3Store:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as error:  # pragma: no cover - the s3 extra is missing
            raise RuntimeError(
                "已设置 S3_BUCKET，但未安装 boto3：请安装 pip install 'portal[s3]'。"
            ) from error
        client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=Config(
                connect_timeout=5, read_timeout=30, retries={"max_attempts": 3},
                s3={"addressing_style": config.get("S3_ADDRESSING_STYLE") or "path"},
            ),
        )  # fmt: skip
        return cls(client, config["S3_BUCKET"], config.get("S3_PREFIX") or "")

    def key(self, area: str, name: str) -> str:
        check_name(area, name)
        return f"{self.prefix}{area}/{name}"

    def _missing(self, error) -> bool:
        if not isinstance(error, self._client_error):
            return False
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in ("NoSuchKey", "404", "NotFound")

    def _call(self, operation: str, area: str, name: str, **params):
        key = self.key(area, name)
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, Key=key, **params)
        except self._errors as error:
            if self._missing(error):
                raise FileNotFoundError(errno.ENOENT, "no such stored file", key) from error
            raise StoreUnavailable(f"{operation} {key}: {error}") from error

    def put(self, area: str, name: str, data: bytes) -> None:
        self._call("put_object", area, name, Body=data)

    def get(self, area: str, name: str) -> bytes:
        body = self._call("get_object", area, name)["Body"]
        try:
            return body.read()
        except self._errors as error:
            raise StoreUnavailable(f"read {area}/{name}: {error}") from error
        finally:
            body.close()

    def exists(self, area: str, name: str) -> bool:
        try:
            self._call("head_object", area, name)
        except FileNotFoundError:
            return False
        return True

    def delete(self, area: str, name: str) -> None:
        self._call("delete_object", area, name)  # S3: deleting a missing key succeeds

    def names(self, area: str, prefix: str = "") -> list[str]:
        check_name(area, prefix or "x")
        folder = f"{self.prefix}{area}/"
        found = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=folder + prefix
            )
            for page in pages:
                found.extend(item["Key"].removeprefix(folder) for item in page.get("Contents", []))
        except self._errors as error:
            raise StoreUnavailable(f"list {folder}{prefix}: {error}") from error
        return sorted(n for n in found if _NAME.fullmatch(n))

    def send(self, area: str, name: str, **options):
        answer = self._call("get_object", area, name)
        body: IO[bytes] = answer["Body"]
        # streamed in blocks, the body closed at the end; no ranges over a stream
        response = send_file(body, **{**options, "conditional": False})
        response.content_length = answer.get("ContentLength")
        return response


def store(app: Flask | None = None) -> FileStore:
    """This app's store (made on first use: a boto3 client is made after a server forks)."""
    app = app or current_app._get_current_object()
    made = app.extensions.get(_KEY)
    if made is None:
        made = app.extensions[_KEY] = _make(app)
    return made


def _make(app: Flask) -> FileStore:
    if app.config.get("S3_BUCKET"):
        return S3Store.from_config(app.config)
    return LocalStore(app)
