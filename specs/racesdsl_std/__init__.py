"""Python bindings of the racesdsl standard library (`specs/*.races`).

Each module matches one `.races` module and holds its reference solvers
(`solve python "racesdsl_std.<module>:<function>"`) and custom samplers
(`sample python "..."`). Every function is pure, deterministic and fast, uses
only the Python standard library and takes plain values:

- a solver gets the env's inputs as keyword arguments (plus the params its
  signature names) and returns a plain value of the output type;
- a sampler is called as `fn(rng, **params)` with every param of its env and
  returns a dict of input name -> value, or the bare value for one input.
  Samplers accept `**_` so that one sampler can serve several envs.

Sets travel as sorted lists of distinct items; tuples as tuples, records as
dicts.
"""
