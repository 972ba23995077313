"""Generated documents: the signal events' JSON Schemas and the review API's OpenAPI document.

``make docs`` (``python -m crm_hygiene.local.docs``) writes them under docs/; a test fails when the
committed copies differ from what the code generates, so they cannot drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from crm_hygiene.models.signals import (
    HealthScoreSignal,
    MeasurementSignal,
    ProviderQualitySignal,
    RelationshipSignal,
)

SIGNALS: dict[str, type[BaseModel]] = {
    "hygiene_health_score": HealthScoreSignal,
    "relationship_graph_signal": RelationshipSignal,
    "data_provider_quality_signal": ProviderQualitySignal,
    "measurement": MeasurementSignal,
}


def signal_schemas() -> dict[str, str]:
    """File name -> JSON Schema text, one per signal (version in the file name)."""
    out = {}
    for name, model in SIGNALS.items():
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        version = model.model_fields["version"].default
        schema["$id"] = f"https://crm-hygiene.dev/schemas/{name}.v{version}.json"
        out[f"{name}.v{version}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def openapi(functions_dir: Path) -> str:
    sys.path.insert(0, str(functions_dir / "review_api"))
    from review_api_handler import openapi_schema

    return json.dumps(json.loads(openapi_schema()), indent=2, sort_keys=True) + "\n"


def generated(root: Path) -> dict[Path, str]:
    files = {root / "docs" / "signals" / name: text for name, text in signal_schemas().items()}
    files[root / "docs" / "review-api.openapi.json"] = openapi(root / "functions")
    return files


def main() -> None:
    root = Path.cwd()
    for path, text in generated(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(root)}")  # noqa: T201


if __name__ == "__main__":
    main()
