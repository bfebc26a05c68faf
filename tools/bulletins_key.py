"""Turn a hand-written key spec (anchor|subject|metric|value|unit|period|qualifier) into <name>.key.csv.

The anchor is the clause stating the fact, written without whitespace; it is searched in order in the text
with whitespace removed, and its span maps back to the original offsets."""
import csv, sys
from pathlib import Path
sys.path.insert(0, "/work/wt/bulx/src")
from hizone.registry.tables import load_zones
names = {z.code: z.name_zh for z in load_zones()}
names["national_zones"] = "国家高新区"; names["china"] = "全国"
spec, txt, out = map(Path, sys.argv[1:4])
text = txt.read_text(encoding="utf-8")
where = [i for i, c in enumerate(text) if not c.isspace()]
squeezed = "".join(text[i] for i in where)
pos = 0
rows = []
for n, line in enumerate(spec.read_text(encoding="utf-8").splitlines(), 1):
    if not line.strip() or line.startswith("#"):
        continue
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != 7:
        sys.exit(f"{spec}:{n}: expected 7 fields, got {len(parts)}")
    anchor, subject, metric, value, unit, period, qualifier = parts
    at = squeezed.find(anchor, pos)
    if at < 0:
        at = squeezed.find(anchor)
        if at < 0:
            sys.exit(f"{spec}:{n}: anchor not found: {anchor}")
    else:
        pos = at
    start, end = where[at], where[at + len(anchor) - 1] + 1
    v = float(eval(value))
    vs = str(int(v)) if v.is_integer() else f"{v:.10f}".rstrip("0").rstrip(".")
    rows.append([txt.name, start, end, subject, names.get(subject, subject.removeprefix("unknown:")), metric, vs,
                 unit, period, qualifier, text[start:end]])
with out.open("w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["file", "start", "end", "subject", "subject_name", "metric", "value", "unit", "period", "qualifier", "quote"])
    w.writerows(rows)
print(f"{len(rows)} key facts -> {out}")
