"""Composites -> Python source that rebuilds the same runtime objects.

The loader builds `Composite` objects from the checked IR; this module writes
those very objects out as constructor calls, so a compiled package and
`racesdsl.load()` run one structure. Other spec modules' envs are reached
through relative imports placed after the module's own envs (spec imports
form no cycles, E0204)."""

from __future__ import annotations

from racesdsl.codegen.module import env_ident, module_ident, table_ident
from racesdsl.runtime.composite import Composite, Stage


def _ref(qualname: str, here: str, imports: set[str]) -> str:
    module, name = qualname.split("@")[0].rsplit(".", 1)
    name = qualname[len(module) + 1:]  # an instance's key, `take_first@3f2a...`, or the name
    if module == here:
        return table_ident(name)
    alias = f"_{module_ident(module)}_module"  # `_`-prefixed, so no spec name escapes to it
    imports.add(f"from . import {module_ident(module)} as {alias}")
    return f"{alias}.{table_ident(name)}"


def _stage(stage: Stage, here: str, imports: set[str], indent: str) -> str:
    env = stage.env
    # Inline operators, and named composites with knobs set at the reference (`top3(sort_list.n=5)`,
    # no module binds them), are written out in place.
    if isinstance(env, Composite) and (stage.prefix is None or "(" in env.qualname):
        target = _composite(env, here, imports, indent + "    ")
    else:
        target = _ref(env.qualname, here, imports)
    return (f"Stage({target}, {stage.label!r}, fixed={stage.fixed!r}, knobs={stage.knobs!r}, port={stage.port!r}, "
            f"length_params={stage.length_params!r}, prefix={stage.prefix!r})")


def _composite(c: Composite, here: str, imports: set[str], indent: str) -> str:
    inner = indent + "    "
    def listing(stages: list[Stage]) -> str:
        if not stages:
            return "[]"
        return "[\n" + "".join(f"{inner}    {_stage(s, here, imports, inner)},\n" for s in stages) + f"{inner}]"

    return (f"Composite(\n{inner}qualname={c.qualname!r},\n{inner}doc={c.doc!r},\n{inner}op={c.op!r},\n"
            f"{inner}stages={listing(c.stages)},\n{inner}knob_defaults={c.knob_defaults!r},\n"
            f"{inner}knob_ranges={c.knob_ranges!r},\n{inner}reward={c.reward!r},\n"
            f"{inner}distractors={listing(c.distractors)},\n{indent})")


def composites_source(module: str, composites: list[Composite]) -> tuple[str, list[str]]:
    """The definitions of a module's composites, and the names they bind."""
    imports: set[str] = set()
    defs = [f"{env_ident(c.name)} = {_composite(c, module, imports, '')}" for c in composites]
    late = "  # noqa: E402 (after this module's envs)\n"
    head = "from racesdsl.runtime.composite import Composite, Stage" + late  # isort: first party, then local
    head += "".join(f"\n{line}{late}" for line in sorted(imports)[:1]) + "".join(
        f"{line}{late}" for line in sorted(imports)[1:])
    return "\n\n# Compositions\n\n" + head + "\n" + "\n\n\n".join(defs) + "\n", [c.name for c in composites]
