"""Reserved words of the language (docs/language.md §2)."""

KEYWORDS = frozenset("""
use as type env compose param input draw let output where prompt step solve sample
verify answer python exact tolerance unordered seq par sort select distractors
true false and or not in if else for
check none
""".split())

TYPE_NAMES = frozenset("Int Float Bool Str Enum List Set Tuple OneOf Map Optional".split())

RESERVED = KEYWORDS | TYPE_NAMES

# Bounds of a type parameter (`env sort_list[T: Ord]`), weakest first: each allows what the
# ones before it allow. Names, not reserved words: they only mean this after `T:`.
BOUNDS = ("Any", "Eq", "Ord", "Num")

PARAM_RESERVED = frozenset({"seed", "self", "inputs"})
"""Not reserved words, but a param cannot take these names: `env.sample(seed, **params)` and
`env.solve(inputs, **params)` take them as their own arguments (docs/language.md §2). (A param
named `level` is fine: `sample` gives it the `level` argument.)"""
