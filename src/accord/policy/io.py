"""Reading and writing policies as YAML or JSON, with errors that name the field."""

from __future__ import annotations

import json
from importlib import resources

import yaml
from pydantic import ValidationError

from accord.errors import InvalidInput
from accord.policy.schema import Policy


def parse(text: str) -> Policy:
    try:
        data = yaml.safe_load(text)  # YAML is a superset of JSON: one parser for both
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the policy is not valid YAML/JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the policy must be a mapping of fields (see `accord policy show` for an example)")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e["loc"]) or "policy"
            problems.append(f"{where}: {e['msg']}")
        raise InvalidInput(
            "the policy is not valid: " + "; ".join(problems),
            field=".".join(str(x) for x in exc.errors()[0]["loc"]) or None,
        ) from None


def dump_yaml(p: Policy) -> str:
    text: str = yaml.safe_dump(json.loads(p.model_dump_json()), sort_keys=False, allow_unicode=True)
    return text


def seed(slug: str) -> Policy:
    return parse(resources.files("accord.policy").joinpath("seeds", f"{slug}.yaml").read_text())
