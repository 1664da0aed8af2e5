"""Linguistic features: from phone labels to the inputs of linear models.

:class:`LinguisticFeatures` turns a phone sequence into numbers at two
levels:

* the **phone level** (input of a duration model): identity of the current
  phone and of ``context`` neighbours on each side (one-hot over an inventory
  learnt in ``fit``; phones not seen there fall into an "unknown" column, and
  positions beyond the ends of the utterance into a "none" column), the
  phonetic classes of the same phones (from a phone table), stress, the
  position of the phone in its word, phrase (the stretch between pauses) and
  utterance, counts of stressed and of all vowels before and after it in the
  phrase, a question flag on the last phrase; for durations also the current
  phone x (stressed, phrase-final, word-final) and current x next phonetic
  class;
* the **frame level** (input of an acoustic model): the shared phone-level
  columns of every frame's phone, the frame's relative position in its phone
  coarse coded by Gaussian bumps, the phone's log duration in frames, and the
  interactions that let a linear model follow a trajectory through a phone:
  current phone, its classes, the classes and identities of its nearest
  neighbours, stress, phrase position and syllable counts x position bumps;
  current phone x finer bumps; exponential kernels over the absolute time
  from the start and to the end of the phone x current phone and the
  neighbour on that side; current phone x log duration; and diphone
  transitions: every pair of adjacent phones seen often enough in ``fit``
  gets a column per side that decays exponentially from their boundary
  into each of the two phones (how a transition looks depends on both
  phones together, which sums of per-phone terms cannot express).

Rows are built with array operations (``np.repeat`` of phone rows to frames),
with no Python loop over frames. ``frame_features(..., sparse_output=True)``
gives CSR rows without making the dense ones: each interaction block is made
from the nonzeros of its mostly one-hot factor, as training and synthesis
use it.

A phone set (:mod:`mtlsynth.speech.phonesets`) says how a label writes
stress and pauses and gives every phone's classes, derived from its IPA;
``fit`` detects the set from the phones unless one is given, and refuses
phones the set does not know (every class of the set becomes one column).

Examples
--------
>>> from mtlsynth.speech import Label
>>> from mtlsynth.speech import LinguisticFeatures
>>> label = Label.from_seconds([0, 0.1, 0.2], [0.1, 0.2, 0.3], ["pau", "'a", "pau"])
>>> lf = LinguisticFeatures().fit([label])
>>> lf.phone_features(label).shape[0], lf.frame_features(label).shape[0]
(3, 60)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from mtlsynth._stats import csr_from_dense
from mtlsynth.speech.phones import _NONE, _UNKNOWN, PhoneSequence
from mtlsynth.speech.phonesets import PhoneSet, detect_phone_set, get_phone_set

__all__ = [
    "LinguisticFeatures",
]


_BUMP_WIDTH = 0.25
_MAX_COUNT = 5
_COUNT_NAMES = tuple(
    f"{what}={j}"
    for what in ("stressed_before", "stressed_after", "vowels_before", "vowels_after")
    for j in range(_MAX_COUNT + 1)
)


def _outer_rows(A: np.ndarray, B: np.ndarray, as_csr: bool) -> Any:
    """Row-wise outer products: row i is ``A[i]`` x ``B[i]`` flattened, of
    width ``A.shape[1] * B.shape[1]``. As CSR, the products are made for
    ``A``'s nonzeros only (its columns are mostly one-hot), and are the
    dense ones exactly."""
    n, a = A.shape
    b = B.shape[1]
    if not as_csr:
        return (A[:, :, None] * B[:, None, :]).reshape(n, a * b)
    A = csr_from_dense(A)
    rows = np.repeat(np.arange(n), np.diff(A.indptr))
    values = (A.data[:, None] * B[rows]).ravel()
    columns = (A.indices.astype(np.int64)[:, None] * b + np.arange(b)).ravel()
    indptr = A.indptr.astype(np.int64) * b
    out = sparse.csr_matrix((values, columns, indptr), shape=(n, a * b))
    out.eliminate_zeros()  # where B has zeros
    return out


def _bumps(r: np.ndarray, n: int) -> np.ndarray:
    """Gaussian bumps over relative position ``r`` in [0, 1], rows sum to 1."""
    centres = np.linspace(0.0, 1.0, n)
    b = np.exp(-0.5 * ((r[:, None] - centres[None, :]) / _BUMP_WIDTH) ** 2)
    return b / b.sum(axis=1, keepdims=True)


def _check_known(counts: Mapping[str, int], phone_set: PhoneSet) -> None:
    """Refuse phones outside the set, naming them with their counts."""
    unknown = Counter()
    for phone, n in counts.items():
        if phone_set.split(phone)[0] not in phone_set:
            unknown[phone] += n
    if unknown:
        listed = ", ".join(f"{p!r} ({n})" for p, n in unknown.most_common(20))
        raise ValueError(
            f"phones not in the phone set {phone_set.name!r} (occurrences): "
            f"{listed}; pass a phone set that has them"
        )


def _runs(is_break: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward index of every element inside runs between breaks.

    Returns, for every element, how many non-break elements precede it and
    follow it within its run (breaks get 0).
    """
    n = len(is_break)
    idx = np.arange(n)
    last_break = np.maximum.accumulate(np.where(is_break, idx, -1))
    next_break = np.minimum.accumulate(np.where(is_break, idx, n)[::-1])[::-1]
    fwd = np.where(is_break, 0, idx - last_break - 1)
    bwd = np.where(is_break, 0, next_break - idx - 1)
    return fwd, bwd


