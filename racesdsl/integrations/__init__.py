"""Integrations with RL training stacks (docs/integrations.md).

- `export`: sampled instances as training rows (`plain`, `verl`, `trl` schemas),
  JSON lines or Parquet, with deterministic train/test splits.
- `registry`: finds environments by qualified name for reward functions
  (RACESDSL_SPECS, RACESDSL_PACKAGES) and re-scores exported rows.
- `verl`: `compute_score` for verl's `reward.custom_reward_function`.
- `trl`: `reward_function` for TRL's `GRPOTrainer(reward_funcs=[...])`;
  `trl_stream`: an `IterableDataset` streamed from a `feed` (a fixed mix or a
  curriculum, with exact resume).
- `ground_truth`: composites scored from the exported answer alone.
- `openrlhf`, `slime` (and `labels`, their shared label reader), `verifiers_v1`,
  `skyrl`, `gem_env`: the other trainers' hooks (docs/integrations.md);
  `openenv`: an env served through OpenEnv's environment server.

The verl, TRL, OpenRLHF and slime modules import no trainer: they speak the
trainers' conventions, so they work (and are tested) without them or torch.
`verifiers_v1`, `skyrl` and `gem_env` subclass their library's classes and
need it installed; `openenv` builds its OpenEnv subclasses on first use, so
its OpenEnv-free part works without openenv-core. Each is imported on its
own; this package imports nothing eagerly."""
