"""Import options: what an organiser asks of an import, carried as S3 user metadata.

Pure (no storage, no settings), so the command line, the API and the import function
share one encoding.
"""

from __future__ import annotations

import json
from email.header import Header, decode_header, make_header

import msgspec

from .codes import Code
from .errors import InvalidRequest

MODES = ("upsert", "create", "update")
OPTION_NAMES = ("mode", "group", "permission-group", "delete-missing", "mapping", "dry-run")
_ALIASES = {"permission_group": "permission-group", "delete_missing": "delete-missing", "dry_run": "dry-run"}
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _meta_text(value: str) -> str:
    """S3 returns non-ASCII metadata RFC 2047-encoded (=?UTF-8?B?...?=): decode it."""
    if value and "=?" in value:
        try:
            return str(make_header(decode_header(value)))
        except Exception:
            return value
    return value


def metadata_value(text: str) -> str:
    """The S3 user-metadata form of an option value: ASCII as is, anything else RFC 2047."""
    return text if text.isascii() else Header(text, "utf-8").encode()


class ImportOptions(msgspec.Struct, frozen=True):
    mode: str = "upsert"
    group: str | None = None
    permission_group: str | None = None
    delete_missing: bool = False
    mapping: dict | None = None
    dry_run: bool = False  # validate and count against the event's contacts, write nothing (job ends `checked`)

    @classmethod
    def from_metadata(cls, metadata: dict) -> ImportOptions:
        """S3 user metadata (names lower-cased by S3) to options; a bad or unknown option fails the import."""
        meta = {}
        for name, value in (metadata or {}).items():
            name = _ALIASES.get(name.lower(), name.lower())
            if name not in OPTION_NAMES:
                raise InvalidRequest(Code.UNKNOWN_OPTION, f"unknown import option {name!r}; the options are {', '.join(OPTION_NAMES)}",
                                     {"field": name})
            meta[name] = _meta_text(str(value))
        mode = (meta.get("mode") or "upsert").strip().lower()
        if mode not in MODES:
            raise InvalidRequest(Code.INVALID_OPTION, f"option 'mode' must be one of {', '.join(MODES)}, not {mode!r}", {"field": "mode"})
        delete_missing, dry_run = (_flag(meta, name) for name in ("delete-missing", "dry-run"))
        mapping = None
        if meta.get("mapping"):
            try:
                mapping = json.loads(meta["mapping"])
            except ValueError:
                raise InvalidRequest(Code.INVALID_OPTION, "option 'mapping' is not valid JSON", {"field": "mapping"}) from None
            if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
                raise InvalidRequest(Code.INVALID_OPTION, 'option \'mapping\' must be {"Header": "field"}', {"field": "mapping"})
        return cls(mode=mode, group=(meta.get("group") or "").strip() or None,
                   permission_group=(meta.get("permission-group") or "").strip() or None,
                   delete_missing=delete_missing, mapping=mapping, dry_run=dry_run)

    def to_metadata(self) -> dict:
        """The S3 user metadata that gives these options back (what the API and the CLI upload with)."""
        meta = {}
        if self.mode != "upsert":
            meta["mode"] = self.mode
        if self.group:
            meta["group"] = metadata_value(self.group)
        if self.permission_group:
            meta["permission-group"] = metadata_value(self.permission_group)
        if self.delete_missing:
            meta["delete-missing"] = "true"
        if self.mapping is not None:
            meta["mapping"] = json.dumps(self.mapping, ensure_ascii=True, separators=(",", ":"))
        if self.dry_run:
            meta["dry-run"] = "true"
        return meta

    def to_dict(self) -> dict:
        return {"mode": self.mode, "group": self.group, "permission_group": self.permission_group,
                "delete_missing": self.delete_missing, "mapping": self.mapping, "dry_run": self.dry_run}


def _flag(meta: dict, name: str) -> bool:
    value = (meta.get(name) or "false").strip().lower()
    if value not in _TRUE + _FALSE:
        raise InvalidRequest(Code.INVALID_OPTION, f"option '{name}' must be true or false", {"field": name})
    return value in _TRUE