class LinguisticFeatures(TransformerMixin, BaseEstimator):
    """Phone- and frame-level linguistic features for linear acoustic models.

    ``fit`` learns the phone inventory (phones without stress marks);
    ``transform`` stacks the features of a list of utterances. See the module
    documentation for the feature set.

    Parameters
    ----------
    context : int, default=2
        Neighbours on each side whose identity and classes are encoded
        (2 gives quinphones).
    phone_set : str or PhoneSet, optional
        The phone set of the labels: a name of
        :data:`~mtlsynth.speech.phonesets.PHONE_SETS` or a
        :class:`~mtlsynth.speech.phonesets.PhoneSet`; by default the shipped
        set that knows the phones seen in ``fit``.
    n_bumps : int, default=3
        Gaussian bumps coding the relative position of a frame in its phone.
    interaction_context : int, default=1
        Neighbours on each side whose classes interact with the position
        bumps (the current phone's identity and classes always do).
    neighbour_identity : bool, default=True
        Let the identity of the previous and next phones interact with the
        position bumps and with the edge kernels of their side.
    n_identity_bumps : int, default=5
        Finer Gaussian bumps that interact with the current phone's identity
        alone (0 leaves them out), for trajectories such as diphthongs.
    edge_kernels : sequence of float, default=(1.5, 4.0)
        Time constants (frames) of exponential kernels over the absolute
        distance of a frame from the start and from the end of its phone;
        each kernel interacts with the current phone's identity and classes
        and with the classes of the neighbour on that side (transitions
        between phones last a fixed time, not a fixed share of the phone).
        Empty to leave them out.
    diphone_kernels : sequence of float, default=(2.0,)
        Time constants (frames) of exponential kernels over the distance of
        a frame from the boundary it shares with its previous phone and
        with its next phone; each interacts with the identity of that pair
        of phones (one column per kept pair, side and kernel). Empty to
        leave them out.
    diphone_min_count : int, default=20
        Pairs of adjacent phones (stress marks removed) seen fewer times in
        ``fit`` get no columns.
    max_diphones : int, default=640
        At most this many pairs get columns, the most frequent ones: a
        larger corpus sees more pairs often enough, and the width of the
        frame features (and the d x d statistics of the frame model) would
        grow with it. ``None`` keeps every pair seen often enough.
    level : {"frame", "phone"}, default="frame"
        What :meth:`transform` returns.
    frame_period : float, default=5.0
        Frame shift in milliseconds, used to read durations from labels.

    Attributes
    ----------
    phone_set_ : PhoneSet
        The phone set used.
    inventory_ : ndarray of str, shape (n_phones,)
        Base phones (without stress) seen in ``fit``, sorted.
    stressed_ : bool
        Whether any phone seen in ``fit`` carried stress.
    classes_ : tuple of str
        Class columns (every class of the phone table).
    diphones_ : ndarray of str, shape (n_diphones, 2)
        Pairs of adjacent base phones with transition columns.
    n_phone_features_ : int
        Width of the phone-level features.
    n_frame_features_ : int
        Width of the frame-level features.

    Examples
    --------
    >>> from mtlsynth.speech import LinguisticFeatures
    >>> lf = LinguisticFeatures(level="phone").fit([["pau", "h", "'E", "l", "pau"]])
    >>> lf.transform([["pau", "'E", "pau"]]).shape == (3, lf.n_phone_features_)
    True
    """

    def __init__(
        self,
        *,
        context: int = 2,
        phone_set: str | PhoneSet | None = None,
        n_bumps: int = 3,
        interaction_context: int = 1,
        neighbour_identity: bool = True,
        n_identity_bumps: int = 5,
        edge_kernels: Sequence[float] = (1.5, 4.0),
        diphone_kernels: Sequence[float] = (2.0,),
        diphone_min_count: int = 20,
        max_diphones: int | None = 640,
        level: str = "frame",
        frame_period: float = 5.0,
    ):
        self.context = context
        self.phone_set = phone_set
        self.n_bumps = n_bumps
        self.interaction_context = interaction_context
        self.neighbour_identity = neighbour_identity
        self.n_identity_bumps = n_identity_bumps
        self.edge_kernels = edge_kernels
        self.diphone_kernels = diphone_kernels
        self.diphone_min_count = diphone_min_count
        self.max_diphones = max_diphones
        self.level = level
        self.frame_period = frame_period

    # ------------------------------------------------------------------ fit

    def _given_phone_set(self) -> PhoneSet | None:
        """The ``phone_set`` parameter as a PhoneSet (None: detect it)."""
        return None if self.phone_set is None else get_phone_set(self.phone_set)

    def _check_params(self) -> None:
        if int(self.context) != self.context or self.context < 0:
            raise ValueError(f"context must be a non-negative integer: {self.context}")
        if int(self.n_bumps) != self.n_bumps or self.n_bumps < 2:
            raise ValueError(f"n_bumps must be an integer >= 2: {self.n_bumps}")
        if (
            int(self.interaction_context) != self.interaction_context
            or not 0 <= self.interaction_context <= self.context
        ):
            raise ValueError(
                "interaction_context must be an integer in [0, context]: "
                f"{self.interaction_context}"
            )
        for name in ("edge_kernels", "diphone_kernels"):
            tau = np.asarray(getattr(self, name), dtype=float)
            if tau.ndim != 1 or not np.all(np.isfinite(tau) & (tau > 0)):
                raise ValueError(
                    f"{name} must be positive time constants: {getattr(self, name)}"
                )
        count = self.diphone_min_count
        if int(count) != count or count < 1:
            raise ValueError(f"diphone_min_count must be a positive integer: {count}")
        most = self.max_diphones
        if most is not None and (int(most) != most or most < 0):
            raise ValueError(f"max_diphones must be None or an integer >= 0: {most}")
        if int(self.n_identity_bumps) != self.n_identity_bumps or not (
            self.n_identity_bumps == 0 or self.n_identity_bumps >= 2
        ):
            raise ValueError(
                "n_identity_bumps must be 0 or an integer >= 2: "
                f"{self.n_identity_bumps}"
            )
        if self.level not in ("frame", "phone"):
            raise ValueError(f"level must be 'frame' or 'phone', got {self.level!r}")
        if not self.frame_period > 0:
            raise ValueError(f"frame_period must be positive: {self.frame_period}")
        self._given_phone_set()

    def fit(self, X: Iterable[Any], y: Any = None) -> LinguisticFeatures:
        """Learn the phone inventory, the class columns and the diphones.

        Parameters
        ----------
        X : iterable of Label, Pronunciation, PhoneSequence or sequence of str
            Training utterances.
        y : None
            Ignored.

        Returns
        -------
        self : LinguisticFeatures
            The fitted transformer.
        """
        self._check_params()
        seqs = [PhoneSequence.coerce(u, frame_period=self.frame_period) for u in X]
        counts = Counter(p for seq in seqs for p in seq.phones)
        if not counts:
            raise ValueError("no phones to learn an inventory from")
        phone_set = self._given_phone_set() or detect_phone_set(counts)
        _check_known(counts, phone_set)
        pairs: Counter[tuple[str, str]] = Counter()
        stressed = False
        for seq in seqs:
            base, stress = zip(*map(phone_set.split, seq.phones), strict=True)
            stressed = stressed or any(stress)
            pairs.update(zip(base[:-1], base[1:], strict=True))
        bases = {phone_set.split(p)[0] for p in counts}
        diphones = []
        if len(self.diphone_kernels):
            common = [p for p, n in pairs.items() if n >= self.diphone_min_count]
            common.sort(key=lambda p: (-pairs[p], p))  # most frequent first
            diphones = sorted(common[: self.max_diphones])
        return self._set_inventory(phone_set, sorted(bases), diphones, stressed)

    def _set_inventory(
        self,
        phone_set: PhoneSet,
        inventory: Sequence[str],
        diphones: Sequence[Sequence[str]] = (),
        stressed: bool = True,
    ) -> LinguisticFeatures:
        """Set the fitted state from a phone set, an inventory and the kept
        diphones (also used when loading)."""
        self.phone_set_ = phone_set
        self.stressed_ = bool(stressed)
        self.inventory_ = np.asarray(list(inventory), dtype=str)
        self.diphones_ = np.asarray(list(diphones), dtype=str).reshape(-1, 2)
        self.classes_ = phone_set.all_classes()
        self._index = {p: i for i, p in enumerate(self.inventory_.tolist())}
        n_id = len(self.inventory_) + 2  # + unknown + none
        self._pair_index = np.full((n_id, n_id), -1, np.intp)
        for i, (a, b) in enumerate(self.diphones_.tolist()):
            if a not in self._index or b not in self._index:
                raise ValueError(f"diphone {a}-{b} has a phone outside the inventory")
            self._pair_index[self._index[a], self._index[b]] = i
        n_cls = len(self.classes_)
        width = 2 * self.context + 1
        n_counts = len(_COUNT_NAMES)
        self._n_base = width * (n_id + n_cls) + 25 + 2 * n_counts
        self.n_phone_features_ = self._n_base + 3 * n_id + n_cls * n_cls
        n_edge = len(self.edge_kernels)
        k = self.n_bumps
        n_nb = 2 * n_id if self.neighbour_identity and self.context > 0 else 0
        n_int = (n_id + n_cls) + 2 * self.interaction_context * n_cls + 3 + n_nb
        n_int += 5 + 2 * n_counts
        n_side = 1 + n_id + 2 * n_cls + n_nb // 2
        self.n_frame_features_ = self._n_base + k + 3 + k * n_int + 2 * n_edge * n_side
        self.n_frame_features_ += n_id * self.n_identity_bumps + n_id + n_cls * k
        self.n_frame_features_ += 2 * len(self.diphone_kernels) * len(self.diphones_)
        self._class_cache: dict[str, np.ndarray] = {}
        return self

    def _class_row(self, base: str) -> np.ndarray:
        """Class indicator row of a base phone (cached)."""
        row = self._class_cache.get(base)
        if row is None:
            found = self.phone_set_.classes(base)
            row = np.array([c in found for c in self.classes_], dtype=float)
            self._class_cache[base] = row
        return row

    # ----------------------------------------------------------- phone level

    def _codes(self, seq: PhoneSequence) -> tuple[np.ndarray, ...]:
        """Inventory codes (unknown = n_inv), classes, stress and silence flags."""
        split = [self.phone_set_.split(p) for p in seq.phones]
        unknown = len(self.inventory_)
        codes = np.array([self._index.get(b, unknown) for b, _ in split], np.intp)
        cls_rows = np.array([self._class_row(b) for b, _ in split]).reshape(
            len(split), len(self.classes_)
        )
        stress = np.array([s for _, s in split], np.int64)
        silence = np.array([self.phone_set_.is_silence(b) for b, _ in split], bool)
        return codes, cls_rows, stress, silence

    def _phone_block(self, seq: PhoneSequence) -> tuple[np.ndarray, dict]:
        """Phone-level features and the pieces the frame level reuses."""
        codes, cls_rows, stress, silence = self._codes(seq)
        n = len(codes)
        n_inv = len(self.inventory_)
        n_id = n_inv + 2
        none = n_inv + 1
        c = self.context
        padded = np.concatenate(
            [np.full(c, none, np.intp), codes, np.full(c, none, np.intp)]
        )
        zeros = np.zeros((c, cls_rows.shape[1]))
        padded_cls = np.vstack([zeros, cls_rows, zeros])
        rows = np.arange(n)
        blocks = []
        ctx_cls = {}
        for offset in range(-c, c + 1):
            code = padded[c + offset : c + offset + n]
            onehot = np.zeros((n, n_id))
            onehot[rows, code] = 1.0
            blocks.append(onehot)
        for offset in range(-c, c + 1):
            ctx_cls[offset] = padded_cls[c + offset : c + offset + n]
            blocks.append(ctx_cls[offset])
        # stress: current one-hot, neighbours stressed
        s_pad = np.concatenate([[0], stress, [0]])
        stress_block = np.column_stack(
            [
                stress == 0,
                stress == 1,
                stress == 2,
                s_pad[:-2] > 0,
                s_pad[2:] > 0,
            ]
        ).astype(float)
        blocks.append(stress_block)
        # phrase positions (phrases are runs between pauses)
        fwd, bwd = _runs(silence)
        n_phrase = fwd + bwd + 1
        phrase_id = np.cumsum(silence & ~np.r_[False, silence[:-1]])
        vowel = (
            cls_rows[:, self.classes_.index("vowel")] > 0
            if "vowel" in self.classes_
            else np.zeros(n, bool)
        )
        stressed = vowel & (stress > 0) & ~silence
        cum = np.cumsum(stressed)
        # stressed vowels before / after within the phrase
        start_of_run = np.where(silence, 0, np.arange(n) - fwd)
        end_of_run = np.where(silence, 0, np.arange(n) + bwd)
        before = np.where(silence, 0, cum - cum[start_of_run] + stressed[start_of_run])
        before = before - stressed
        after = np.where(silence, 0, cum[end_of_run] - cum)
        rel_utt = (np.arange(n) + 0.5) / n
        phrase_rel = np.where(silence, 0.0, (fwd + 0.5) / n_phrase)
        first_phrase = (
            (~silence) & (phrase_id == phrase_id[~silence].min())
            if ((~silence).any())
            else np.zeros(n, bool)
        )
        last_phrase = (
            (~silence) & (phrase_id == phrase_id[~silence].max())
            if ((~silence).any())
            else np.zeros(n, bool)
        )
        pos = [
            np.minimum(fwd, 20) / 10.0,
            np.minimum(bwd, 20) / 10.0,
            np.log1p(n_phrase) * ~silence,
            phrase_rel,
            rel_utt,
            first_phrase,
            last_phrase,
            np.minimum(before, 8) / 4.0,
            np.minimum(after, 8) / 4.0,
            (after == 0) & ~silence,
        ]
        vowels = vowel & ~silence
        vcum = np.cumsum(vowels)
        v_before = np.where(
            silence, 0, vcum - vcum[start_of_run] + vowels[start_of_run] - vowels
        )
        v_after = np.where(silence, 0, vcum[end_of_run] - vcum)
        counts = np.column_stack(
            [
                (np.minimum(x, _MAX_COUNT) == j) & ~silence
                for x in (before, after, v_before, v_after)
                for j in range(_MAX_COUNT + 1)
            ]
        )
        pos += list(counts.T)
        question = last_phrase & bool(seq.question)
        pos.append(question)
        pos += list((counts & question[:, None]).T)
        # words
        if seq.word_index is not None:
            w = np.where(silence, -1, seq.word_index)
            in_word = w >= 0
            new_word = in_word & np.r_[True, w[1:] != w[:-1]]
            end_word = in_word & np.r_[w[:-1] != w[1:], True]
            word_no = np.cumsum(new_word) - 1
            first_idx = np.maximum.accumulate(np.where(new_word, np.arange(n), 0))
            last_idx = np.minimum.accumulate(
                np.where(end_word, np.arange(n), n - 1)[::-1]
            )[::-1]
            wfwd = np.where(in_word, np.arange(n) - first_idx, 0)
            wbwd = np.where(in_word, last_idx - np.arange(n), 0)
            wlen = wfwd + wbwd + 1
            # words before/after in the phrase
            wstart = np.cumsum(new_word)
            words_before = np.where(
                silence, 0, wstart - wstart[start_of_run] + new_word[start_of_run] - 1
            )
            words_after = np.where(silence, 0, wstart[end_of_run] - wstart)
            known = in_word.astype(float)
            del word_no
            word_cols = [
                known,
                np.minimum(wfwd, 10) / 5.0 * known,
                np.minimum(wbwd, 10) / 5.0 * known,
                np.log1p(wlen) * known,
                (wfwd == 0) * known,
                (wbwd == 0) * known,
                np.minimum(words_before, 10) / 5.0 * known,
                np.minimum(words_after, 10) / 5.0 * known,
            ]
        else:
            word_cols = [np.zeros(n)] * 8
        pos_block = np.column_stack([*pos, *word_cols, silence]).astype(float)
        blocks.append(pos_block)
        X = np.hstack(blocks)
        parts = {
            "codes": codes,
            "prev": padded[c - 1 : c - 1 + n] if c > 0 else None,
            "next": padded[c + 1 : c + 1 + n] if c > 0 else None,
            "ctx_cls": ctx_cls,
            "stress": stress_block[:, :3],
            "phrase": np.column_stack(
                [
                    phrase_rel,
                    (after == 0) & ~silence,
                    last_phrase & (bwd < 3),
                    first_phrase & (fwd < 3),
                    *counts.T,
                    question,
                    *(counts & question[:, None]).T,
                ]
            ).astype(float),
            "silence": silence,
            "stressed": (stress > 0) & ~silence,
            "word_final": pos_block[:, -4] > 0,
        }
        return X, parts

    def phone_features(self, utterance: Any, *, word_index: Any = None) -> np.ndarray:
        """Phone-level features of one utterance (duration model input).

        Parameters
        ----------
        utterance : Label, Pronunciation, PhoneSequence or sequence of str
            The phones.
        word_index : array-like of int, optional
            Word of every phone (-1 for pauses), when ``utterance`` does not
            carry it.

        Returns
        -------
        ndarray of shape (n_phones, n_phone_features_)
            One row per phone.
        """
        check_is_fitted(self, "inventory_")
        seq = PhoneSequence.coerce(
            utterance, frame_period=self.frame_period, word_index=word_index
        )
        if not seq.phones:
            raise ValueError("the utterance has no phones")
        P, parts = self._phone_block(seq)
        n = len(P)
        n_id = len(self.inventory_) + 2
        cur = np.zeros((n, n_id))
        cur[np.arange(n), parts["codes"]] = 1.0
        final = parts["phrase"][:, 1] > 0
        flags = np.column_stack([parts["stressed"], final, parts["word_final"]])
        by_flag = (cur[:, :, None] * flags[:, None, :]).reshape(n, -1)
        cls = parts["ctx_cls"][0]
        nxt = parts["ctx_cls"].get(1, np.zeros_like(cls))
        pairs = (cls[:, :, None] * nxt[:, None, :]).reshape(n, -1)
        return np.hstack([P, by_flag, pairs])

    # ----------------------------------------------------------- frame level

    def frame_features(
        self,
        utterance: Any,
        *,
        frames: Any = None,
        word_index: Any = None,
        sparse_output: bool = False,
    ) -> Any:
        """Frame-level features of one utterance (acoustic model input).

        Parameters
        ----------
        utterance : Label, Pronunciation, PhoneSequence or sequence of str
            The phones.
        frames : array-like of int, shape (n_phones,), optional
            Duration of every phone in frames, e.g. predicted by a duration
            model; default the durations the utterance carries.
        word_index : array-like of int, optional
            Word of every phone (-1 for pauses).
        sparse_output : bool, default=False
            Return a CSR matrix, built without the dense rows: about 5 % of
            the entries are nonzero.

        Returns
        -------
        ndarray or scipy.sparse.csr_matrix of shape (sum(frames), n_frame_features_)
            One row per frame; phones with 0 frames contribute none. The
            sparse rows hold the dense rows' nonzeros, exactly.
        """
        check_is_fitted(self, "inventory_")
        seq = PhoneSequence.coerce(
            utterance, frame_period=self.frame_period, word_index=word_index
        )
        if not seq.phones:
            raise ValueError("the utterance has no phones")
        if frames is None:
            if seq.frames is None:
                raise ValueError(
                    "frame features need phone durations: pass a Label or frames="
                )
            frames = seq.frames
        frames = np.asarray(frames, dtype=np.int64).reshape(-1)
        if len(frames) != len(seq.phones) or np.any(frames < 0):
            raise ValueError(
                f"frames must hold {len(seq.phones)} non-negative counts, got "
                f"{frames.shape}"
            )
        P, parts = self._phone_block(seq)
        P = P[:, : self._n_base]
        phone_of = np.repeat(np.arange(len(frames)), frames)
        n_frames = len(phone_of)
        starts = np.cumsum(frames) - frames
        k_in = np.arange(n_frames) - starts[phone_of]
        dur = frames[phone_of]
        r = (k_in + 0.5) / np.maximum(dur, 1)
        bumps = _bumps(r, self.n_bumps)
        log_dur = np.log(np.maximum(dur, 1))[:, None]
        timing = np.column_stack(
            [log_dur[:, 0], np.log1p(k_in) / 3.0, np.log1p(dur - 1 - k_in) / 3.0]
        )
        n_id = len(self.inventory_) + 2
        cur = np.zeros((n_frames, n_id))
        cur[np.arange(n_frames), parts["codes"][phone_of]] = 1.0
        inter_parts = [cur, parts["ctx_cls"][0][phone_of]]
        for offset in range(1, self.interaction_context + 1):
            for sign in (-1, 1):
                inter_parts.append(parts["ctx_cls"][sign * offset][phone_of])
        inter_parts.append(parts["stress"][phone_of])
        inter_parts.append(parts["phrase"][phone_of])
        use_nb = self.neighbour_identity and parts["prev"] is not None
        if use_nb:
            prev_id = np.zeros((n_frames, n_id))
            prev_id[np.arange(n_frames), parts["prev"][phone_of]] = 1.0
            next_id = np.zeros((n_frames, n_id))
            next_id[np.arange(n_frames), parts["next"][phone_of]] = 1.0
            inter_parts += [prev_id, next_id]
        inter = np.hstack(inter_parts)
        outer = partial(_outer_rows, as_csr=sparse_output)
        blocks = [P[phone_of], bumps, timing, outer(inter, bumps)]
        if self.n_identity_bumps:
            blocks.append(outer(cur, _bumps(r, self.n_identity_bumps)))
        cur_cls_f = parts["ctx_cls"][0][phone_of]
        blocks.append(cur * log_dur)
        blocks.append(outer(cur_cls_f, bumps * log_dur))
        if len(self.edge_kernels):
            tau = np.asarray(self.edge_kernels, dtype=float)
            k_left = dur - 1 - k_in
            start = np.exp(-k_in[:, None] / tau)
            end = np.exp(-k_left[:, None] / tau)
            cur_cls = parts["ctx_cls"][0]
            zeros = np.zeros_like(cur_cls)
            prev_cls = parts["ctx_cls"].get(-1, zeros)[phone_of]
            next_cls = parts["ctx_cls"].get(1, zeros)[phone_of]
            left = [np.ones((n_frames, 1)), cur, cur_cls[phone_of], prev_cls]
            right = [np.ones((n_frames, 1)), cur, cur_cls[phone_of], next_cls]
            if use_nb:
                left.append(prev_id)
                right.append(next_id)
            blocks.append(outer(np.hstack(left), start))
            blocks.append(outer(np.hstack(right), end))
        if len(self.diphones_) and len(self.diphone_kernels):
            codes = parts["codes"]
            edge = np.full(1, n_id - 1)  # "none" beyond the utterance
            prev = np.concatenate([edge, codes[:-1]])
            nxt = np.concatenate([codes[1:], edge])
            into = self._pair_index[prev, codes][phone_of]
            out_of = self._pair_index[codes, nxt][phone_of]
            diphones = self._diphone_block(into, k_in, out_of, dur - 1 - k_in)
            blocks.append(diphones if sparse_output else diphones.toarray())
        if not sparse_output:
            return np.hstack(blocks)
        blocks = [b if sparse.issparse(b) else csr_from_dense(b) for b in blocks]
        return sparse.hstack(blocks, format="csr")

    def _diphone_block(self, into, k_in, out_of, k_left) -> sparse.csr_matrix:
        """Transition columns: for every kernel, the pair entering the phone
        (decaying from its start) then the pair leaving it (from its end);
        ``into`` and ``out_of`` are diphone indices per frame (-1: none)."""
        n = len(self.diphones_)
        rows, cols, values = [], [], []
        for j, tau in enumerate(self.diphone_kernels):
            for side, (pair, dist) in enumerate(((into, k_in), (out_of, k_left))):
                some = np.flatnonzero(pair >= 0)
                rows.append(some)
                cols.append((2 * j + side) * n + pair[some])
                values.append(np.exp(-dist[some] / float(tau)))
        width = 2 * len(self.diphone_kernels) * n
        out = sparse.csr_matrix(
            (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(into), width),
        )
        out.eliminate_zeros()  # a decay below the smallest float is a zero
        out.sort_indices()
        return out

    # ------------------------------------------------------------ transform

    def transform(self, X: Iterable[Any]) -> np.ndarray:
        """Stack the features of several utterances.

        Parameters
        ----------
        X : iterable of Label, Pronunciation, PhoneSequence or sequence of str
            Utterances; frame level needs durations (Labels or
            PhoneSequences with frames).

        Returns
        -------
        ndarray of shape (n_rows, n_features)
            Phone rows (``level="phone"``) or frame rows (``level="frame"``)
            of every utterance, in order.
        """
        check_is_fitted(self, "inventory_")
        one = self.phone_features if self.level == "phone" else self.frame_features
        rows = [one(utt) for utt in X]
        if not rows:
            width = (
                self.n_phone_features_
                if self.level == "phone"
                else self.n_frame_features_
            )
            return np.zeros((0, width))
        return np.vstack(rows)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        ndarray of str
            One name per column of :meth:`transform`.
        """
        check_is_fitted(self, "inventory_")
        ids = [*self.inventory_.tolist(), _UNKNOWN, _NONE]
        c = self.context
        names = []
        for off in range(-c, c + 1):
            names += [f"id[{off:+d}]={p}" for p in ids]
        for off in range(-c, c + 1):
            names += [f"class[{off:+d}]={k}" for k in self.classes_]
        names += ["stress=0", "stress=1", "stress=2", "stress[-1]", "stress[+1]"]
        names += [
            "phrase_fwd",
            "phrase_bwd",
            "phrase_log_len",
            "phrase_rel",
            "utt_rel",
            "first_phrase",
            "last_phrase",
            "stressed_before",
            "stressed_after",
            "last_stressed",
            *_COUNT_NAMES,
            "question",
            *[f"question*{c}" for c in _COUNT_NAMES],
            "word_known",
            "word_fwd",
            "word_bwd",
            "word_log_len",
            "word_initial",
            "word_final",
            "words_before",
            "words_after",
            "silence",
        ]
        if self.level == "phone":
            names += [
                f"id[+0]={p}*{flag}"
                for p in ids
                for flag in ("stressed", "phrase_final", "word_final")
            ]
            names += [
                f"class[+0]={a}*class[+1]={b}"
                for a in self.classes_
                for b in self.classes_
            ]
            return np.asarray(names, dtype=object)
        k = self.n_bumps
        names += [f"bump{j}" for j in range(k)]
        names += ["log_dur", "log_frames_in", "log_frames_left"]
        inter = [f"id[+0]={p}" for p in ids] + [f"class[+0]={x}" for x in self.classes_]
        for off in range(1, self.interaction_context + 1):
            for sign in (-1, 1):
                inter += [f"class[{sign * off:+d}]={x}" for x in self.classes_]
        inter += ["stress=0", "stress=1", "stress=2"]
        inter += ["phrase_rel", "last_stressed", "phrase_final", "phrase_initial"]
        inter += list(_COUNT_NAMES)
        inter += ["question"]
        inter += [f"question*{c}" for c in _COUNT_NAMES]
        nb = self.neighbour_identity and self.context > 0
        if nb:
            inter += [f"id[-1]={p}" for p in ids] + [f"id[+1]={p}" for p in ids]
        names += [f"{a}*bump{j}" for a in inter for j in range(k)]
        names += [
            f"id[+0]={p}*fine{j}" for p in ids for j in range(self.n_identity_bumps)
        ]
        names += [f"id[+0]={p}*log_dur" for p in ids]
        names += [
            f"class[+0]={x}*bump{j}*log_dur" for x in self.classes_ for j in range(k)
        ]
        for side, ctx in (("start", -1), ("end", 1)):
            edge = ["1"] + [f"id[+0]={p}" for p in ids]
            edge += [f"class[+0]={x}" for x in self.classes_]
            edge += [f"class[{ctx:+d}]={x}" for x in self.classes_]
            if nb:
                edge += [f"id[{ctx:+d}]={p}" for p in ids]
            names += [f"{a}*{side}{tau}" for a in edge for tau in self.edge_kernels]
        pairs = [f"{a}-{b}" for a, b in self.diphones_.tolist()]
        for tau in self.diphone_kernels:
            names += [f"pair[-1,+0]={p}*start{tau}" for p in pairs]
            names += [f"pair[+0,+1]={p}*end{tau}" for p in pairs]
        return np.asarray(names, dtype=object)
