"""Precision and recall of the extraction stage on the hand-labelled set in tests/labelled/.

Each ``*.json`` there names a page (``file:NAME.html`` next to it, or ``corpus:PATH`` under
../shared/corpus) and lists what a human reader labelled in its article text: figures
(text as written, value; ``occurrence`` when the same text appears more than once), quotes
(the quoted words, the speaker or null) and words that must not be in the text
(boilerplate). Labelled spans are located in the extracted text by their words; a label
whose words are not in the text counts as missed.

Matching:
* figures: a prediction matches a label when the spans overlap and the values are equal
  (relative tolerance 1e-6); precision over predictions, recall over labels;
* quotes: span overlap; recall over labels (precision is printed too);
* speakers: of the labelled quotes that have a speaker, the fraction whose matched
  prediction names the same speaker (case-insensitive, a leading "the " ignored).

Run: ``python bench/extract_quality.py [-v]`` (-v lists every miss and false positive).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.text.extract import extract  # noqa: E402

LABELLED = ROOT / "tests" / "labelled"
CORPUS = ROOT.parent / "shared" / "corpus"

TARGETS = {"figures_recall": 0.97, "figures_precision": 0.95, "quotes_recall": 0.95, "speakers": 0.9}


def _locate(text: str, words: str, occurrence: int = 0) -> tuple[int, int] | None:
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.find(words, pos + 1)
        if pos < 0:
            return None
    return pos, pos + len(words)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _same_speaker(a: str | None, b: str | None) -> bool:
    def norm(s: str | None) -> str:
        s = (s or "").strip().lower()
        return s[4:] if s.startswith("the ") else s

    return a is not None and b is not None and norm(a) == norm(b)


def load_cases(labelled: Path = LABELLED, corpus: Path = CORPUS) -> list[tuple[str, dict, bytes | None]]:
    """(name, label, payload) for every labelled page; payload None if its file is absent."""
    cases = []
    for path in sorted(labelled.rglob("*.json")):
        if "real" in path.relative_to(labelled).parts:
            continue   # the set of real articles has its own scoring, with a hold-out part
        label = json.loads(path.read_text(encoding="utf-8"))
        kind, _, ref = label["source"].partition(":")
        src = path.parent / ref if kind == "file" else corpus / ref
        payload = src.read_bytes() if src.exists() else None
        cases.append((str(path.relative_to(labelled)), label, payload))
    return cases


def evaluate(cases, verbose: bool = False) -> dict:
    """Counts and scores over ``cases`` (see the module docstring for the matching rules)."""
    fig_tp = fig_pred = fig_lab = fig_found = 0
    q_lab = q_found = q_pred = q_pred_ok = 0
    spk_lab = spk_ok = 0
    meta_errors: list[str] = []
    pages = 0
    for name, label, payload in cases:
        if payload is None:
            continue
        pages += 1
        art = extract(payload, label.get("content_type"))
        text = art.text
        for key, want in label.get("expect", {}).items():
            if getattr(art, key) != want:
                meta_errors.append(f"{name}: {key} {getattr(art, key)!r} != {want!r}")
        for bad in label.get("not_in_text", []):
            if bad in text:
                meta_errors.append(f"{name}: boilerplate {bad!r} in text")

        # figures
        labs = []
        for f in label["figures"]:
            span = _locate(text, f["text"], f.get("occurrence", 0))
            labs.append((f, span))
        fig_lab += len(labs)
        fig_pred += len(art.figures)
        used: set[int] = set()
        for f, span in labs:
            hit = None
            if span:
                for i, p in enumerate(art.figures):
                    if i not in used and _overlaps(span, (p["start"], p["end"])) and abs(p["value"] - f["value"]) <= 1e-6 * max(1.0, abs(f["value"])):
                        hit = i
                        break
            if hit is not None:
                used.add(hit)
                fig_found += 1
            elif verbose:
                print(f"  MISS figure {name}: {f['text']!r} = {f['value']} (span {span})")
        fig_tp += len(used)
        if verbose:
            for i, p in enumerate(art.figures):
                if i not in used:
                    print(f"  FP   figure {name}: {p['text']!r} = {p['value']} ({p['kind']}) in {p['sentence'][:70]!r}")

        # quotes and speakers
        q_lab += len(label["quotes"])
        q_pred += len(art.quotes)
        matched_preds: set[int] = set()
        for q in label["quotes"]:
            span = _locate(text, q["text"], q.get("occurrence", 0))
            hit = None
            if span:
                for i, p in enumerate(art.quotes):
                    if _overlaps(span, (p["start"], p["end"])):
                        hit = p
                        matched_preds.add(i)
                        break
            if hit is not None:
                q_found += 1
            elif verbose:
                print(f"  MISS quote {name}: {q['text'][:60]!r}")
            if q["speaker"]:
                spk_lab += 1
                if hit is not None and _same_speaker(hit["speaker"], q["speaker"]):
                    spk_ok += 1
                elif verbose:
                    print(f"  SPKR {name}: {q['text'][:40]!r}: got {hit and hit['speaker']!r}, want {q['speaker']!r}")
        q_pred_ok += len(matched_preds)
        if verbose:
            for i, p in enumerate(art.quotes):
                if i not in matched_preds:
                    print(f"  FP   quote {name}: {p['text'][:60]!r}")

    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    return {
        "pages": pages,
        "figures_labelled": fig_lab,
        "figures_predicted": fig_pred,
        "figures_recall": ratio(fig_found, fig_lab),
        "figures_precision": ratio(fig_tp, fig_pred),
        "quotes_labelled": q_lab,
        "quotes_predicted": q_pred,
        "quotes_recall": ratio(q_found, q_lab),
        "quotes_precision": ratio(q_pred_ok, q_pred),
        "speakers_labelled": spk_lab,
        "speakers": ratio(spk_ok, spk_lab),
        "metadata_errors": meta_errors,
    }


def main() -> int:
    verbose = "-v" in sys.argv
    cases = load_cases()
    missing = [n for n, _, p in cases if p is None]
    r = evaluate(cases, verbose=verbose)
    print(f"pages evaluated: {r['pages']} (skipped, file absent: {len(missing)})")
    print(f"figures  precision {r['figures_precision']:.3f}  recall {r['figures_recall']:.3f}"
          f"   ({r['figures_predicted']} predicted, {r['figures_labelled']} labelled)"
          f"   targets P>={TARGETS['figures_precision']} R>={TARGETS['figures_recall']}")
    print(f"quotes   precision {r['quotes_precision']:.3f}  recall {r['quotes_recall']:.3f}"
          f"   ({r['quotes_predicted']} predicted, {r['quotes_labelled']} labelled)"
          f"   target R>={TARGETS['quotes_recall']}")
    print(f"speakers correct   {r['speakers']:.3f}   ({r['speakers_labelled']} attributed quotes)"
          f"   target >={TARGETS['speakers']}")
    for e in r["metadata_errors"]:
        print("metadata:", e)
    ok = all(r[k] >= v for k, v in TARGETS.items()) and not r["metadata_errors"]
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
