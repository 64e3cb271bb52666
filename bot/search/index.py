"""An inverted index over passage features in flat NumPy arrays, persisted as .npz and memory-mapped on load.

The file is rebuilt whenever the passages (or the index format) change, and whenever it cannot be read:
a missing, truncated or corrupt file costs one rebuild, never a failed start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import tempfile
import zipfile
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.search.features import BIGRAM, analyse
from bot.search.normalise import SOUND_FIRST, SOUND_LAST, sound_table

log = logging.getLogger(__name__)

FORMAT_VERSION = 8  # bump when features or the file layout change
FILE_NAME = "index.npz"
K1 = 1.2
B = 0.75

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
_ARRAYS = ("offsets", "docs", "weights", "df", "char_sound", "sound_keys", "sound_terms", "compact", "compact_at",
           "terms", "meta")


def _sound_key(first: int, second: int) -> int:
    """One number for the sound of a character pair (syllable numbers are below 1024)."""
    return first * 1024 + second


class InvertedIndex:
    """Features → postings, over passages numbered 0..n-1 in library order, and the sounds of characters."""

    def __init__(self, arrays: dict[str, Any], terms: list[str], n_docs: int, syllables: list[str]) -> None:
        self.vocab = {t: i for i, t in enumerate(terms)}
        self.offsets: npt.NDArray[np.int64] = arrays["offsets"]
        self.docs: IntArray = arrays["docs"]
        self.weights: npt.NDArray[np.float16] = arrays["weights"]
        self.df: IntArray = arrays["df"]
        self.char_sound: npt.NDArray[np.uint16] = arrays["char_sound"]
        self.sound_keys: IntArray = arrays["sound_keys"]
        self.sound_terms: IntArray = arrays["sound_terms"]
        self.compact_blob: npt.NDArray[np.uint8] = arrays["compact"]
        self.compact_at: npt.NDArray[np.int64] = arrays["compact_at"]
        self.n_docs = n_docs
        self.syllables = syllables
        self.stamp = ""  # fingerprint of the texts indexed, once known
        # BM25 idf, never negative; a feature seen nowhere gets the largest possible idf.
        df = np.asarray(self.df, dtype=np.float32)
        self.idf: FloatArray = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.max_idf = float(np.log1p((n_docs + 0.5) / 0.5))
        if (len(self.offsets) != len(terms) + 1 or not int(self.offsets[-1]) == len(self.docs) == len(self.weights)
                or len(self.compact_at) != n_docs + 1 or int(self.compact_at[-1]) != len(self.compact_blob)):
            raise ValueError("inconsistent index arrays")

    def compact(self, doc: int) -> str:
        """A passage's normalised characters and words, joined (for the fuzzy comparison)."""
        return bytes(self.compact_blob[int(self.compact_at[doc]) : int(self.compact_at[doc + 1])]).decode()

    def term(self, feature: str) -> int | None:
        """The term number of a feature, or None when no passage has it."""
        return self.vocab.get(feature)

    def postings(self, term: int) -> tuple[IntArray, npt.NDArray[np.float16]]:
        """Passage numbers of a term and each one's BM25 term-frequency part."""
        start, end = int(self.offsets[term]), int(self.offsets[term + 1])
        return self.docs[start:end], self.weights[start:end]

    def sound(self, char: str) -> int:
        """The syllable number of a Chinese character (0 when unknown)."""
        code = ord(char)
        return int(self.char_sound[code - SOUND_FIRST]) if SOUND_FIRST <= code <= SOUND_LAST else 0

    def homophones(self, pair: str) -> list[int]:
        """Terms of the character bigrams that sound like this pair of characters (a typo's likely meaning)."""
        first, second = self.sound(pair[0]), self.sound(pair[1])
        if not first or not second:
            return []
        key = _sound_key(first, second)
        lo, hi = np.searchsorted(self.sound_keys, [key, key + 1])
        return [int(t) for t in self.sound_terms[lo:hi]]

    @classmethod
    def build(cls, texts: Sequence[str]) -> InvertedIndex:
        """Index passage texts (numbered by position)."""
        vocab: dict[str, int] = {}
        term_of, doc_of, tf_of = array("i"), array("i"), array("i")  # compact while collecting
        lengths = np.zeros(len(texts), dtype=np.float32)
        compact: list[bytes] = []
        for doc, text in enumerate(texts):
            counts, joined = analyse(text)
            compact.append(joined.encode())
            lengths[doc] = sum(counts.values())
            for feature, tf in counts.items():
                term_of.append(vocab.setdefault(feature, len(vocab)))
                doc_of.append(doc)
                tf_of.append(tf)
        terms_arr = np.frombuffer(term_of, dtype=np.int32)
        order = np.argsort(terms_arr, kind="stable")  # by term, passages ascending within a term
        docs = np.frombuffer(doc_of, dtype=np.int32)[order]
        tfs = np.frombuffer(tf_of, dtype=np.int32)[order].astype(np.float32)
        sizes = np.bincount(terms_arr, minlength=len(vocab)).astype(np.int64)
        offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        avg = max(float(lengths.mean()), 1.0) if len(texts) else 1.0
        norm = K1 * (1 - B + B * lengths[docs] / avg)
        weights = (tfs * (K1 + 1) / (tfs + norm)).astype(np.float16)
        syllables, char_sound = sound_table()
        terms = list(vocab)
        keys, key_terms = [], []
        for term, feature in enumerate(terms):
            if feature.startswith(BIGRAM):
                codes = [ord(c) - SOUND_FIRST for c in feature[len(BIGRAM):]]
                if all(0 <= c < len(char_sound) and char_sound[c] for c in codes):
                    keys.append(_sound_key(int(char_sound[codes[0]]), int(char_sound[codes[1]])))
                    key_terms.append(term)
        by_key = np.argsort(np.asarray(keys, dtype=np.int32), kind="stable")
        arrays = {
            "offsets": offsets, "docs": docs, "weights": weights, "df": sizes.astype(np.int32),
            "char_sound": char_sound, "sound_keys": np.asarray(keys, dtype=np.int32)[by_key],
            "sound_terms": np.asarray(key_terms, dtype=np.int32)[by_key],
            "compact": np.frombuffer(b"".join(compact), dtype=np.uint8),
            "compact_at": np.concatenate(([0], np.cumsum([len(c) for c in compact], dtype=np.int64))),
        }
        return cls(arrays, terms, len(texts), syllables)

    def save(self, directory: Path, fingerprint: str) -> None:
        """Write the index atomically (a crash leaves the old one or none, never half of one)."""
        directory.mkdir(parents=True, exist_ok=True)
        terms = [""] * len(self.vocab)
        for feature, term in self.vocab.items():
            terms[term] = feature
        meta = {"fingerprint": fingerprint, "n_docs": self.n_docs, "syllables": self.syllables}
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, offsets=self.offsets, docs=self.docs, weights=self.weights, df=self.df,
                         char_sound=self.char_sound, sound_keys=self.sound_keys, sound_terms=self.sound_terms,
                         compact=self.compact_blob, compact_at=self.compact_at,
                         terms=_text_array(json.dumps(terms, ensure_ascii=False)), meta=_text_array(json.dumps(meta)))
            os.replace(tmp, directory / FILE_NAME)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, directory: Path, fingerprint: str) -> InvertedIndex | None:
        """The persisted index if it was built from the same content and code, else None."""
        path = directory / FILE_NAME
        if not path.exists():
            return None
        try:
            meta = _read_meta(path)
            if meta.get("fingerprint") != fingerprint:  # other content or an older format: an expected rebuild
                log.info("search index at %s is out of date; rebuilding", path)
                return None
            arrays = _map_npz(path)
            terms: list[str] = json.loads(bytes(arrays["terms"]).decode())
            return cls(arrays, terms, int(meta["n_docs"]), list(meta["syllables"]))
        except Exception as exc:  # any unreadable file is rebuilt rather than failing the start
            log.warning("search index at %s unreadable (%s); rebuilding", path, type(exc).__name__)
            return None


