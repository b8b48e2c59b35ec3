"""The command line (planner/cli.py): demo end to end, clear one-line errors, templates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from planner.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_demo_writes_and_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    r = runner.invoke(app, ["demo", "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "SYNTHETIC" in r.output
    # the printed totals match the files, read independently
    logs = pd.read_csv(out / "work_logs.csv", encoding="utf-8-sig")
    assert f"{len(logs):,} rows" in r.output
    markets = pd.read_csv(out / "markets.csv", encoding="utf-8-sig")
    assert f"{len(markets):,} markets" in r.output
    assert (out / "study.toml").is_file()


def test_check_reports_one_clear_line(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--out", str(out), "--no-progress"]).exit_code == 0
    markets = out / "markets.csv"
    text = markets.read_text(encoding="utf-8-sig").splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    lon, lat = header.index("经度"), header.index("纬度")
    row[lon], row[lat] = row[lat], row[lon]  # swap longitude and latitude in row 2
    text[1] = ",".join(row)
    markets.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    r = runner.invoke(app, ["check", str(out / "study.toml"), "--no-progress"])
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert "markets.csv, row 2, column '经度'" in r.output
    assert "look swapped" in r.output and "Fix: swap" in r.output


def test_check_names_the_study_key(tmp_path: Path) -> None:
    p = tmp_path / "study.toml"
    p.write_text('[study]\nname = "x"\n[area]\npath = "nowhere.geojson"\n', encoding="utf-8")
    r = runner.invoke(app, ["check", str(p)])
    assert r.exit_code == 2
    assert "key 'area.path': file 'nowhere.geojson' does not exist" in r.output


def test_template_markets(tmp_path: Path) -> None:
    out = tmp_path / "名录.csv"
    r = runner.invoke(app, ["template", "markets", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == (ROOT / "data" / "markets_template.csv").read_bytes()
    again = runner.invoke(app, ["template", "markets", str(out)])
    assert again.exit_code == 2 and "not overwriting" in again.output
