"""Pipeline configuration: plain dicts (from YAML) validated into frozen, hashable dataclasses.

Field names equal the option names of the pipeline file, so a config can be written back
(``to_block``) and varied option by option in uncertainty analysis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from hizone.errors import HizoneError

# The canonical order of the data-transforming steps; `weight` may sit anywhere before `aggregate`.
STEP_ORDER = ("denominate", "impute", "screen", "treat", "normalise", "aggregate")
STEP_NAMES = (*STEP_ORDER, "weight")
# The stage each step produces (the stage of an omitted step equals the previous stage).
STAGES = ("raw", "denominated", "imputed", "screened", "treated", "normalised", "aggregated")
STAGE_OF_STEP = dict(zip(STEP_ORDER, STAGES[1:], strict=True))

IMPUTE_METHODS = ("mean", "median", "group_mean", "group_median", "none")
TREAT_METHODS = ("winsorise", "none")
TREAT_FALLBACKS = ("log_ct", "none")
NORMALISE_METHODS = ("minmax", "zscore", "rank", "percentile_rank", "dist2max", "dist2target", "goalposts",
                     "none")
NORMALISE_OPTIONS = {
    "minmax": ("range",), "zscore": ("mean", "sd"), "rank": (), "percentile_rank": (), "dist2max": (),
    "dist2target": ("cap_max",), "goalposts": ("goalposts", "scale", "trunc"), "none": (),
}
WEIGHT_METHODS = ("meta", "equal", "given", "pca", "entropy")
AGGREGATE_METHODS = ("arithmetic", "geometric", "harmonic")


@dataclass(frozen=True)
class DenominateConfig:
    name = "denominate"


@dataclass(frozen=True)
class ImputeConfig:
    name = "impute"
    method: str = "mean"
    group: str | None = None


@dataclass(frozen=True)
class ScreenConfig:
    name = "screen"
    min_availability: float = 0.0


@dataclass(frozen=True)
class TreatConfig:
    name = "treat"
    method: str = "winsorise"
    max_points: int = 5
    skew: float = 2.0
    kurtosis: float = 3.5
    fallback: str = "log_ct"


@dataclass(frozen=True)
class NormaliseConfig:
    name = "normalise"
    method: str = "minmax"
    range: tuple[float, float] = (0.0, 100.0)
    mean: float = 0.0
    sd: float = 1.0
    cap_max: bool = False
    goalposts: tuple[tuple[str, float, float], ...] = ()  # (iCode, lower, upper); else iMeta columns
    scale: float = 1.0
    trunc: bool = True


@dataclass(frozen=True)
class WeightConfig:
    name = "weight"
    method: str = "meta"
    weights: tuple[tuple[str, float], ...] = ()

    @property
    def given(self) -> dict[str, float]:
        return dict(self.weights)


@dataclass(frozen=True)
class AggregateConfig:
    name = "aggregate"
    method: str = "arithmetic"


StepConfig = (DenominateConfig | ImputeConfig | ScreenConfig | TreatConfig | NormaliseConfig | WeightConfig
              | AggregateConfig)


@dataclass(frozen=True)
class PipelineConfig:
    """The ordered steps of one index build; hashable, so runs can be cached by configuration."""

    steps: tuple[StepConfig, ...] = field(default_factory=tuple)

    def step(self, name: str) -> StepConfig | None:
        return next((step for step in self.steps if step.name == name), None)

    def replace_step(self, new: StepConfig) -> PipelineConfig:
        if self.step(new.name) is None:
            raise HizoneError(f"the pipeline has no {new.name!r} step to vary")
        return PipelineConfig(tuple(new if step.name == new.name else step for step in self.steps))

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [{step.name: to_block(step)} for step in self.steps]}


def to_block(step: StepConfig) -> dict[str, Any]:
    """The step's options as they would be written in a pipeline file."""
    block: dict[str, Any] = {}
    relevant = ("method", *NORMALISE_OPTIONS[step.method]) if isinstance(step, NormaliseConfig) else None
    for item in fields(step):
        if relevant is not None and item.name not in relevant:
            continue
        value = getattr(step, item.name)
        if item.name == "goalposts":
            value = {code: [lower, upper] for code, lower, upper in value}
        elif item.name == "weights":
            value = dict(value)
        elif isinstance(value, tuple):
            value = list(value)
        block[item.name] = value
    return block