def _text_array(text: str) -> npt.NDArray[np.uint8]:
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _read_meta(path: Path) -> dict[str, Any]:
    """The small metadata record of an index file (its fingerprint first of all)."""
    with zipfile.ZipFile(path) as archive, archive.open("meta.npy") as member:
        meta: dict[str, Any] = json.loads(np.load(member, allow_pickle=False).tobytes().decode())
    return meta


def _map_npz(path: Path) -> dict[str, Any]:
    """Memory-map every array of an uncompressed .npz (pages are read only when a query touches them)."""
    arrays: dict[str, Any] = {}
    with zipfile.ZipFile(path) as archive, path.open("rb") as fh:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if name not in _ARRAYS or info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"unexpected member {info.filename}")
            fh.seek(info.header_offset)
            local = fh.read(30)
            if local[:4] != b"PK\x03\x04":
                raise ValueError("bad local header")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            if fortran or dtype.hasobject:
                raise ValueError("unexpected array layout")
            count = int(np.prod(shape))
            if fh.tell() + count * dtype.itemsize > info.header_offset + 30 + name_len + extra_len + info.file_size:
                raise ValueError(f"{name} is truncated")
            mapped = np.memmap(path, dtype=dtype, mode="r", offset=fh.tell(), shape=shape) if count else None
            arrays[name] = np.zeros(shape, dtype=dtype) if mapped is None else mapped.view(np.ndarray)
    missing = set(_ARRAYS) - set(arrays)
    if missing:
        raise ValueError(f"missing {sorted(missing)}")
    return arrays


def fingerprint(texts: Sequence[str]) -> str:
    """A hash of the indexed texts and the index format: the persisted index is valid while it matches."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}:{len(texts)}\x00".encode())
    for start in range(0, len(texts), 1024):  # in chunks: fast, without a copy of the whole corpus
        digest.update("\x00".join(texts[start : start + 1024]).encode())
        digest.update(b"\x01")
    return digest.hexdigest()


def load_or_build(texts: Sequence[str], directory: Path | None) -> InvertedIndex:
    """Load the persisted index for these texts, or build (and persist) it."""
    stamp = fingerprint(texts)
    if directory is not None:
        index = InvertedIndex.load(directory, stamp)
        if index is not None:
            index.stamp = stamp
            return index
    index = InvertedIndex.build(texts)
    index.stamp = stamp
    if directory is not None:
        try:
            index.save(directory, stamp)
        except OSError as exc:
            log.warning("could not persist the search index to %s: %s", directory, exc)
    return index
