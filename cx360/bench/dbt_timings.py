"""dbt's own per-node timings (target/run_results.json), grouped by project layer.

`dbt build` interleaves layers (a mart's tests run while another model builds, two threads),
so a layer has no wall time of its own. Two figures per layer: `busy_seconds`, the sum of its
nodes' execution times (the work), and `span_seconds`, first start to last end (the window it
occupied). Tests and unit tests are layers of their own: they are part of the build's cost.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

# Order the layers are reported in; anything else (a new folder) is reported after them.
LAYER_ORDER = (
    "seeds",
    "staging",
    "intermediate",
    "marts",
    "semantic",
    "audit",
    "data tests",
    "unit tests",
)


@dataclass(frozen=True)
class NodeTiming:
    unique_id: str
    layer: str
    status: str
    seconds: float
    started: dt.datetime | None
    completed: dt.datetime | None


@dataclass(frozen=True)
class LayerTiming:
    layer: str
    nodes: int
    busy_seconds: float
    span_seconds: float


@dataclass(frozen=True)
class DbtTimings:
    elapsed_seconds: float  # dbt's own figure for the whole invocation
    nodes: tuple[NodeTiming, ...]

    def layers(self) -> list[LayerTiming]:
        grouped: dict[str, list[NodeTiming]] = {}
        for node in self.nodes:
            grouped.setdefault(node.layer, []).append(node)
        order = {name: i for i, name in enumerate(LAYER_ORDER)}
        result = []
        for layer in sorted(grouped, key=lambda name: (order.get(name, len(order)), name)):
            members = grouped[layer]
            starts = [n.started for n in members if n.started]
            ends = [n.completed for n in members if n.completed]
            span = (max(ends) - min(starts)).total_seconds() if starts and ends else 0.0
            busy = sum(n.seconds for n in members)
            result.append(LayerTiming(layer, len(members), busy, span))
        return result

    def slowest_models(self, count: int = 10) -> list[NodeTiming]:
        models = [n for n in self.nodes if n.unique_id.startswith("model.")]
        return sorted(models, key=lambda n: n.seconds, reverse=True)[:count]


def _layer(unique_id: str, manifest_nodes: dict[str, dict]) -> str:
    kind = unique_id.split(".", 1)[0]
    if kind == "test":
        return "data tests"
    if kind == "unit_test":
        return "unit tests"
    if kind == "seed":
        return "seeds"
    fqn = manifest_nodes.get(unique_id, {}).get("fqn", [])
    # fqn = [project, folder, ..., name]: the first folder under models/ is the layer
    return fqn[1] if len(fqn) > 2 else kind


def _execute_window(result: dict) -> tuple[dt.datetime | None, dt.datetime | None]:
    for step in result.get("timing", []):
        if step.get("name") == "execute" and step.get("started_at") and step.get("completed_at"):
            return (
                dt.datetime.fromisoformat(step["started_at"].replace("Z", "+00:00")),
                dt.datetime.fromisoformat(step["completed_at"].replace("Z", "+00:00")),
            )
    return None, None


def read_dbt_timings(target_path: Path) -> DbtTimings:
    """Timings of the last dbt invocation that wrote `target_path`."""
    run_results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))
    manifest_path = target_path / "manifest.json"
    manifest_nodes: dict[str, dict] = {}
    if manifest_path.exists():
        manifest_nodes = json.loads(manifest_path.read_text(encoding="utf-8")).get("nodes", {})
    nodes = []
    for result in run_results.get("results", []):
        started, completed = _execute_window(result)
        nodes.append(
            NodeTiming(
                unique_id=result["unique_id"],
                layer=_layer(result["unique_id"], manifest_nodes),
                status=str(result.get("status")),
                seconds=float(result.get("execution_time") or 0.0),
                started=started,
                completed=completed,
            )
        )
    return DbtTimings(float(run_results.get("elapsed_time") or 0.0), tuple(nodes))
