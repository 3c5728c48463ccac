"""Automatic composition search (`racesdsl enumerate`): new tasks from base envs.

An env `X -> Y` followed by one `Y -> Z` is a new verifiable task, so the
search is the RACES paper's type-indexed randomized breadth-first search:
base envs are indexed by the envs that may follow them (`seq_links`, decided
by the real fusion checker: a link may fix params at their defaults or feed one
input, `gcd2(hi=100)[a]`); level k extends level k-1 chains by random legal
successors. Candidates come round-robin over (depth, op): `seq` and `sort` of
a chain, `select` of a chain plus 1-3 distractors taking the same kind of
input as its first stage, `par` of 2..depth independent envs or chains (depth
counts base stages, not distractors).

Each candidate is judged by `racesdsl.compose.judge.Judge`: the fusion
checker on its AST, then an execution filter over `samples` seeds (at least
`judge.STAT_SAMPLES`; the rejection reasons are `racesdsl.compose.judge.REASONS`).
A survivor whose final results coincide on every probe with an earlier
survivor's (`judge._signature`) is a `duplicate`: decided here, in candidate order.

Candidates are generated in the parent from one `random.Random(seed)`; only
judging runs in workers, and verdicts are read back in candidate order, so
the output is the same for any number of workers."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from racesdsl.compose.graph import Link, seq_links
from racesdsl.compose.judge import REASONS, STAT_SAMPLES, Judge
from racesdsl.ir import Program
from racesdsl.parallel import worker_pool
from racesdsl.runtime import types as T
from racesdsl.syntax import ast as A
from racesdsl.syntax.printer import print_comp, print_module

__all__ = ["OPS", "EnumerationResult", "Survivor", "enumerate_compositions"]

OPS = ("seq", "par", "sort", "select")
CHUNK = 16  # candidates per worker task: small enough to stop soon after the limit
FANOUT = 3  # successors tried per chain when a level is extended (level 2 takes them all)
MAX_DEPTH = 7  # a `select` pool holds at most 8 steps and needs one distractor


@dataclass(frozen=True)
class Survivor:
    """A kept composition: its name in `.source`, operator, depth and AST."""

    name: str
    op: str
    depth: int
    expr: A.OpExpr

    @property
    def text(self) -> str:
        return print_comp(self.expr)


@dataclass
class EnumerationResult:
    """`.source` is a `.races` module; check it with `search_path` as extra `use` folders."""

    source: str
    stats: dict[str, Any]
    survivors: list[Survivor]
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (composition, reason), in order
    search_path: list[Path] = field(default_factory=list)


# ------------------------------------------------------------------- search


def _family(t: T.TType) -> str:
    """A coarse shape of a type: steps in one select pool must take the same shape."""
    if isinstance(t, (T.TList, T.TSet)):
        return f"{type(t).__name__}[{_family(t.elem)}]"
    if isinstance(t, T.TTuple):
        return "Tuple[" + ",".join(_family(x) for x in t.items) + "]"
    if isinstance(t, T.TRecord):
        return "Record[" + ",".join(n for n, _ in t.fields) + "]"
    return "Num" if isinstance(t, (T.TInt, T.TFloat)) else type(t).__name__


class _Search:
    """The candidate stream: deterministic for one `random.Random`."""

    def __init__(self, judge: Judge, links: list[Link], ops: Sequence[str], lo: int, hi: int,
                 rng: random.Random, cap: int) -> None:
        self.judge, self.ops, self.lo, self.hi, self.rng, self.cap = judge, ops, lo, hi, rng, cap
        self.names = sorted(judge.envs)
        self.links = {(link.a, link.b): link for link in links}
        self.succ: dict[str, list[str]] = {}
        for link in links:
            self.succ.setdefault(link.a, []).append(link.b)
        self.levels = self._levels(cap)
        self.pools: dict[str, list[str]] = {}  # input family -> envs that can act on such a value
        for q in self.names if "select" in ops else ():
            if self.judge.describable(q):
                self.pools.setdefault(self._family(q), []).append(q)

    def _family(self, qualname: str) -> str:
        env = self.judge.envs[qualname]
        return _family(env.inputs[0].type) if env.inputs else ""

    def _levels(self, cap: int) -> dict[int, list[tuple[str, ...]]]:
        levels = {1: [(n,) for n in self.names]}
        for k in range(2, self.hi + 1):
            nxt: list[tuple[str, ...]] = []
            for chain in levels[k - 1]:
                succ = self.succ.get(chain[-1], [])
                if k > 2:  # the middle env's params must be fixed (or free) in both of its links
                    fixed = self.links[chain[-2], chain[-1]].fix_b
                    succ = [b for b in succ if self.links[chain[-1], b].fix_a == fixed]
                picks = succ if k == 2 else self.rng.sample(succ, min(FANOUT, len(succ)))
                nxt.extend((*chain, b) for b in picks)
                if len(nxt) >= cap:
                    break
            self.rng.shuffle(nxt)
            levels[k] = nxt[:cap]
        return levels

    def candidates(self) -> Iterator[tuple[str, int, A.OpExpr]]:
        """(op, depth, expr), round-robin over every (depth, op) until each runs dry."""
        makers = {"seq": self._chains, "sort": self._chains, "select": self._selects, "par": self._pars}
        streams = {(d, op): makers[op](op, d) for d in range(self.lo, self.hi + 1) for op in self.ops}
        while streams:
            for key in list(streams):
                expr = next(streams[key], None)
                if expr is None:
                    del streams[key]
                else:
                    yield key[1], key[0], expr

    def _chain(self, op: str, chain: tuple[str, ...], distractors: Sequence[str] = ()) -> A.OpExpr:
        """The stages of a chain, each as its links need it: params fixed at their defaults
        when a link on either side says so, fed through the port its incoming link names."""
        fixed: list[bool] = [False] * len(chain)
        ports: list[str | None] = [None] * len(chain)
        for i, pair in enumerate(zip(chain, chain[1:], strict=False)):
            link = self.links[pair]
            fixed[i] |= link.fix_a
            fixed[i + 1] |= link.fix_b
            ports[i + 1] = link.port
        stages = tuple(map(self.judge.ref, chain, fixed, ports))
        return A.OpExpr(op, stages, (), tuple(map(self.judge.ref, distractors)))

    def _chains(self, op: str, d: int) -> Iterator[A.OpExpr]:
        order = list(self.levels[d])
        self.rng.shuffle(order)
        for chain in order:
            yield self._chain(op, chain)

    def _selects(self, op: str, d: int) -> Iterator[A.OpExpr]:
        order = list(self.levels[d])
        self.rng.shuffle(order)
        for chain in order:
            family = self._family(chain[0])
            pool = [q for q in self.pools.get(family, []) if q not in chain]
            if chain[0] in self.pools.get(family, ()) and pool:
                k = self.rng.randint(1, min(3, len(pool), 8 - d))
                yield self._chain(op, chain, self.rng.sample(pool, k))

    def _pars(self, op: str, d: int, patience: int = 200) -> Iterator[A.OpExpr]:
        seen: set[str] = set()
        misses = 0
        while misses < patience and len(seen) < self.cap:
            k = self.rng.randint(2, d)
            cuts = sorted(self.rng.sample(range(1, d), k - 1))
            sizes = [b - a for a, b in zip([0, *cuts], [*cuts, d], strict=True)]
            parts = [self._part(s) for s in sizes]
            texts = [print_comp(p) for p in parts if p is not None]
            expr = A.OpExpr(op, tuple(p for p in parts if p is not None))
            text = print_comp(expr)
            if len(set(texts)) < k or text in seen:
                misses += 1
                continue
            misses = 0
            seen.add(text)
            yield expr

    def _part(self, size: int) -> A.StageRef | A.OpExpr | None:
        if size == 1:
            return self.judge.ref(self.rng.choice(self.names))
        level = self.levels.get(size)
        return self._chain("seq", self.rng.choice(level)) if level else None


# ---------------------------------------------------------- parallel judging

_WORKER: Judge | None = None


def _init_worker(paths: list[str], search_path: list[str], module: str) -> None:
    """Load the specs once per worker (a forked worker may have inherited them)."""
    global _WORKER
    if _WORKER is None or _WORKER.key != (paths, search_path, module):
        _WORKER = Judge(paths, search_path, module)


def _link_rows(rows: list[str]) -> list[Link]:
    """`seq_links` from some first envs: the fusion graph is computed by the workers too."""
    assert _WORKER is not None, "worker not initialised"
    return seq_links(Program(envs=_WORKER.envs), firsts=rows)


def _judge_chunk(chunk: list[tuple[int, A.OpExpr]], samples: int) -> list[tuple[str | None, str]]:
    assert _WORKER is not None, "worker not initialised"
    return [_WORKER.verdict(i, expr, samples) for i, expr in chunk]


# ------------------------------------------------------------------ driver


def enumerate_compositions(
    paths: Sequence[str | Path], *, ops: Sequence[str] = OPS, depth: int | tuple[int, int] = (2, 4),
    limit: int = 1000, seed: int = 0, samples: int = 8, workers: int = 1, time_budget: float | None = None,
    search_path: Sequence[str | Path] = (), module: str = "enumerated", start_method: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EnumerationResult:
    """Search compositions of the base envs declared in `paths`; keep up to `limit`.

    `module` is the output file's stem: candidates are judged under their final
    names (`module.c_<candidate number>`), so the written file's instances for
    seeds 0..samples-1 are exactly those that passed the filter. Raises
    `SpecError` when the specs have errors, `InputError` for bad paths and
    `ValueError` for bad arguments. `progress(tried, kept)` is called after each
    chunk; `start_method` picks the multiprocessing start method (default: the
    platform's)."""
    start = time.perf_counter()
    lo, hi = (depth, depth) if isinstance(depth, int) else depth
    bad = [op for op in ops if op not in OPS]
    if bad or not ops or not 2 <= lo <= hi <= MAX_DEPTH or min(limit + 1, samples, workers) < 1 \
            or not module.isidentifier():
        raise ValueError(f"bad arguments: ops {list(ops)} (known: {', '.join(OPS)}), depth {lo}..{hi} (within "
                         f"2..{MAX_DEPTH}), limit {limit}, samples {samples}, workers {workers}, module {module!r}")
    ops = [op for op in OPS if op in ops]
    global _WORKER
    judge = _WORKER = Judge(paths, search_path, module)  # set before forking: forked workers reuse it
    try:
        if any(use.module[0] != "std" and use.module[-1] == module for _, use in judge.bindings.values()):
            raise ValueError(f"the output module `{module}` would import itself: give it another name")
        ctx = multiprocessing.get_context(start_method)
        # workers=1 judges in this process (one thread, so `_pump` is the same code either way).
        pool = ThreadPoolExecutor(1) if workers == 1 else worker_pool(
            workers, mp_context=ctx, initializer=_init_worker, initargs=judge.key)
        with pool:
            names = sorted(judge.envs)
            rows = [names[i:i + 8] for i in range(0, len(names), 8)]
            links = [lk for part in pool.map(_link_rows, rows) for lk in part]  # == seq_links(...), in order
            search = _Search(judge, links, ops, lo, hi, random.Random(seed), cap=2 * max(limit, 1000))
            setup = time.perf_counter() - start
            stream = ((i, *c) for i, c in enumerate(search.candidates(), 1))
            chunks = iter(lambda: list(islice(stream, CHUNK)), [])
            tally = _Tally(ops, lo, hi, limit, progress)
            deadline = float("inf") if time_budget is None else start + time_budget
            stopped = _pump(pool, chunks, tally, samples, deadline, 1 if workers == 1 else 3 * workers)
    finally:
        _WORKER = None
    elapsed = time.perf_counter() - start
    tally.stats.update(
        stopped=stopped, envs=len(judge.envs), seq_edges=sum(lk.plain for lk in links), links=len(links),
        seed=seed, samples=max(samples, STAT_SAMPLES), ops=ops,
        depth=[lo, hi], limit=limit,
        timing={"seconds": round(elapsed, 3), "setup_seconds": round(setup, 3), "workers": workers,
                "candidates_per_second": round(tally.stats["tried"] / max(elapsed - setup, 1e-9), 1)})
    return EnumerationResult(_source(judge, tally.survivors, seed, ops, lo, hi), tally.stats, tally.survivors,
                             tally.rejected, judge.roots)


def _pump(pool: Executor, chunks: Iterator[list], tally: _Tally, samples: int, deadline: float, ahead: int) -> str:
    """Keep `ahead` chunks in flight, read verdicts back in candidate order; says why it stopped."""
    pending: deque = deque()
    try:
        while not tally.full and time.perf_counter() <= deadline:
            while len(pending) < ahead and (chunk := next(chunks, None)):
                pending.append((chunk, pool.submit(_judge_chunk, [(i, e) for i, _, _, e in chunk], samples)))
            if not pending:
                return "exhausted"
            chunk, future = pending.popleft()
            tally.add(chunk, future.result())
        return "limit" if tally.full else "time_budget"
    finally:
        for _, future in pending:
            future.cancel()


class _Tally:
    """Verdicts read back in candidate order: the counts, survivors and rejections."""

    def __init__(self, ops: Sequence[str], lo: int, hi: int, limit: int,
                 progress: Callable[[int, int], None] | None) -> None:
        self.limit, self.progress = limit, progress
        self.survivors: list[Survivor] = []
        self.rejected: list[tuple[str, str]] = []
        self.seen: set[str] = set()  # the final-results digests of the survivors so far
        self.stats: dict[str, Any] = {
            "tried": 0, "kept": 0, "rejected": dict.fromkeys(REASONS, 0),
            "by_depth": {str(d): {"tried": 0, "kept": 0} for d in range(lo, hi + 1)},
            "by_op": {op: {"tried": 0, "kept": 0} for op in ops}}

    @property
    def full(self) -> bool:
        return len(self.survivors) >= self.limit

    def add(self, chunk: list, verdicts: list[tuple[str | None, str]]) -> None:
        s = self.stats
        for (index, op, d, expr), (reason, digest) in zip(chunk, verdicts, strict=True):
            if self.full:
                break
            if reason is None:
                reason = "duplicate" if digest in self.seen else None
                self.seen.add(digest or f"#{index}")  # "": comparable with nothing
            for key in ("tried", "kept") if reason is None else ("tried",):
                s[key] += 1
                s["by_depth"][str(d)][key] += 1
                s["by_op"][op][key] += 1
            if reason is None:
                self.survivors.append(Survivor(f"c_{index}", op, d, expr))
            else:
                s["rejected"][reason] += 1
                self.rejected.append((print_comp(expr), reason))
        if self.progress is not None:
            self.progress(s["tried"], s["kept"])


def _source(judge: Judge, survivors: list[Survivor], seed: int, ops: Sequence[str], lo: int, hi: int) -> str:
    """The survivors as a module: the `use` lines they need, then one `compose` each."""
    used = {ref.name[0] for s in survivors for ref in _refs(s.expr)}
    uses = [use for bind, use in judge.bindings.values() if bind in used]
    decls = [*uses, *(A.ComposeDecl(s.name, None, s.expr) for s in survivors)]
    header = (f"# Generated by `racesdsl enumerate` (ops {','.join(ops)}, depth {lo}..{hi}, seed {seed}): "
              f"{len(survivors)} composition{'' if len(survivors) == 1 else 's'}.\n\n")
    return header + print_module(A.Module(judge.scope.name, "<enumerate>", tuple(decls)))


def _refs(expr: A.CompExpr) -> Iterator[A.StageRef]:
    if isinstance(expr, A.StageRef):
        yield expr
        return
    for sub in (*expr.stages, *expr.distractors):
        yield from _refs(sub)
