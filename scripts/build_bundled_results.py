#!/usr/bin/env python3
"""Convert the LRM Token Economy study's raw files into tokenscope's bundled Parquet.

    python scripts/build_bundled_results.py [--source DIR] [--update DIR] [--out DIR]
                                            [--board-only]

``--source`` holds the files of the August 2025 report, ``--update`` upstream's
newer files with their MANIFEST.tsv. Both editions of the study (see
tokenscope/data/editions.py) are written at once. Re-running it on the same
input gives identical files. What it keeps, drops and overrides is written down
in bundled_results/README.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tokenscope.data import editions, metrics  # noqa: E402
from tokenscope.data.schema import (  # noqa: E402
    MODEL_SCHEMA,
    PRICE_SCHEMA,
    PROMPT_SCHEMA,
    RUN_SCHEMA,
    conform,
    normalise_domain,
)

UPDATE_FOLDER = "lrm-token-economy-update"


def find_raw_study() -> Path | None:
    """The study's raw files: $TOKENSCOPE_STUDY_RAW, a sibling shared/ folder, or /work/shared."""
    candidates = [
        os.environ.get("TOKENSCOPE_STUDY_RAW"),
        ROOT.parent / "shared" / "data" / "lrm-token-economy",
        "/work/shared/data/lrm-token-economy",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "evalset").is_dir():
            return Path(candidate)
    return None


def find_raw_update(source: Path | None = None) -> Path | None:
    """Upstream's newer files: $TOKENSCOPE_STUDY_UPDATE_RAW, else beside the study's folder."""
    candidates = [
        os.environ.get("TOKENSCOPE_STUDY_UPDATE_RAW"),
        source.parent / UPDATE_FOLDER if source else None,
        ROOT.parent / "shared" / "data" / UPDATE_FOLDER,
        f"/work/shared/data/{UPDATE_FOLDER}",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "MANIFEST.tsv").is_file():
            return Path(candidate)
    return None


DEFAULT_SOURCE = find_raw_study() or ROOT.parent / "shared" / "data" / "lrm-token-economy"
DEFAULT_UPDATE = find_raw_update(DEFAULT_SOURCE) or ROOT.parent / "shared" / "data" / UPDATE_FOLDER
DEFAULT_OUT = ROOT / "bundled_results"

# Files are read in this order; the first definition of a model wins. The
# study's own aggregation script defaults to query_config_full.json. Metadata
# comes from upstream's newer configs, which still define every August model
# exactly as the August configs did.
CONFIG_FILES = (
    "query_config_full.json",
    "query_config_recent.json",
    "query_config_trends.json",
    "query_config.json",
)

# Models that appear in the evaluations but in no query_config*.json. Each entry
# says why its values are what they are.
MODEL_OVERRIDES: dict[str, dict] = {
    "deepseek-r1-0528-ds": {
        "api_model": "deepseek/deepseek-reasoner",
        "lab": "deepseek",
        "open_weights": True,
        "full_cot": True,
        "why": "DeepSeek-R1-0528 queried on DeepSeek's own API (the '-ds' suffix); "
        "R1-0528 weights are MIT-licensed and the API returns reasoning_content.",
    },
    "grok-3-mini-beta": {
        "api_model": "x-ai/grok-3-mini-beta",
        "lab": "x-ai",
        "open_weights": False,
        "full_cot": True,
        "why": "xAI's hosted-only model; its API streams reasoning_content, "
        "as grok-3-mini-think (same family) does in the configs.",
    },
    "tng-deepseek-r1t": {
        "api_model": "tngtech/deepseek-r1t-chimera",
        "lab": "tngtech",
        "open_weights": True,
        "full_cot": True,
        "why": "TNG Technology's DeepSeek-R1T-Chimera merge, published with open "
        "weights (MIT) and served with its reasoning visible.",
    },
    "ds-r1-0528-abbr": {
        "api_model": None,
        "lab": "deepseek",
        "open_weights": True,
        "full_cot": True,
        "why": "a DeepSeek-R1-0528 variant (name and upstream file 'dsR3abbr'); upstream "
        "documents neither its API id nor what was abbreviated, so the id stays null. "
        "R1-0528 weights are MIT-licensed and its runs carry raw reasoning characters.",
    },
}

