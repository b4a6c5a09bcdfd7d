"""Per-table counts of an import and their summary: read = inserted + present + rejected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class TableCounts:
    target: str
    source: str  # the Convex table
    read: int = 0
    inserted: int = 0
    present: int = 0
    rejected: Counter = field(default_factory=Counter)
    unknown_fields: set[str] = field(default_factory=set)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def reconciles(self) -> bool:
        return self.read == self.inserted + self.present + self.rejected_total


def render(counts: list[TableCounts]) -> str:
    width = max(len(c.target) for c in counts)
    indent = " " * (width + 4)
    lines = [f"{'table':<{width}}  {'read':>10}  {'inserted':>10}  {'present':>10}  {'rejected':>10}"]
    for c in counts:
        lines.append(f"{c.target:<{width}}  {c.read:>10,}  {c.inserted:>10,}  {c.present:>10,}  "
                     f"{c.rejected_total:>10,}")
        lines += [f"{indent}rejected {count:,}: {reason}" for reason, count in sorted(c.rejected.items())]
        if c.unknown_fields:
            lines.append(f"{indent}not imported, unknown fields of {c.source}: {', '.join(sorted(c.unknown_fields))}")
        if not c.reconciles():
            lines.append(f"{indent}COUNTS DO NOT RECONCILE")
    return "\n".join(lines)