def parse_pipeline(raw: Any, source: str = "pipeline") -> PipelineConfig:
    """Validate a pipeline file's content: ``{steps: [{name: {options}}, ...]}``."""
    if not isinstance(raw, Mapping) or "steps" not in raw:
        raise HizoneError("expected a mapping with a 'steps' list", where=source)
    unknown = set(raw) - {"steps"}
    if unknown:
        raise HizoneError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}", where=source)
    entries = raw["steps"]
    if not isinstance(entries, list):
        raise HizoneError("'steps' must be a list", where=source)
    steps = [_parse_entry(entry, index, source) for index, entry in enumerate(entries, start=1)]
    _check_order(steps, source)
    return PipelineConfig(tuple(steps))


def parse_step(name: str, options: Any, where: str) -> StepConfig:
    """One step block, e.g. ``parse_step("treat", {"max_points": 3}, where)``."""
    if name not in STEP_NAMES:
        raise HizoneError(f"unknown step {name!r} (expected one of {', '.join(STEP_NAMES)})", where=where)
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise HizoneError(f"options of step {name!r} must be a mapping", where=where)
    parser = _PARSERS[name]
    return parser(dict(options), f"{where} {name!r}")


def _parse_entry(entry: Any, index: int, source: str) -> StepConfig:
    where = f"{source}, step {index}"
    if isinstance(entry, str):
        return parse_step(entry, {}, where)
    if not isinstance(entry, Mapping) or len(entry) != 1:
        raise HizoneError("each step must be a mapping with one key, e.g. '- treat: {max_points: 5}'", where=where)
    ((name, options),) = entry.items()
    return parse_step(str(name), options, where)


def _check_order(steps: list[StepConfig], source: str) -> None:
    names = [step.name for step in steps]
    for name in set(names):
        if names.count(name) > 1:
            raise HizoneError(f"step {name!r} appears {names.count(name)} times", where=source)
    ordered = [name for name in names if name != "weight"]
    expected = [name for name in STEP_ORDER if name in ordered]
    if ordered != expected:
        raise HizoneError(f"steps must come in the order {' -> '.join(expected)}", where=source)
    if "weight" in names and "aggregate" in names and names.index("weight") > names.index("aggregate"):
        raise HizoneError("step 'weight' must come before 'aggregate'", where=source)


