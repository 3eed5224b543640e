"""A parser for the model-script (.alls) subset the Hailo Model Zoo uses (hailo.md section 2).

Each non-empty, non-comment line is `[lhs1, lhs2 = ] command(arg, ..., key=value, ...)`.
Unknown commands, unknown keyword arguments, bad values and unknown layer names are errors, as
they are for the real DFC, so a script the project generates is checked, not merely accepted.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from .exceptions import ModelScriptError

PRECISION_MODES = ("a8_w8", "a8_w4", "a16_w16", "a8_w8_a16")
POLICIES = ("enabled", "disabled")

# command -> allowed keyword arguments (None: any keyword is accepted but must parse)
COMMANDS: dict[str, tuple[str, ...]] = {
    "normalization": (),
    "model_optimization_flavor": ("optimization_level", "compression_level", "batch_size"),
    "model_optimization_config": ("batch_size", "calibset_size", "policy", "multiproc_policy"),
    "quantization_param": ("precision_mode", "force_range_out", "bias_mode", "quantization_groups"),
    "change_output_activation": (),
    "pre_quantization_optimization": ("policy",),
    "post_quantization_optimization": ("policy", "epochs", "learning_rate", "dataset_size"),
    "performance_param": ("compiler_optimization_level", "fps"),
}

_LINE = re.compile(r"^\s*(?:(?P<lhs>[\w/ ,]+?)\s*=\s*)?(?P<cmd>[a-z_0-9]+)\s*\((?P<args>.*)\)\s*$")


@dataclass
class Command:
    name: str
    lhs: list[str]
    args: list[object]
    kwargs: dict[str, object]
    line_no: int
    text: str


@dataclass
class ModelScript:
    commands: list[Command] = field(default_factory=list)

    def of(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]


def _split_top(s: str) -> list[str]:
    """Split on commas that are not inside brackets, braces, parentheses or quotes."""
    parts, depth, cur, quote = [], 0, [], ""
    for ch in s:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                raise ModelScriptError(f"unbalanced brackets in {s!r}")
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if depth != 0 or quote:
        raise ModelScriptError(f"unbalanced brackets or quotes in {s!r}")
    tail = "".join(cur).strip()
    if tail:
        parts.append(tail)
    return parts


def _value(tok: str) -> object:
    tok = tok.strip()
    if not tok:
        raise ModelScriptError("empty argument")
    if tok[0] == "[":
        if tok[-1] != "]":
            raise ModelScriptError(f"bad list {tok!r}")
        return [_value(t) for t in _split_top(tok[1:-1])]
    if tok[0] == "{":  # a layer glob such as {output_layer*}
        if tok[-1] != "}":
            raise ModelScriptError(f"bad layer glob {tok!r}")
        return Glob(tok[1:-1].strip())
    if tok[0] in "\"'":
        return tok[1:-1]
    try:
        return int(tok)
    except ValueError:
        pass
    try:
        return float(tok)
    except ValueError:
        pass
    if not re.fullmatch(r"[\w/.\-]+", tok):
        raise ModelScriptError(f"cannot parse argument {tok!r}")
    return Name(tok)


class Name(str):
    """A bare identifier (a layer name or an enum value such as a16_w16)."""


class Glob(str):
    """A {pattern} of layer names."""


def parse(text: str) -> ModelScript:
    script = ModelScript()
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _LINE.match(line)
        if not m:
            raise ModelScriptError(f"model script line {no}: cannot parse {raw.strip()!r}")
        cmd = m.group("cmd")
        if cmd not in COMMANDS:
            raise ModelScriptError(
                f"model script line {no}: unknown command {cmd!r} "
                f"(known to this fake: {', '.join(sorted(COMMANDS))})"
            )
        args: list[object] = []
        kwargs: dict[str, object] = {}
        for tok in _split_top(m.group("args")):
            if re.match(r"^[a-z_]+\s*=", tok) and not tok.startswith(("[", "{")):
                k, v = tok.split("=", 1)
                k = k.strip()
                if k not in COMMANDS[cmd]:
                    raise ModelScriptError(
                        f"model script line {no}: {cmd}() takes no keyword {k!r} "
                        f"(allowed: {', '.join(COMMANDS[cmd]) or 'none'})"
                    )
                kwargs[k] = _value(v)
            else:
                if kwargs:
                    raise ModelScriptError(f"model script line {no}: positional after keyword")
                args.append(_value(tok))
        lhs = [s.strip() for s in (m.group("lhs") or "").split(",") if s.strip()]
        script.commands.append(Command(cmd, lhs, args, kwargs, no, raw.strip()))
    return script


def _floats(v: object, what: str, line: int) -> list[float]:
    if not isinstance(v, list) or not all(isinstance(x, (int, float)) for x in v):
        raise ModelScriptError(f"model script line {line}: {what} must be a list of numbers")
    return [float(x) for x in v]


def resolve_layers(target: object, layer_names: list[str], net: str, line: int) -> list[str]:
    """A layer name, [list] or {glob} -> names known to the model (scope prefix optional)."""
    items = target if isinstance(target, list) else [target]
    out: list[str] = []
    for it in items:
        if isinstance(it, Glob):
            pat = it.split("/", 1)[1] if it.startswith(net + "/") else it
            hit = [n for n in layer_names if fnmatch.fnmatchcase(n, pat)]
            if not hit:
                raise ModelScriptError(f"model script line {line}: {{{it}}} matches no layer")
            out.extend(hit)
        elif isinstance(it, Name):
            name = it.split("/", 1)[1] if it.startswith(net + "/") else str(it)
            if name not in layer_names:
                raise ModelScriptError(
                    f"model script line {line}: no layer named {it!r} in {net} "
                    f"(layers: {', '.join(layer_names)})"
                )
            out.append(name)
        else:
            raise ModelScriptError(f"model script line {line}: {it!r} is not a layer name")
    return out


@dataclass
class ScriptEffects:
    """What the fake emulates from a validated script."""

    normalization: tuple[list[float], list[float]] | None = None
    precision: dict[str, str] = field(default_factory=dict)  # layer -> precision mode
    calibset_size: int | None = None
    optimization_level: int | None = None


def validate(
    script: ModelScript, layer_names: list[str], net: str, input_channels: int
) -> ScriptEffects:
    fx = ScriptEffects()
    for c in script.commands:
        if c.name == "normalization":
            if len(c.lhs) != 1 or not re.fullmatch(r"normalization\d+", c.lhs[0]):
                raise ModelScriptError(
                    f"model script line {c.line_no}: write `normalization1 = normalization(...)`"
                )
            if len(c.args) != 2:
                raise ModelScriptError(
                    f"model script line {c.line_no}: normalization(mean_list, std_list)"
                )
            mean = _floats(c.args[0], "mean", c.line_no)
            std = _floats(c.args[1], "std", c.line_no)
            if len(mean) != input_channels or len(std) != input_channels:
                raise ModelScriptError(
                    f"model script line {c.line_no}: normalization has {len(mean)} means and "
                    f"{len(std)} stds but the input layer has {input_channels} channels (NHWC C)"
                )
            if any(s <= 0 for s in std):
                raise ModelScriptError(f"model script line {c.line_no}: std must be > 0")
            if fx.normalization is not None:
                raise ModelScriptError(f"model script line {c.line_no}: a second normalization")
            fx.normalization = (mean, std)
        elif c.name == "quantization_param":
            if len(c.args) != 1:
                raise ModelScriptError(
                    f"model script line {c.line_no}: quantization_param(<layers>, key=value)"
                )
            layers = resolve_layers(c.args[0], layer_names, net, c.line_no)
            if "precision_mode" in c.kwargs:
                mode = str(c.kwargs["precision_mode"])
                if mode not in PRECISION_MODES:
                    raise ModelScriptError(
                        f"model script line {c.line_no}: precision_mode {mode!r} is not one of "
                        f"{', '.join(PRECISION_MODES)}"
                    )
                for n in layers:
                    fx.precision[n] = mode
            if "force_range_out" in c.kwargs:
                _floats(c.kwargs["force_range_out"], "force_range_out", c.line_no)
        elif c.name == "model_optimization_config":
            if not c.args or str(c.args[0]) not in ("calibration", "globals", "checker_cfg"):
                raise ModelScriptError(
                    f"model script line {c.line_no}: model_optimization_config(calibration, ...)"
                )
            for k in ("batch_size", "calibset_size"):
                if k in c.kwargs and (not isinstance(c.kwargs[k], int) or c.kwargs[k] < 1):
                    raise ModelScriptError(f"model script line {c.line_no}: {k} must be int >= 1")
            if "calibset_size" in c.kwargs:
                fx.calibset_size = int(c.kwargs["calibset_size"])  # type: ignore[arg-type]
        elif c.name == "model_optimization_flavor":
            lvl = c.kwargs.get("optimization_level")
            if lvl is not None and (not isinstance(lvl, int) or not 0 <= lvl <= 4):
                raise ModelScriptError(
                    f"model script line {c.line_no}: optimization_level must be 0..4"
                )
            comp = c.kwargs.get("compression_level")
            if comp is not None and (not isinstance(comp, int) or not 0 <= comp <= 5):
                raise ModelScriptError(
                    f"model script line {c.line_no}: compression_level must be 0..5"
                )
            fx.optimization_level = lvl  # type: ignore[assignment]
        elif c.name in ("pre_quantization_optimization", "post_quantization_optimization"):
            pol = c.kwargs.get("policy")
            if pol is not None and str(pol) not in POLICIES:
                raise ModelScriptError(
                    f"model script line {c.line_no}: policy must be enabled or disabled"
                )
        elif c.name == "change_output_activation":
            if len(c.args) != 2:
                raise ModelScriptError(
                    f"model script line {c.line_no}: change_output_activation(layer, activation)"
                )
            resolve_layers(c.args[0], layer_names, net, c.line_no)
            raise ModelScriptError(
                f"model script line {c.line_no}: change_output_activation is parsed but not "
                "emulated by this fake; remove it or extend the fake"
            )
    return fx
