"""docs/protocol.md and protocol/ must agree: same topics, and every example validates."""
import json
import re
from pathlib import Path

import protocol
from protocol import topics

DOC = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
DOCUMENTED_MODELS = {
    m.__name__: m
    for m in [*protocol.UPLINK_MODELS.values(), protocol.Receipt, protocol.DownlinkMessage,
              protocol.DeviceStatus, protocol.HubStatus,
              *protocol.DOWNLINK_BODIES.values()]
}


def documented_topics() -> set[str]:
    # every backticked concrete topic (subscription filters with + or $share are not topics)
    return {t for t in re.findall(r"`(gridline/v1/[^`]+)`", DOC) if "+" not in t}


def documented_examples() -> dict[str, str]:
    return dict(re.findall(r"<!-- example: (\w+) -->\n```json\n(.*?)\n```", DOC, flags=re.S))


def test_every_topic_the_code_builds_is_documented_and_nothing_else():
    assert documented_topics() == set(topics.all_topic_templates())


def test_topic_table_names_the_payload_model_the_codec_uses():
    rows = re.findall(r"^\| `gridline/v1/dev/\{device_id\}/up/(\w+)` \|[^|]+\|[^|]+\| (\w+) \|$", DOC, flags=re.M)
    assert dict(rows) == {k.value: m.__name__ for k, m in protocol.UPLINK_MODELS.items()}


def test_every_payload_model_has_one_example_and_each_validates():
    examples = documented_examples()
    assert set(examples) == set(DOCUMENTED_MODELS)
    for name, text in examples.items():
        model = DOCUMENTED_MODELS[name]
        message = protocol.decode(model, text.encode())
        # the example is canonical: re-encoding gives the same JSON
        assert json.loads(protocol.encode(message)) == json.loads(text), name


def test_documented_reason_codes_cover_the_codec():
    codec_src = Path(protocol.codec.__file__).read_text() + Path(topics.__file__).read_text()
    raised = set(re.findall(r'(?:ProtocolError|TopicError)\(\s*"(\w+)"', codec_src))
    table = set(re.findall(r"`(\w+)`", DOC.split("## Dead-letter reason codes")[1].split("## Payloads")[0]))
    assert raised <= table, raised - table
