"""Reads data directories written by earlier versions (a snapshot saved on clean stop); durable.py writes them now."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .provision import client
from .template import Topology

log = logging.getLogger("guestlist_local")



def _bytes_hook(obj: dict[str, Any]) -> Any:
    if set(obj) == {"__b64__"}:
        import base64

        return base64.b64decode(obj["__b64__"])
    return obj


def secret_values(data_dir: Path | None) -> dict[str, str]:
    if data_dir is None or not (Path(data_dir) / "secrets.json").is_file():
        return {}
    return json.loads((Path(data_dir) / "secrets.json").read_text())


def restore(topology: Topology, endpoint_url: str, data_dir: Path) -> bool:
    """True if there was a snapshot. Resources the template no longer has are reported and left out."""
    data_dir = Path(data_dir)
    if not (data_dir / "snapshot.json").is_file():
        return False
    ddb = client("dynamodb", endpoint_url)
    for path in sorted((data_dir / "tables").glob("*.json")):
        table = topology.tables.get(path.stem)
        if table is None:
            log.warning("snapshot has table %s, which the template no longer declares: not restored", path.stem)
            continue
        items = json.loads(path.read_text(), object_hook=_bytes_hook)
        for start in range(0, len(items), 25):
            requests = {table.name: [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]}
            while requests:
                requests = ddb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
    s3 = client("s3", endpoint_url)
    for folder in sorted(p for p in (data_dir / "buckets").iterdir() if p.is_dir()):
        bucket = topology.buckets.get(folder.name)
        if bucket is None:
            log.warning("snapshot has bucket %s, which the template no longer declares: not restored", folder.name)
            continue
        for entry in json.loads((folder / "manifest.json").read_text()):
            args: dict[str, Any] = {"Bucket": bucket.name, "Key": entry["key"], "Body": (folder / entry["blob"]).read_bytes(),
                                    "Metadata": entry.get("metadata") or {}}
            if entry.get("content_type"):
                args["ContentType"] = entry["content_type"]
            s3.put_object(**args)
    return True
