"""Writes penguins_describe.json: pandas' describe() of penguins.csv's numeric columns, the
independent reference examples/describe.rs checks its figures against.

    python3 examples/data/penguins_describe.py   (needs pandas)
"""
import json
import pathlib

import pandas as pd

here = pathlib.Path(__file__).parent
frame = pd.read_csv(here / "penguins.csv", na_values=["NA"], keep_default_na=False)
stats = frame.describe()  # numeric columns: count mean std min 25% 50% 75% max
out = {column: {stat: float(stats.loc[stat, column]) for stat in stats.index} for column in stats.columns}
(here / "penguins_describe.json").write_text(json.dumps(out, indent=1) + "\n")
print(stats)
