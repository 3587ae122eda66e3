"""Values that travel on the wire without a closed type are still all in docs/protocol.md: every TaskBody.why the
hub can send (protocol.TASK_WHY_VALUES, checked against hub/cases/dispatch.py and every literal why in hub/), and
the further examples of a model (``<!-- example: Model variant -->``, e.g. the clean-exit DeviceStatus with ``at``),
which validate and re-encode like the main ones in test_docs.py."""
import json
import re
from pathlib import Path

import protocol
from protocol import TASK_WHY_VALUES

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")


def documented_whys() -> set[str]:
    section = DOC.split("#### TaskBody", 1)[1].split("<!-- example: TaskBody -->", 1)[0]
    rows = re.findall(r"^\| (`.*?) \|", section.split("| `why` |", 1)[1], flags=re.M)
    return {value for row in rows for value in re.findall(r"`(\w+)`", row)}


def test_every_why_value_is_documented_and_nothing_else():
    assert documented_whys() == TASK_WHY_VALUES


def test_the_hub_sends_no_why_outside_the_constant():
    from hub.cases import states
    from hub.cases.dispatch import why_for

    for transition in set(states.TRANSITIONS) | states.NON_STATE_EVENTS:
        assert why_for(transition) in TASK_WHY_VALUES, transition
    assert why_for("Not-A-Transition") in TASK_WHY_VALUES  # the fallback
    literal = re.compile(r"""(?:\bwhy\s*(?::\s*str\s*)?=\s*|\[["']why["']\]\s*=\s*)["'](\w+)["']""")
    found = {value: path for path in (ROOT / "hub").rglob("*.py")
             for value in literal.findall(path.read_text(encoding="utf-8"))}
    assert {"dispatch", "update", "action_rejected", "reminder", "level"} <= set(found)  # the pattern still works
    assert {v: str(p) for v, p in found.items() if v not in TASK_WHY_VALUES} == {}


def variant_examples() -> list[tuple[str, str, str]]:
    return re.findall(r"<!-- example: (\w+) ([\w-]+) -->\n```json\n(.*?)\n```", DOC, flags=re.S)


def test_variant_examples_validate_and_are_canonical():
    models = {m.__name__: m for m in [*protocol.UPLINK_MODELS.values(), protocol.Receipt, protocol.DownlinkMessage,
                                      protocol.DeviceStatus, protocol.HubStatus, *protocol.DOWNLINK_BODIES.values()]}
    examples = variant_examples()
    assert examples
    for name, variant, text in examples:
        message = protocol.decode(models[name], text.encode())
        assert json.loads(protocol.encode(message)) == json.loads(text), (name, variant)


def test_the_clean_exit_device_status_is_documented_with_its_time():
    (text,) = [t for name, variant, t in variant_examples() if (name, variant) == ("DeviceStatus", "clean-exit")]
    status = protocol.decode(protocol.DeviceStatus, text.encode())
    assert status.state == "offline" and status.at is not None