def _check_keys(options: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in options:
        if key not in allowed:
            expected = ", ".join(allowed) if allowed else "none"
            raise HizoneError(f"unknown option {key!r} (expected: {expected})", where=where)


def _choice(options: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, where: str) -> str:
    value = options.get(key, default)
    if value not in allowed:
        raise HizoneError(f"unknown {key} {value!r} (expected one of {', '.join(allowed)})", where=where)
    return str(value)


def _real(options: Mapping[str, Any], key: str, default: float, where: str) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HizoneError(f"{key} must be a finite number, not {value!r}", where=where)
    return float(value)


def _flag(options: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise HizoneError(f"{key} must be true or false, not {value!r}", where=where)
    return value


def _parse_denominate(options: dict[str, Any], where: str) -> DenominateConfig:
    _check_keys(options, (), where)
    return DenominateConfig()


def _parse_impute(options: dict[str, Any], where: str) -> ImputeConfig:
    _check_keys(options, ("method", "group"), where)
    method = _choice(options, "method", IMPUTE_METHODS, "mean", where)
    group = options.get("group")
    if method.startswith("group_") and not isinstance(group, str):
        raise HizoneError(f"method {method!r} needs 'group': the iData group column", where=where)
    return ImputeConfig(method=method, group=str(group) if group is not None else None)


def _parse_screen(options: dict[str, Any], where: str) -> ScreenConfig:
    _check_keys(options, ("min_availability",), where)
    if "min_availability" not in options:
        raise HizoneError("'min_availability' (a share between 0 and 1) is required", where=where)
    threshold = _real(options, "min_availability", 0.0, where)
    if not 0.0 <= threshold <= 1.0:
        raise HizoneError(f"min_availability must be between 0 and 1, not {threshold}", where=where)
    return ScreenConfig(min_availability=threshold)


def _parse_treat(options: dict[str, Any], where: str) -> TreatConfig:
    _check_keys(options, ("method", "max_points", "skew", "kurtosis", "fallback"), where)
    max_points = options.get("max_points", 5)
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 0:
        raise HizoneError(f"max_points must be a whole number >= 0, not {max_points!r}", where=where)
    return TreatConfig(
        method=_choice(options, "method", TREAT_METHODS, "winsorise", where),
        max_points=max_points,
        skew=_real(options, "skew", 2.0, where),
        kurtosis=_real(options, "kurtosis", 3.5, where),
        fallback=_choice(options, "fallback", TREAT_FALLBACKS, "log_ct", where),
    )


def _parse_normalise(options: dict[str, Any], where: str) -> NormaliseConfig:
    method = _choice(options, "method", NORMALISE_METHODS, "minmax", where)
    _check_keys(options, ("method", *NORMALISE_OPTIONS[method]), where)
    bounds = options.get("range", [0, 100])
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise HizoneError(f"range must be [lower, upper], not {bounds!r}", where=where)
    lower, upper = (_real({"range": value}, "range", 0.0, where) for value in bounds)
    if lower >= upper:
        raise HizoneError(f"range lower {lower} must be below upper {upper}", where=where)
    sd = _real(options, "sd", 1.0, where)
    if sd <= 0:
        raise HizoneError(f"sd must be positive, not {sd}", where=where)
    return NormaliseConfig(
        method=method, range=(lower, upper), mean=_real(options, "mean", 0.0, where), sd=sd,
        cap_max=_flag(options, "cap_max", False, where), goalposts=_parse_goalposts(options, where),
        scale=_real(options, "scale", 1.0, where), trunc=_flag(options, "trunc", True, where),
    )


def _parse_goalposts(options: Mapping[str, Any], where: str) -> tuple[tuple[str, float, float], ...]:
    raw = options.get("goalposts", {})
    if not isinstance(raw, Mapping):
        raise HizoneError("goalposts must map iCode to [lower, upper]", where=where)
    posts: list[tuple[str, float, float]] = []
    for code, pair in raw.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise HizoneError(f"goalposts of {code!r} must be [lower, upper]", where=where)
        lower, upper = (_real({"goalposts": value}, "goalposts", 0.0, where) for value in pair)
        if lower == upper:
            raise HizoneError(f"goalposts of {code!r} are equal", where=where)
        posts.append((str(code), lower, upper))
    return tuple(posts)


def _parse_weight(options: dict[str, Any], where: str) -> WeightConfig:
    _check_keys(options, ("method", "weights"), where)
    method = _choice(options, "method", WEIGHT_METHODS, "meta", where)
    raw = options.get("weights", {})
    if not isinstance(raw, Mapping):
        raise HizoneError("weights must map iCode to a weight", where=where)
    if method == "given" and not raw:
        raise HizoneError("method 'given' needs 'weights': {iCode: weight}", where=where)
    weights = []
    for code, value in raw.items():
        weight = _real({"weight": value}, "weight", 0.0, f"{where}, weight of {code!r}")
        if weight < 0:
            raise HizoneError(f"weight {weight} is negative", where=f"{where}, weight of {code!r}")
        weights.append((str(code), weight))
    return WeightConfig(method=method, weights=tuple(weights))


def _parse_aggregate(options: dict[str, Any], where: str) -> AggregateConfig:
    _check_keys(options, ("method",), where)
    return AggregateConfig(method=_choice(options, "method", AGGREGATE_METHODS, "arithmetic", where))


_PARSERS: dict[str, Any] = {
    "denominate": _parse_denominate, "impute": _parse_impute, "screen": _parse_screen, "treat": _parse_treat,
    "normalise": _parse_normalise, "weight": _parse_weight, "aggregate": _parse_aggregate,
}
