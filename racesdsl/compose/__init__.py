"""Composition tooling over checked programs.

- `racesdsl.compose.graph`: the fusion graph of a program's base environments:
  every legal `seq(A, B)` edge (decided by the real fusion checker,
  `racesdsl.check.fusion`), summary statistics (how many envs, edges, how many
  envs have both an in- and an out-edge) and a Graphviz DOT rendering grouped
  by module. `python -m racesdsl.compose.graph specs` prints the statistics.
"""