# Configs whose API model id carries no "lab/" prefix.
LAB_OVERRIDES: dict[str, tuple[str, str]] = {
    "DeepHermes-3-Mistral-24B-Pre": (
        "nousresearch",
        "queried by its bare id 'DeepHermes-3-Mistral-24B-Preview' on Nous Research's own API; "
        "the study's aggregation also maps Hermes models to Nous.",
    ),
    "Hermes-4-405B": (
        "nousresearch",
        "queried by its bare id 'Hermes-4-405B' on Nous Research's own API; "
        "the study's aggregation maps Hermes models to Nous.",
    ),
    "deepseek-V3.2-Exp": (
        "deepseek",
        "query_config_full.json gives the bare id 'deepseek-reasoner' (DeepSeek's own API); "
        "query_config_trends.json gives the same model as 'deepseek/deepseek-reasoner'.",
    ),
}


AUGUST, LATEST = "2025-08", "latest"


class BuildError(Exception):
    """The raw files cannot be converted; the message is one line."""


def read_json(path: Path):
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def check_manifest(update: Path) -> int:
    """Every file MANIFEST.tsv lists is there, with its sha256; returns how many."""
    rows = (update / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    for line in rows:
        name, _commit, _size, sha = line.split("\t")
        path = update / name
        if not path.is_file():
            raise BuildError(f"{path} is listed in MANIFEST.tsv but missing")
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            raise BuildError(f"{path} differs from the sha256 in MANIFEST.tsv")
    return len(rows)


def with_editions(frame: pl.DataFrame, membership: dict[str, pl.Expr | bool]) -> pl.DataFrame:
    """Appends one boolean column per edition (see tokenscope/data/editions.py)."""
    return frame.with_columns(
        (value if isinstance(value, pl.Expr) else pl.lit(value))
        .cast(pl.Boolean)
        .alias(editions.edition_column(edition))
        for edition, value in membership.items()
    ).select(*frame.columns, *editions.EDITION_COLUMNS)


PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 19, "statistics": False}


def build_prompts(source: Path) -> pl.DataFrame:
    evalset = read_json(source / "evalset" / "TokenEconomyDataset_V1.json")["prompts"]
    rows = [
        {
            "prompt_id": p["prompt_id"],
            "domain": normalise_domain(p["type"]),
            "category": p.get("category"),
            "title": p.get("title"),
            "prompt_text": p["prompt"],
            "criteria": list(p.get("criteria", [])),
            "weights": [float(w) for w in p.get("weight", [])],
        }
        for p in evalset
    ]
    return pl.DataFrame(rows, schema=PROMPT_SCHEMA).sort("prompt_id")


def build_models(config_dir: Path, names: set[str]) -> pl.DataFrame:
    """One row per model *name*: several models share an API id (deepseek-reasoner)."""
    found: dict[str, dict] = {}
    for file_name in CONFIG_FILES:
        for llm in read_json(config_dir / file_name)["llms"]:
            if llm["name"] in found:
                continue
            api_model = llm.get("model", "")
            found[llm["name"]] = {
                "model": llm["name"],
                "api_model": api_model,
                "lab": api_model.split("/")[0]
                if "/" in api_model
                else LAB_OVERRIDES.get(llm["name"], (None, ""))[0],
                "open_weights": bool(llm.get("open_weights", False)),
                "full_cot": bool(llm.get("full_cot", False)),
                "max_tokens": llm.get("max_tokens"),
                "effort": (llm.get("reasoning") or {}).get("effort"),
                "metadata_source": file_name,
            }
    rows = []
    for name in sorted(names):
        if name in found:
            if found[name]["lab"] is None:
                raise BuildError(f"model {name!r} has a bare API id and no lab override")
            rows.append(found[name])
        elif name in MODEL_OVERRIDES:
            o = MODEL_OVERRIDES[name]
            rows.append(
                {
                    "model": name,
                    "api_model": o["api_model"],
                    "lab": o["lab"],
                    "open_weights": o["open_weights"],
                    "full_cot": o["full_cot"],
                    "max_tokens": None,
                    "effort": None,
                    "metadata_source": "override",
                }
            )
        else:
            raise BuildError(f"model {name!r} has no config and no override")
    return pl.DataFrame(rows, schema=MODEL_SCHEMA)


