"""An inverted index over passage features in flat NumPy arrays, persisted and rebuilt only on change."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.search.features import text_features

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # bump when features or the file layout change
K1 = 1.2
B = 0.75

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Postings:
    """Where one feature occurs: passage numbers and each occurrence's BM25 term-frequency part."""

    docs: IntArray
    weights: FloatArray
    idf: float


class InvertedIndex:
    """Features → postings, over passages numbered 0..n-1 in library order."""

    def __init__(self, vocab: dict[str, int], offsets: npt.NDArray[np.int64], docs: IntArray, weights: FloatArray,
                 df: IntArray, n_docs: int) -> None:
        self.vocab = vocab
        self.offsets = offsets
        self.docs = docs
        self.weights = weights
        self.df = df
        self.n_docs = n_docs
        # BM25 idf, never negative; a feature seen nowhere gets the largest possible idf.
        self.idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.max_idf = float(np.log1p((n_docs + 0.5) / 0.5))

    def postings(self, feature: str) -> Postings | None:
        """The postings of a feature, or None when no passage has it."""
        term = self.vocab.get(feature)
        if term is None:
            return None
        start, end = int(self.offsets[term]), int(self.offsets[term + 1])
        return Postings(self.docs[start:end], self.weights[start:end], float(self.idf[term]))

    def idf_of(self, feature: str) -> float:
        """How rare a feature is (max_idf when unknown)."""
        term = self.vocab.get(feature)
        return self.max_idf if term is None else float(self.idf[term])

    @classmethod
    def build(cls, texts: Sequence[str]) -> InvertedIndex:
        """Index passage texts (numbered by position)."""
        vocab: dict[str, int] = {}
        per_term_docs: list[list[int]] = []
        per_term_tf: list[list[int]] = []
        lengths = np.zeros(len(texts), dtype=np.float32)
        for doc, text in enumerate(texts):
            counts = text_features(text)
            lengths[doc] = sum(counts.values())
            for feature, tf in counts.items():
                term = vocab.setdefault(feature, len(vocab))
                if term == len(per_term_docs):
                    per_term_docs.append([])
                    per_term_tf.append([])
                per_term_docs[term].append(doc)
                per_term_tf[term].append(tf)
        sizes = np.fromiter((len(d) for d in per_term_docs), dtype=np.int64, count=len(per_term_docs))
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        docs = np.fromiter((d for ds in per_term_docs for d in ds), dtype=np.int32, count=int(offsets[-1]))
        tfs = np.fromiter((t for ts in per_term_tf for t in ts), dtype=np.float32, count=int(offsets[-1]))
        avg = float(lengths.mean()) if len(texts) else 1.0
        norm = K1 * (1 - B + B * lengths[docs] / max(avg, 1.0))
        weights = (tfs * (K1 + 1) / (tfs + norm)).astype(np.float32)
        return cls(vocab, offsets, docs, weights, sizes.astype(np.int32), len(texts))

    def save(self, directory: Path, fingerprint: str) -> None:
        """Write the index atomically (a crash leaves the old one or none, never half of one)."""
        directory.mkdir(parents=True, exist_ok=True)
        terms = [""] * len(self.vocab)
        for feature, term in self.vocab.items():
            terms[term] = feature
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, offsets=self.offsets, docs=self.docs, weights=self.weights, df=self.df,
                     terms=np.array(json.dumps(terms, ensure_ascii=False)),
                     meta=np.array(json.dumps({"fingerprint": fingerprint, "n_docs": self.n_docs})))
        os.replace(tmp, directory / "index.npz")

    @classmethod
    def load(cls, directory: Path, fingerprint: str) -> InvertedIndex | None:
        """The persisted index if it was built from the same content and code, else None."""
        path = directory / "index.npz"
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("fingerprint") != fingerprint:
                    return None
                terms: list[str] = json.loads(str(data["terms"]))
                return cls({t: i for i, t in enumerate(terms)}, data["offsets"], data["docs"], data["weights"],
                           data["df"], int(meta["n_docs"]))
        except (OSError, ValueError, KeyError) as exc:
            if path.exists():
                log.warning("search index at %s unreadable (%s); rebuilding", path, type(exc).__name__)
            return None


def fingerprint(texts: Sequence[str]) -> str:
    """A hash of the indexed texts and the index format: the persisted index is valid while it matches."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}".encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def load_or_build(texts: Sequence[str], directory: Path | None) -> InvertedIndex:
    """Load the persisted index for these texts, or build (and persist) it."""
    stamp = fingerprint(texts)
    if directory is not None:
        index = InvertedIndex.load(directory, stamp)
        if index is not None:
            return index
    index = InvertedIndex.build(texts)
    if directory is not None:
        try:
            index.save(directory, stamp)
        except OSError as exc:
            log.warning("could not persist the search index to %s: %s", directory, exc)
    return index
