"""Program versions stored as what changed (issue 11 §2: 26 KB per full program, 50 versions in 90
days). Version 1 of a person keeps the whole program, compressed ({"$zlib": base64 of zlib of its
JSON}); each later row keeps only the differences from the version before it, as JSON:

    {"$delta": 1, "set": {key: value, ...}, "drop": [key, ...]}     ("drop" only when keys went away)

where a value is either the new value, {"$delta": {"set": ..., "drop": ...}} (a dict that changed),
or {"$list": [...]} for a list whose elements are {"$at": i} (element i of the previous list,
unchanged), {"$at": i, "$delta": {"set": ...}} (element i changed) or a new element as it is. List elements that name an
`exercise_id` are matched by it, others by position. A row without "$delta" is a whole program (the
first version, rows imported from an export, rows written before this format): both read the same.
The format is frozen: migration 0008 writes it, so a change needs a new marker value.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable
from typing import Any

DELTA = "$delta"
ZLIB = "$zlib"
LIST = "$list"
AT = "$at"


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _match(prev: list[Any], value: Any, i: int) -> int | None:
    """The index of the previous element `value` continues: same exercise id, else same place."""
    if isinstance(value, dict) and "exercise_id" in value:
        for j, p in enumerate(prev):
            if isinstance(p, dict) and p.get("exercise_id") == value["exercise_id"]:
                return j
        return None
    return i if i < len(prev) else None


def _encode_list(prev: list[Any], cur: list[Any]) -> dict[str, Any]:
    same = {_key(p): j for j, p in enumerate(prev)}
    out: list[Any] = []
    for i, value in enumerate(cur):
        found = same.get(_key(value))
        if found is not None:
            out.append({AT: found})
            continue
        j = _match(prev, value, i)
        if j is not None and isinstance(value, dict) and isinstance(prev[j], dict):
            out.append({AT: j, DELTA: _diff(prev[j], value)})
        else:
            out.append(value)
    return {LIST: out}


def _diff(prev: dict[str, Any], cur: dict[str, Any]) -> dict[str, Any]:
    """{"set": {...}} (and "drop": [...] when keys went away) turning `prev` into `cur`."""
    changed: dict[str, Any] = {}
    for key, value in cur.items():
        before = prev.get(key, _MISSING)
        if before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict):
            changed[key] = {DELTA: _diff(before, value)}
        elif isinstance(value, list) and isinstance(before, list):
            changed[key] = _encode_list(before, value)
        else:
            changed[key] = value
    dropped = [k for k in prev if k not in cur]
    return {"set": changed, "drop": dropped} if dropped else {"set": changed}


def packed(whole: dict[str, Any]) -> dict[str, Any]:
    """A whole program, compressed: {"$zlib": base64 of its JSON} (26 KB → about 9 KB)."""
    text = json.dumps(whole, separators=(",", ":"), sort_keys=True).encode()
    return {ZLIB: base64.b64encode(zlib.compress(text, 9)).decode("ascii")}


def encode(prev: dict[str, Any] | None, cur: dict[str, Any]) -> dict[str, Any]:
    """`cur` as the changes from `prev` (the whole of `cur`, compressed, when there is no `prev`)."""
    if prev is None:
        return packed(cur)
    return {DELTA: 1, **_diff(prev, cur)}


_MISSING = object()


def _apply(prev: dict[str, Any], diff: dict[str, Any]) -> dict[str, Any]:
    dropped = set(diff.get("drop") or ())
    out = {k: v for k, v in prev.items() if k not in dropped}
    for key, value in diff["set"].items():
        out[key] = _decode_value(prev.get(key), value)
    return out


def _decode_value(before: Any, value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {DELTA} and isinstance(before, dict):
        return _apply(before, value[DELTA])
    if isinstance(value, dict) and set(value) == {LIST} and isinstance(before, list):
        out = []
        for element in value[LIST]:
            if isinstance(element, dict) and AT in element:
                base = before[element[AT]]
                out.append(_apply(base, element[DELTA]) if DELTA in element else base)
            else:
                out.append(element)
        return out
    return value


def decode(prev: dict[str, Any] | None, stored: Any) -> Any:
    """The whole value a stored row stands for, given the whole value of the row before it."""
    if isinstance(stored, dict) and set(stored) == {ZLIB} and isinstance(stored[ZLIB], str):
        return json.loads(zlib.decompress(base64.b64decode(stored[ZLIB])))
    if not isinstance(stored, dict) or stored.get(DELTA) != 1 or "set" not in stored:
        return stored  # a whole program (or not a delta at all: the models will say what is wrong)
    if prev is None:
        raise ValueError("a program change stored without the version before it")
    return _apply(prev, stored)


def decode_all(stored: Iterable[Any]) -> list[Any]:
    """Each row's whole program, in version order; a row that cannot be read is None (and so are
    the rows that build on it)."""
    out: list[Any] = []
    prev: Any = None
    for value in stored:
        try:
            whole = decode(prev if isinstance(prev, dict) else None, value)
        except (ValueError, KeyError, IndexError, TypeError, zlib.error, binascii.Error):
            whole = None
        out.append(whole)
        prev = whole
    return out


def encode_all(programs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Whole programs, in version order, as stored rows (the first whole, then the changes)."""
    out: list[dict[str, Any]] = []
    prev: dict[str, Any] | None = None
    for program in programs:
        out.append(encode(prev, program))
        prev = program
    return out
