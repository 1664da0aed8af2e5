"""Sentences for the built-in corpus: a small grammar and diphone-greedy selection.

A pool of sentences is generated from a built-in vocabulary of common English
words and a handful of sentence patterns (deterministic for a seed). The
sentences are transcribed by eSpeak NG in the ``en-US`` dialect and chosen
greedily for diphone coverage: each step takes the pool sentence with the
highest score ``sum over its distinct diphones d of 1 / (1 + n_d)**2``, where
``n_d`` counts the chosen sentences that already contain ``d`` (the earliest
in the pool on a tie). Unseen
diphones dominate the score, and once they run out, rare ones do. The
selection of ``n`` sentences is the first ``n`` of one greedy order, so a
larger request extends a smaller one.
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse

from mtlsynth.utils.progress import Progress

__all__ = [
    "diphones",
    "generate_sentences",
    "select_sentences",
]

_NAMES = """Anna Ben Chloe David Emma Frank George Hannah Isaac Julia Kevin Laura
Martin Nora Oliver Paula Quentin Rachel Samuel Tessa Victor Wendy Yusuf Zoe
Joseph Judy Charles Sophie Theo Vera Hugo Irene""".split()

_ADJECTIVES = """old young big small quiet loud bright dark warm cold heavy light
clean dirty early late happy angry busy lazy strong weak smooth rough sharp
soft yellow purple orange green brown white black golden silver narrow wide
fresh stale strange usual pleasant awful careful cheerful shy proud cheap
expensive noisy thick thin deep shallow huge tiny ancient modern foreign local
hungry thirsty curious jealous genuine casual visual unusual royal loyal""".split()

_NOUNS = """garden kitchen window mountain river village teacher doctor farmer
sailor driver singer painter baker neighbour cousin daughter brother mother
father husband engine bottle basket pocket blanket pillow ladder hammer
candle mirror jacket button guitar violin trumpet piano treasure measure
pleasure vision television garage beige leisure bridge orchard judge
chimney cherry cheese peach ship shoe sheep fish bush wheel whistle thumb
thunder theatre weather feather mouth tooth path bath birthday holiday
journey monkey turkey donkey oyster toy coin boy voice noise choice point
cow house mouse cloud crowd owl tower flower hour shower queen squirrel
zebra zoo lizard puzzle breeze cheetah jungle giraffe jewel juice orange
yacht yard youth union music museum newspaper pupil student tune""".split()

_PAST_VERBS = """found saw carried painted pushed pulled washed watched fixed
mixed caught bought brought taught thought kept helped opened closed
answered borrowed ordered measured changed judged chose lost won heard
touched reached stretched dropped stopped grabbed hugged joined enjoyed
avoided noticed showed followed wrapped crushed polished admired""".split()

_BASE_VERBS = """find see carry paint push pull wash watch fix mix catch buy
bring teach keep help open close answer borrow order measure change judge
choose lose win hear touch reach stretch drop stop grab hug join enjoy avoid
notice show follow wrap crush polish admire""".split()

_ADVERBS = """quickly slowly quietly loudly gently roughly rarely usually
yesterday tomorrow tonight today early later outside upstairs downstairs
together anyway always never sometimes""".split()

_PLACES = """at the station | in the garden | on the roof | near the bridge |
under the table | behind the theatre | beside the river | through the tunnel |
across the valley | inside the museum | over the hedge | around the village |
along the shore | beyond the hills | at the zoo | in the garage""".split("|")

_NUMBERS = """two three four five six seven eight nine ten eleven twelve twenty
thirty forty fifty hundred""".split()

_PLURALS = """apples oranges boxes watches horses houses clothes shoes
cheeses stories ladies knives leaves wolves mice geese children women
bridges judges pages voices noises months years thousands toys coins""".split()

_PATTERNS = (
    "The {adj} {noun} {past} the {adj2} {noun2} {place}.",
    "{name} {past} {num} {plural} {place}.",
    "Did the {noun} {base} the {noun2} {adv}?",
    "We will {base} the {adj} {noun} {adv}, said {name}.",
    "{name} thought that the {noun} was {adj} and {adj2}.",
    "Please {base} my {adj} {noun} {place}.",
    "How many {plural} can {name} {base} {adv}?",
    "Every {noun} {past} a {adj} {noun2}, but {name} never did.",
    "Why is the {noun} so {adj} {place}?",
    "{name} and {name2} {past} the {noun} {adv}.",
    "If the {noun} is {adj}, {base} it {place}.",
    "Her {adj} {noun} {past} {num} {plural} {adv}.",
)


def _fill(pattern: str, rng: np.random.Generator) -> str:
    def pick(words: list[str]) -> str:
        return words[int(rng.integers(len(words)))]

    adj, adj2 = pick(_ADJECTIVES), pick(_ADJECTIVES)
    noun, noun2 = pick(_NOUNS), pick(_NOUNS)
    name, name2 = pick(_NAMES), pick(_NAMES)
    text = pattern.format(
        adj=adj,
        adj2=adj2,
        noun=noun,
        noun2=noun2,
        name=name,
        name2=name2,
        past=pick(_PAST_VERBS),
        base=pick(_BASE_VERBS),
        adv=pick(_ADVERBS),
        place=pick(_PLACES).strip(),
        num=pick(_NUMBERS),
        plural=pick(_PLURALS),
    )
    text = text.replace(" a a", " an a").replace(" a e", " an e")
    text = text.replace(" a i", " an i").replace(" a o", " an o")
    text = text.replace(" a u", " an u")
    return text[0].upper() + text[1:]


def generate_sentences(n: int, *, seed: int = 0) -> list[str]:
    """Distinct sentences from the built-in grammar.

    Parameters
    ----------
    n : int
        Number of sentences.
    seed : int, default=0
        Random seed; the result is a deterministic function of ``n`` and
        ``seed``, and a larger ``n`` extends a smaller one.

    Returns
    -------
    list of str
        ``n`` distinct sentences.
    """
    rng = np.random.default_rng(seed)
    seen: set[str] = set()
    out: list[str] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise ValueError(f"cannot generate {n} distinct sentences")
        text = _fill(_PATTERNS[int(rng.integers(len(_PATTERNS)))], rng)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def diphones(transcription: list[str]) -> set[tuple[str, str]]:
    """Diphones of an eSpeak transcription, stress marks removed.

    Parameters
    ----------
    transcription : list of str
        Clauses as returned by ``text_to_phoneme_string``: words separated by
        spaces, phonemes by ``_``.

    Returns
    -------
    set of tuple of str
        Adjacent phone pairs, including ``pau`` at clause edges.
    """
    pairs: set[tuple[str, str]] = set()
    for clause in transcription:
        phones = ["pau"]
        for word in clause.split():
            phones += [p.lstrip("',") for p in word.split("_") if p.lstrip("',")]
        phones.append("pau")
        pairs.update(zip(phones[:-1], phones[1:], strict=True))
    return pairs


def _diphone_matrix(pool: list[str], bar: Progress) -> scipy.sparse.csr_matrix:
    """Sentence-by-diphone incidence of a pool, transcribed in ``en-US``."""
    from mtlsynth.speech import frontend

    vocab: dict[tuple[str, str], int] = {}
    rows, cols = [], []
    for i, text in enumerate(pool):
        for d in sorted(
            diphones(frontend.text_to_phoneme_string(text, dialect="en-US"))
        ):
            rows.append(i)
            cols.append(vocab.setdefault(d, len(vocab)))
        bar.update()
    return scipy.sparse.csr_matrix(
        (np.ones(len(rows)), (rows, cols)), shape=(len(pool), len(vocab))
    )


def _row_scores(
    m: scipy.sparse.csr_matrix, rows: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """``(m @ weights)[rows]``, summed left to right as the sparse product is.

    The terms of each row are summed in storage order by a cumulative sum,
    which is sequential by definition (unlike ``sum``, which pairs terms),
    so the results equal the sparse product's bit for bit.
    """
    start = m.indptr[rows]
    length = m.indptr[rows + 1] - start
    k = np.arange(length.max())
    inside = k < length[:, None]
    cols = m.indices[np.where(inside, start[:, None] + k, 0)]
    terms = np.where(inside, weights[cols], 0.0)
    return np.add.accumulate(terms, axis=1)[:, -1]


_INF_BITS = int(np.array(np.inf).view(np.int64))


def _heap_keys(rows: np.ndarray, scores: np.ndarray, shift: int) -> list[int]:
    """Integers that order rows by falling score, then rising row number.

    The bits of a non-negative float, read as an integer, rise with its
    value, so the keys compare as the pairs ``(-score, row)`` do, only
    faster.
    """
    falling = _INF_BITS - scores.view(np.int64)
    return [
        (f << shift) | i for f, i in zip(falling.tolist(), rows.tolist(), strict=True)
    ]


def _pop_stale(
    heap: list[int], scored_at: list[int], step: int, limit: int, mask: int
) -> np.ndarray:
    """Pop up to ``limit`` rows (``key & mask``) off the heap while stale."""
    rows = []
    while heap and len(rows) < limit and scored_at[heap[0] & mask] < step:
        rows.append(heapq.heappop(heap) & mask)
    return np.array(rows, dtype=np.int64)


def _greedy_order(
    m: scipy.sparse.csr_matrix, n: int, bar: Progress, first_batch: int = 16
) -> list[int]:
    """The first ``n`` rows of the greedy diphone-coverage order of ``m``.

    Lazy greedy: a heap keeps every unchosen row under an upper bound of its
    score (its score when last computed; scores only fall as diphones are
    chosen, also in floating point), and only rows at the top are rescored,
    in batches that double until the top row's score is current. That row
    is taken: no bound beats it and ties go to the lowest row, so the order
    is the one a full rescoring at every step gives (``argmax`` of
    ``m @ weights``), bit for bit (see :func:`_row_scores`).
    """
    shift = max(1, m.shape[0].bit_length())
    mask = (1 << shift) - 1
    counts = np.zeros(m.shape[1])
    weights = 1.0 / (1.0 + counts) ** 2
    heap = _heap_keys(np.arange(m.shape[0]), m @ weights, shift)
    heapq.heapify(heap)
    scored_at = [0] * m.shape[0]
    order: list[int] = []
    batch = first_batch
    while len(order) < n:
        step = len(order)
        if scored_at[heap[0] & mask] == step:
            best = heapq.heappop(heap) & mask
            order.append(best)
            cols = m.indices[m.indptr[best] : m.indptr[best + 1]]
            counts[cols] += 1.0
            weights[cols] = 1.0 / (1.0 + counts[cols]) ** 2
            bar.update()
            batch = first_batch
            continue
        rows = _pop_stale(heap, scored_at, step, batch, mask)
        for i, key in zip(
            rows.tolist(),
            _heap_keys(rows, _row_scores(m, rows, weights), shift),
            strict=True,
        ):
            scored_at[i] = step
            heapq.heappush(heap, key)
        batch *= 2
    return order


def select_sentences(
    n: int, *, seed: int = 0, pool_size: int | None = None, progress: bool = False
) -> list[str]:
    """Sentences chosen greedily for diphone coverage.

    Parameters
    ----------
    n : int
        Number of sentences.
    seed : int, default=0
        Seed of the sentence pool.
    pool_size : int, optional
        Pool size; default ``max(2000, 4 * n)``.
    progress : bool, default=False
        Show progress lines on stderr while the pool is transcribed and
        the sentences are chosen.

    Returns
    -------
    list of str
        ``n`` sentences in selection order.
    """
    if n < 1:
        raise ValueError(f"number of sentences must be positive, got {n}")
    pool = generate_sentences(
        max(2000, 4 * n) if pool_size is None else pool_size, seed=seed
    )
    if n > len(pool):
        raise ValueError(f"cannot select {n} sentences from a pool of {len(pool)}")
    m = _diphone_matrix(
        pool, Progress(len(pool), "transcribing sentences", enabled=progress)
    )
    bar = Progress(n, "selecting sentences", enabled=progress)
    return [pool[i] for i in _greedy_order(m, n, bar)]