def read_prices(path: Path) -> pl.DataFrame:
    def num(value: str):
        return float(value) if value not in ("", None) else None

    with path.open(encoding="utf-8") as fh:
        rows = [
            {
                "model": r["model_name"],
                "provider_count": int(r["provider_count"]) if r["provider_count"] else None,
                "prompt_price_min": num(r["prompt_min"]),
                "prompt_price_max": num(r["prompt_max"]),
                "prompt_price_avg": num(r["prompt_avg"]),
                "completion_price_min": num(r["completion_min"]),
                "completion_price_max": num(r["completion_max"]),
                "completion_price_avg": num(r["completion_avg"]),
            }
            for r in csv.DictReader(fh)
        ]
    frame = pl.DataFrame(rows, schema=PRICE_SCHEMA)
    # Upstream rounds the averages to one decimal, so a price of $0.02 averages
    # to 0.00: a rounded zero is not a price.
    return frame.with_columns(
        pl.when((pl.col(f"{kind}_price_avg") == 0) & (pl.col(f"{kind}_price_min") > 0))
        .then(None)
        .otherwise(pl.col(f"{kind}_price_avg"))
        .alias(f"{kind}_price_avg")
        for kind in ("prompt", "completion")
    ).sort("model")


def build_prices(source: Path, update: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """August prices (a row stays in latest where upstream's newer file repeats it) and
    the newer rows that replace or add to them."""
    august = read_prices(source / "model_prices.csv")
    newer = read_prices(update / "model_prices.csv")
    repeated = august.join(newer, on=august.columns, how="semi", nulls_equal=True)
    base = with_editions(
        august, {AUGUST: True, LATEST: pl.col("model").is_in(repeated["model"].to_list())}
    )
    changed = newer.join(august, on=newer.columns, how="anti", nulls_equal=True)
    return base, with_editions(changed, {AUGUST: False, LATEST: True})


def load_detailed(source: Path) -> dict[tuple[str, str], list[dict]]:
    """All evaluated runs per (prompt, model); a pair split over files is concatenated."""
    runs: dict[tuple[str, str], list[dict]] = {}
    for path in sorted((source / "data").glob("detailed_evaluations_*.json")):
        for prompt_id, by_model in read_json(path).items():
            for model, evaluations in by_model.items():
                runs.setdefault((prompt_id, model), []).extend(evaluations)
    return runs


def load_outputs(source: Path) -> dict[tuple[str, str], list[dict]]:
    """The raw query outputs flattened to one dict per sample."""
    outputs: dict[tuple[str, str], list[dict]] = {}
    for path in sorted((source / "data").glob("output_queries_*.json")):
        for result in read_json(path).get("results", []):
            key = (result["prompt_id"], result["llm"])
            n = len(result.get("output") or [])

            def at(field: str, i: int, result: dict = result):
                values = result.get(field)
                return values[i] if isinstance(values, list) and i < len(values) else None

            for i in range(n):
                details = at("completion_tokens_details", i) or {}
                outputs.setdefault(key, []).append(
                    {
                        "output": at("output", i),
                        "thinking": at("thinking", i),
                        "tokens_completion": at("tokens_completion", i),
                        "reasoning_tokens": details.get("reasoning_tokens")
                        if isinstance(details, dict)
                        else None,
                        "provider": at("provider", i),
                        "finish_reason": at("finish_reason", i),
                    }
                )
    return outputs


def match_output(run: dict, candidates: list[dict], used: set[int]) -> dict | None:
    """Find the raw output behind an evaluated run.

    Evaluations were written in completion order, not query order, and some
    samples were never evaluated, so position is unreliable. Match on the
    answer text and completion count, then the answer text alone.
    """
    answer = run.get("original_response")
    tokens = run.get("statistics", {}).get("tokens_completions")
    for strict in (True, False):
        for i, cand in enumerate(candidates):
            if i in used or cand["output"] != answer:
                continue
            if strict and cand["tokens_completion"] != tokens:
                continue
            used.add(i)
            return cand
    return None


def weighted_score(criteria_met: list[bool], weights: list[float]) -> float | None:
    if not criteria_met:
        return None
    if len(weights) != len(criteria_met):
        weights = [1.0] * len(criteria_met)
    total = sum(weights)
    return (
        sum(w for w, met in zip(weights, criteria_met, strict=False) if met) / total
        if total
        else None
    )


def answer_tokens(stats: dict) -> int | None:
    """Upstream's tokens_output, which it computes as completion - reported reasoning.

    It is negative exactly when a provider reported more reasoning tokens than
    it billed in all. That is no count; the study's consistency check rejects
    those reasoning counts and falls back to characters (metrics.py), and the
    impossible answer count is stored as missing, never averaged.
    """
    value = stats.get("tokens_output")
    return None if value is not None and value < 0 else value


def build_runs(
    detailed: dict[tuple[str, str], list[dict]],
    outputs: dict[tuple[str, str], list[dict]],
    prompts: pl.DataFrame,
    models: pl.DataFrame,
    id_prefix: str,
) -> tuple[pl.DataFrame, dict[str, int]]:
    prompt_info = {r["prompt_id"]: r for r in prompts.iter_rows(named=True)}
    model_info = {r["model"]: r for r in models.iter_rows(named=True)}
    counts = {
        "skipped_unknown_prompt": 0,
        "matched_output": 0,
        "unmatched_output": 0,
        "negative_answer_tokens": 0,
    }
    rows = []
    for (prompt_id, model), evaluations in sorted(detailed.items()):
        prompt = prompt_info.get(prompt_id)
        if prompt is None:
            counts["skipped_unknown_prompt"] += len(evaluations)
            continue
        candidates = outputs.get((prompt_id, model), [])
        used: set[int] = set()
        for index, ev in enumerate(evaluations):
            stats = ev.get("statistics", {})
            criteria = [bool(c.get("met")) for c in ev.get("criteria_results", [])]
            raw = match_output(ev, candidates, used)
            counts["matched_output" if raw else "unmatched_output"] += 1
            answer_count = answer_tokens(stats)
            counts["negative_answer_tokens"] += answer_count != stats.get("tokens_output")
            thinking = (raw or {}).get("thinking") or None
            info = model_info[model]
            rows.append(
                {
                    "run_id": f"{id_prefix}:{model}:{prompt_id}:{index}",
                    "source": "bundled",
                    "model": model,
                    "lab": info["lab"],
                    "open_weights": info["open_weights"],
                    "provider": (raw or {}).get("provider"),
                    "prompt_id": prompt_id,
                    "prompt_text": prompt["prompt_text"],
                    "domain": prompt["domain"],
                    "sample_index": index,
                    "tokens_completion": stats.get("tokens_completions"),
                    "tokens_reasoning_reported": stats.get("tokens_reasoning"),
                    "tokens_answer_reported": answer_count,
                    "tokens_source": "reported",
                    "chars_answer": stats.get("character_count_output"),
                    "chars_reasoning": stats.get("character_count_reasoning"),
                    "chars_completion": stats.get("character_count_completion"),
                    "criteria_met": criteria,
                    "criteria_met_count": sum(criteria),
                    "criteria_total": len(criteria),
                    "score": weighted_score(criteria, prompt["weights"]),
                    "grader": "study",
                    "grading_notes": ev.get("feedback"),
                    "answer": ev.get("original_response"),
                    "reasoning": thinking,
                    "finish_reason": (raw or {}).get("finish_reason"),
                    "status": "ok",
                    "effort": info["effort"],
                    "suite": "study",
                }
            )
    frame = pl.DataFrame(rows, schema_overrides={k: RUN_SCHEMA[k] for k in rows[0]})
    # The consistency check looks at all runs of a model and prompt, so it runs
    # here, on one edition's runs of each model at a time (the first gpt-oss
    # runs and the re-run never share a window).
    frame = metrics.with_reasoning_tokens(conform(frame.lazy())).collect()
    return frame.sort("model", "prompt_id", "sample_index"), counts


def build(source: Path, update: Path, out: Path) -> dict[str, int]:
    manifest_files = check_manifest(update)
    prompts = build_prompts(source)
    august = load_detailed(source)
    newer = load_detailed(update)
    august_models = {m for (_, m) in august}
    newer_models = {m for (_, m) in newer}
    # Upstream's newest figures use a re-run in place of a model's first runs.
    rerun = sorted(august_models & newer_models)
    models = build_models(update, august_models | newer_models)
    prices, prices_update = build_prices(source, update)
    runs, counts = build_runs(august, load_outputs(source), prompts, models, "study")
    runs = with_editions(runs, {AUGUST: True, LATEST: ~pl.col("model").is_in(rerun)})
    runs_update, update_counts = build_runs(newer, {}, prompts, models, "study-update")
    runs_update = with_editions(runs_update, {AUGUST: False, LATEST: True})
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in (
        ("runs", runs),
        ("runs_update", runs_update),
        ("prompts", prompts),
        ("models", models),
        ("prices", prices),
        ("prices_update", prices_update),
    ):
        tmp = out / f".{name}.parquet.tmp"
        # No statistics: each file is one small row group; they would only add bytes.
        frame.write_parquet(tmp, **PARQUET_OPTIONS)
        tmp.replace(out / f"{name}.parquet")
    counts.update({f"update_{k}": v for k, v in update_counts.items()})
    counts.update(
        manifest_files=manifest_files,
        rerun_models=len(rerun),
        runs=runs.height,
        runs_update=runs_update.height,
        prompts=prompts.height,
        models=models.height,
        prices=prices.height,
        prices_update=prices_update.height,
        leaderboard=write_board(out),
    )
    return counts


def write_board(out: Path) -> int:
    """The default leaderboard (edition latest), which the app paints at its first launch."""
    from tokenscope.data import board_cache
    from tokenscope.data.loader import load_dataset

    previous = os.environ.get("TOKENSCOPE_BUNDLED_DIR")
    os.environ["TOKENSCOPE_BUNDLED_DIR"] = str(out)
    try:
        return board_cache.write_shipped(load_dataset("bundled", edition=editions.DEFAULT_EDITION))
    finally:
        if previous is None:
            del os.environ["TOKENSCOPE_BUNDLED_DIR"]
        else:
            os.environ["TOKENSCOPE_BUNDLED_DIR"] = previous


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument(
        "--update",
        type=Path,
        default=None,
        help="upstream's newer files (default: beside --source, else ../shared/data/)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--board-only",
        action="store_true",
        help="only rewrite leaderboard.json from the Parquet files already in --out",
    )
    args = parser.parse_args(argv)
    if args.board_only:
        print(f"leaderboard={write_board(args.out)}")
        return 0
    if not (args.source / "evalset").is_dir():
        print(f"error: {args.source} does not hold the study's raw files", file=sys.stderr)
        return 2
    update = args.update or find_raw_update(args.source) or DEFAULT_UPDATE
    if not (update / "MANIFEST.tsv").is_file():
        print(f"error: {update} does not hold upstream's newer files", file=sys.stderr)
        return 2
    try:
        counts = build(args.source, update, args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
