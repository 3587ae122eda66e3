"""Icons for report categories: a coloured badge with one character that names the thing (井 for manhole covers,
灯 for lights, 车 for parking...). Drawn with the app's CJK font, so it renders on every kiosk with no image files
and no emoji font (the kiosk's WenQuanYi has none); one colour per major class groups the list at a glance.
Residents see the icon and the category's name, never its code."""
from __future__ import annotations

from dataclasses import dataclass

from terminal.app.taxonomy import CategoryChoice

# category code prefix → glyph; the longest matching prefix wins, else the major class's first character
_GLYPHS = {
    "C010": "井", "C0110": "灯", "C0115": "消", "C0201": "灯", "C0202": "牌", "C0203": "栏", "C0204": "站",
    "C0301": "厕", "C0302": "箱", "C0303": "牌", "C0401": "树", "C0402": "绿", "C0403": "雕", "C0501": "房",
    "C0502": "工", "E0101": "垃", "E0102": "垃", "E0103": "扫", "E0104": "水", "E0201": "告", "E0202": "告",
    "E0203": "告", "E0301": "噪", "E0302": "尘", "E0303": "工", "E0401": "陷", "E0402": "水", "E0403": "气",
    "E0404": "水", "E0501": "摊", "E0502": "摊", "E0503": "车", "E0504": "消", "E0505": "车", "E0601": "邻",
    "E0602": "业", "E0603": "薪", "E0701": "助", "E0702": "老", "E0703": "老", "E0704": "法", "E0705": "修",
    "E0706": "服",
}
_PALETTE = [(0.80, 0.33, 0.20), (0.18, 0.50, 0.72), (0.22, 0.58, 0.32), (0.62, 0.38, 0.70), (0.85, 0.58, 0.12),
            (0.18, 0.60, 0.60), (0.70, 0.25, 0.40), (0.45, 0.48, 0.20)]


@dataclass(frozen=True)
class CategoryIcon:
    glyph: str
    color: tuple[float, float, float, float]


def icon_for(category: CategoryChoice) -> CategoryIcon:
    code = category.code
    glyph = next((_GLYPHS[code[:n]] for n in range(len(code), 3, -1) if code[:n] in _GLYPHS), "")
    glyph = glyph or (category.major_name_zh[:1] or category.name_zh[:1] or "·")
    index = (0 if category.kind == "event" else 4) + int(category.major_code or "0")
    r, g, b = _PALETTE[index % len(_PALETTE)]
    return CategoryIcon(glyph, (r, g, b, 1.0))
