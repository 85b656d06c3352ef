"""Reads a corpus output dir the way a trainer would, outside the project (not part of npm test).

  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install datasets pyarrow pandas polars pillow
  /tmp/venv/bin/python scripts/checks/train_rows.py out/ [wds-docs-dir] [wds-packed-dir]

pandas and polars open every table folder; HF datasets loads each config of the dataset card and
each folder with data_dir; every image span of packed/varlen resolves to image bytes; every image in
the WebDataset shards decodes.
"""
import io, json, os, sys, tarfile

out = sys.argv[1]
wds_dirs = sys.argv[2:]
import pandas as pd
import polars as pl

tables = sorted(d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)) and d[0] not in "_.")
for t in tables:
    p = os.path.join(out, t)
    n_pd = len(pd.read_parquet(p))
    glob = f"{p}/*/*.parquet" if any(os.path.isdir(os.path.join(p, x)) for x in os.listdir(p)) else f"{p}/*.parquet"
    n_pl = pl.scan_parquet(glob).select(pl.len()).collect().item()
    assert n_pd == n_pl, (t, n_pd, n_pl)
    print(f"pandas/polars {t}: {n_pd} rows")

images = pd.read_parquet(os.path.join(out, "images"), columns=["image_id", "bytes"])
with_bytes = set(images.loc[images["bytes"].notna(), "image_id"])
assert images["image_id"].dropna().is_unique, "image_id not unique"
for t in ("packed", "varlen"):
    if t not in tables:
        continue
    spans = pd.read_parquet(os.path.join(out, t), columns=["image_spans"])["image_spans"].explode().dropna()
    missing = [s["image_id"] for s in spans if s["image_id"] not in with_bytes]
    print(f"{t}: {len(spans)} image spans, {len(missing)} without bytes")
    assert not missing

try:
    from datasets import load_dataset
except ImportError as e:
    print(f"datasets not importable here ({e}); skipped")
else:
    for t in tables:
        ds = load_dataset(out, t, split="train")
        ds2 = load_dataset("parquet", data_dir=os.path.join(out, t), split="train")
        assert len(ds) == len(ds2)
        print(f"datasets {t}: {len(ds)} rows (config and data_dir)")

from PIL import Image  # required: a check that cannot decode the images checks nothing about them
for d in wds_dirs:
    samples, decoded = set(), 0
    for n in sorted(os.listdir(d)):
        if not n.endswith(".tar"):
            continue
        with tarfile.open(os.path.join(d, n)) as tf:
            for m in tf:
                key, part = m.name.split(".", 1)
                samples.add(key)
                data = tf.extractfile(m).read()
                if part == "json":
                    json.loads(data)
                else:
                    Image.open(io.BytesIO(data)).load()
                    decoded += 1
    print(f"tar {d}: {len(samples)} samples, {decoded} images decoded")
print("ok")
