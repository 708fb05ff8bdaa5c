"""Decode test for the two generated Python clients.

Usage: decode_test.py openapi-generator|openapi-python-client FIELDS_JSON CORPUS_ROOT...

For each corpus file (CORPUS_ROOT/<kind>/*.json, kinds as in fields.json): decode it into the generated model with the client's own
deserializer, then compare every path listed in fields.json (a) read through the model's
attributes and (b) in the model re-encoded by the client's own to_dict(), with the value
in the corpus file. Absent and null count as the same. Prints PASS/FAIL per file and
a closing 'N passed, N failed' line; exits 1 on any failure.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List

MISSING = "<missing>"
Getter = Callable[[Any, str], Any]


def is_missing(value: Any) -> bool:
    return value is None or type(value).__name__ == "Unset"


def canon(value: Any) -> str:
    """The value as text that keeps its JSON type: strings quoted, integers bare."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"<{type(value).__name__}: {value!r}>"


def collect(node: Any, segments: List[str], path: str, get: Getter, out: Dict[str, str]) -> None:
    segment, rest = segments[0], segments[1:]
    is_list = segment.endswith("[]")
    key = segment[:-2] if is_list else segment
    here = f"{path}.{key}" if path else key
    value = get(node, key)
    if is_missing(value):
        if not rest:
            out[here] = MISSING
        return
    if not is_list:
        if rest:
            collect(value, rest, here, get, out)
        else:
            out[here] = canon(value)
        return
    if not isinstance(value, list):
        out[here] = f"<not a list: {type(value).__name__}>"
        return
    for i, element in enumerate(value):
        at = f"{here}[{i}]"
        if not rest:
            out[at] = canon(element)
        elif not is_missing(element):
            collect(element, rest, at, get, out)


def values(root: Any, paths: List[str], get: Getter) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for p in paths:
        collect(root, p.split("."), "", get, out)
    return out


def differences(expected: Dict[str, str], actual: Dict[str, str]) -> List[str]:
    return [
        f"{k}: corpus {expected.get(k, MISSING)}, got {actual.get(k, MISSING)}"
        for k in sorted(set(expected) | set(actual))
        if expected.get(k, MISSING) != actual.get(k, MISSING)
    ]


def get_json(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, dict) else None


def camel(snake: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


# --- openapi-generator `python` (pydantic models, ApiClient.deserialize) -------------


def pydantic_client() -> tuple[Callable[[str, str], Any], Getter, Callable[[Any], Any]]:
    import openapi_client

    api_client = openapi_client.ApiClient()

    def decode(text: str, model: str) -> Any:
        # The same call the generated SessionsApi and OrdersApi make on a 200 answer.
        return api_client.deserialize(text, camel(model), "application/json")

    def get(node: Any, key: str) -> Any:
        for name, field in type(node).model_fields.items():
            if (field.alias or name) == key:
                return getattr(node, name)
        raise KeyError(f"{type(node).__name__} has no field {key!r}")

    return decode, get, lambda model: model.to_dict()


# --- openapi-python-client (attrs models, Model.from_dict) ---------------------------


def attrs_client() -> tuple[Callable[[str, str], Any], Getter, Callable[[Any], Any]]:
    import attrs
    from klarna_payments_api_client import models

    def decode(text: str, model: str) -> Any:
        # The same call the generated operation modules make on a 200 answer.
        return getattr(models, camel(model)).from_dict(json.loads(text))

    def get(node: Any, key: str) -> Any:
        if not attrs.has(type(node)):
            # The generated list parsers fall back to the raw JSON when an element fails.
            raise TypeError(f"got a {type(node).__name__} where a model was expected, looking up {key!r}")
        names = {f.name for f in attrs.fields(type(node))}
        for name in (key, key + "_"):  # `type` becomes `type_`
            if name in names:
                return getattr(node, name)
        raise KeyError(f"{type(node).__name__} has no field {key!r}")

    return decode, get, lambda model: model.to_dict()


def corpus_files(fields: Dict[str, Any], roots: List[str]) -> List[tuple[Path, Dict[str, Any]]]:
    kinds = {name: kind for name, kind in fields.items() if isinstance(kind, dict)}
    return [(file, kind) for root in roots for name, kind in sorted(kinds.items())
            for file in sorted(Path(root, name).glob("*.json"))]


def main() -> int:
    client, fields_file, roots = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    fields = json.loads(fields_file.read_text())
    decode, get, encode = pydantic_client() if client == "openapi-generator" else attrs_client()
    passed = failed = 0
    for file, kind in corpus_files(fields, roots):
        paths = kind["extensible"] + kind["plain"]
        text = file.read_text()
        expected = values(json.loads(text), paths, get_json)
        try:
            model = decode(text, kind["model"])
            problems = [f"model {d}" for d in differences(expected, values(model, paths, get))]
            problems += [f"re-encoded {d}" for d in differences(expected, values(encode(model), paths, get_json))]
        except Exception as error:  # a decode that throws is a result, not a crash
            where = traceback.extract_tb(error.__traceback__)[-1]
            problems = [
                f"{type(error).__name__}: {' '.join(str(error).split())}"
                f" (in {Path(where.filename).name}:{where.lineno} {where.name})"
            ]
        if problems:
            failed += 1
            print(f"FAIL {file}: " + "; ".join(problems))
        else:
            passed += 1
            extensible = len(values(json.loads(text), kind["extensible"], get_json))
            print(f"PASS {file} ({extensible} extensible + {len(expected) - extensible} other values)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
