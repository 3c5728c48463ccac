"""Integrations with RL training stacks (docs/integrations.md).

- `export`: sampled instances as training rows (`plain`, `verl`, `trl` schemas),
  JSON lines or Parquet, with deterministic train/test splits.
- `registry`: finds environments by qualified name for reward functions
  (RACESDSL_SPECS, RACESDSL_PACKAGES) and re-scores exported rows.
- `verl`: `compute_score` for verl's `reward.custom_reward_function`.
- `trl`: `reward_function` for TRL's `GRPOTrainer(reward_funcs=[...])`.

Nothing here imports a trainer: the modules only speak the trainers' data
conventions, so they work (and are tested) without verl, TRL or torch. Each is
imported on its own; this package imports nothing eagerly."""
