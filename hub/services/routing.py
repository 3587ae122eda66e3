"""Which category a service kind files under, which role takes it by default, and how a need's level (网格 / 社区 /
街道) picks where in the unit chain to look for that role. Pure: no I/O (the per-unit overrides are in
``service_routes``, read by :mod:`hub.services.intake`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from protocol import CheckinKind

SERVICE_KINDS: Final = ("legal", "mediation", "repair", "welfare", "other")
NEED_LEVELS: Final = ("grid", "community", "street")  # 网格 / 社区 / 街道: who must solve a need
OUTCOMES: Final = ("settled", "transferred", "litigation", "withdrawn", "answered", "done")

# The kiosk's service check-ins (protocol CheckinKind) → service kind; the wellbeing check-in is no service request.
CHECKIN_KINDS: Final[Mapping[CheckinKind, str]] = {
    CheckinKind.SERVICE_LEGAL: "legal", CheckinKind.SERVICE_MEDIATION: "mediation",
    CheckinKind.SERVICE_REPAIR: "repair", CheckinKind.SERVICE_OTHER: "other"}

# hub/org/default_taxonomy.json: 法律咨询, 邻里纠纷 (mediation), 困难群众救助, 维修报修, 其他便民服务
CATEGORIES: Final[Mapping[str, str]] = {"legal": "E0704", "mediation": "E0601", "welfare": "E0701",
                                        "repair": "E0705", "other": "E0706"}
# Who takes a kind when no unit in the chain says otherwise; None: the control room (指挥中心) dispatches it.
DEFAULT_ROLES: Final[Mapping[str, str | None]] = {"legal": "legal_adviser", "mediation": "mediator",
                                                  "repair": "property_contact", "welfare": "grid_worker",
                                                  "other": None}
LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "legal": ("法律咨询", "Legal consultation"), "mediation": ("矛盾调解", "Mediation"),
    "repair": ("维修报修", "Repair"), "welfare": ("民生救助", "Welfare"), "other": ("其他服务", "Other service")}


@dataclass(frozen=True)
class Route:
    role: str | None  # None: the control room
    person: str | None  # the person dispatched; None: nobody with the role up the chain (the control room)
    unit_code: str | None  # the unit the person belongs to


def from_level(chain: Sequence[tuple[str, str]], level: str | None) -> list[tuple[str, str]]:
    """The (code, level) chain, bottom first, from the first unit at ``level`` up (a street-level need is not looked
    for in the grid); the whole chain when the level is absent or not in it."""
    if level is None:
        return list(chain)
    levels = [lv for _, lv in chain]
    return list(chain[levels.index(level):]) if level in levels else list(chain)


def configured_role(chain: Sequence[tuple[str, str]], kind: str,
                    routes: Mapping[tuple[str, str], str | None]) -> str | None:
    """The role the nearest unit with a ``service_routes`` row names for ``kind``, else the default."""
    for code, _ in chain:
        if (code, kind) in routes:
            return routes[(code, kind)]
    return DEFAULT_ROLES.get(kind)
