"""The redactor Open311 publishes through (hub/open311/redact.py), as properties (hypothesis): a generated mobile or
landline number, resident ID number (18 digits with its check character, or the old 15), licence plate or e-mail
address, in any of the ways people type them (grouped, +86, full-width digits), embedded in Chinese text is
always masked - exactly it, the text around it untouched - and ordinary text (dates such as 2026-12-04, times,
amounts, case references, postcodes, room numbers, separated by words or punctuation) comes back unchanged."""
from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hub.open311.redact import MASKS, redact
from protocol import uuid7

CHECKS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIGITS = "0123456789"
FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in DIGITS + "+-()"})
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ" + DIGITS
# Chinese text around the identifiers: no province initials (a plate's start) nor plate suffixes (挂学警...).
COMMON = ("请联系居民反映楼道垃圾堆放路灯不亮噪音扰民井盖缺失的了在是我有人这中大来上个"
          "到说们为子和你地出道也时年得就那要下以生会着去之过家对可她里后小么心多天而能好"
          "都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从"
          "动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情"
          "部正名定女问力机给等几很业最间什打便位因重被走电四第门相次东政海口教西再平真听")
WORDS = "".join(c for c in COMMON if c not in PROVINCES + "挂学警港澳领试超使")
AROUND = st.text(alphabet=WORDS + "，。、：；！？ ", max_size=12)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=DIGITS, min_size=n, max_size=n)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    number = "1" + draw(st.sampled_from("3456789")) + draw(digits(9))
    sep = draw(st.sampled_from(["", " ", "-"]))
    grouped = draw(st.booleans())
    text = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}" if grouped else number
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "86", "86 ", "(+86)", "(+86) "]))
    text = prefix + text
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


@st.composite
def landlines(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["010", "020", "021", "0756", "0755", "0571"]) | st.builds(
        lambda a, b: f"0{a}{b}", st.sampled_from("123456789"), digits(draw(st.sampled_from([1, 2])))))
    local = draw(st.sampled_from("2345678")) + draw(digits(draw(st.sampled_from([6, 7]))))
    form = draw(st.sampled_from(["{a}-{n}", "({a}){n}", "{a} {n}", "{a}{n}", "+86 {a1} {n}", "+86-{a1}-{n}"]))
    text = form.format(a=area, n=local, a1=area[1:])
    text += draw(st.sampled_from(["", "-801", "转8", "转123456"]))
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


def check_character(first17: str) -> str:
    """GB 11643: ISO 7064 MOD 11-2."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from("12345678")) + draw(digits(5))
    born: date = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    sequence = draw(digits(3))
    if draw(st.integers(0, 4)) == 0:  # the old 15-digit number: two-digit year, no check character
        return f"{region}{born:%y%m%d}{sequence}"
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    check = check_character(first17)
    if check == "X" and draw(st.booleans()):
        check = "x"
    text = f"{region} {born:%Y%m%d} {sequence}{check}" if draw(st.booleans()) else first17 + check
    return text.translate(FULL_WIDTH) if draw(st.booleans()) else text


@st.composite
def plates(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(PROVINCES))
    authority = draw(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXY"))
    sep = draw(st.sampled_from(["", "·", " ", "-", "・"]))
    kind = draw(st.sampled_from(["ordinary", "new_energy_small", "new_energy_large", "suffix"]))
    if kind == "ordinary":  # 5 characters, at most two letters
        body = list(draw(digits(5)))
        for at in draw(st.lists(st.integers(0, 4), max_size=2, unique=True)):
            body[at] = draw(st.sampled_from(PLATE_CHARS[:24]))
        tail = "".join(body)
    elif kind == "new_energy_small":  # D/F + 5
        tail = draw(st.sampled_from("DF")) + draw(digits(5))
    elif kind == "new_energy_large":  # 5 + D/F
        tail = draw(digits(5)) + draw(st.sampled_from("DF"))
    else:
        tail = draw(digits(4)) + draw(st.sampled_from("挂学警"))
    text = f"{province}{authority}{sep}{tail}"
    return text.lower() if draw(st.integers(0, 5)) == 0 else text


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True))
    host = draw(st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,5})?", fullmatch=True))
    top = draw(st.sampled_from(["com", "cn", "com.cn", "net", "org", "gov.cn"]))
    return f"{local}@{host}.{top}"


def _masked_exactly(before: str, secret: str, after: str, kind: str) -> None:
    assert redact(before + secret + after) == before + MASKS[kind] + after, secret


@CHECKS
@given(AROUND, mobiles(), AROUND)
@example("请联系王阿姨", "+86 138-1234-5678", "，谢谢")
@example("电话", "１３８１２３４５６７８", "")
def test_mobile_numbers_are_masked(before: str, number: str, after: str) -> None:
    _masked_exactly(before, number, after, "phone")


@CHECKS
@given(AROUND, landlines(), AROUND)
@example("物业", "0756-3312345", "")
@example("", "(020)87654321转801", "找李经理")
def test_landlines_are_masked(before: str, number: str, after: str) -> None:
    _masked_exactly(before, number, after, "phone")


@CHECKS
@given(AROUND, id_numbers(), AROUND)
@example("身份证", "44040219560304123X", "号")
@example("老证", "440402560304123", "")
def test_id_numbers_are_masked(before: str, number: str, after: str) -> None:
    _masked_exactly(before, number, after, "id_number")


@CHECKS
@given(AROUND, plates(), AROUND)
@example("车牌", "粤C·12345", "停了三天")
@example("", "粤C12345D", "")
@example("一辆", "粤CD12345", "占道")
def test_plates_are_masked(before: str, plate: str, after: str) -> None:
    _masked_exactly(before, plate, after, "plate")


@CHECKS
@given(AROUND, emails(), AROUND)
def test_email_addresses_are_masked(before: str, address: str, after: str) -> None:
    _masked_exactly(before, address, after, "email")


@st.composite
def ordinary(draw: st.DrawFn) -> str:
    day: date = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    amount = draw(st.integers(0, 9_999_999))
    cents = draw(st.integers(0, 99))
    pieces = [
        f"{day:%Y-%m-%d}", f"{day:%Y/%m/%d}", f"{day:%Y%m%d}", f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}", f"{hour}点{minute}分",
        f"¥{amount:,}.{cents:02d}", f"{amount}元", f"{amount}.{cents:02d}元", f"{amount % 1000}.{cents}万元",
        f"{amount % 100}%",
        uuid7(draw(st.integers(0, 2**48 - 1)), draw(st.binary(min_size=10, max_size=10))),
        str(draw(st.uuids())), f"GL-{day.year}-{amount % 1_000_000:06d}", f"工单{day:%Y%m%d}{amount % 10000:04d}",
        f"{draw(st.integers(1, 40))}栋{draw(st.integers(1, 33))}{draw(st.integers(1, 9)):02d}室",
        draw(st.sampled_from(["519000", "100000", "200030"])), f"共{amount % 500}户",
    ]
    chosen = draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=6))
    # between two pieces a word or a punctuation mark (digits run together would be another number)
    inner = AROUND.filter(lambda text: text.strip() != "")
    glue = [draw(AROUND)] + [draw(inner) for _ in chosen[1:]] + [draw(AROUND)]
    return "".join(g + p for g, p in zip(glue, chosen + [""], strict=True))


@CHECKS
@given(ordinary())
@example("2026-12-04 上午维修，费用¥1,250.00，案件0190a000-0000-7000-8000-013812345678，邮编519000")
@example("京东618活动，北京ABC公司")
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text
