"""No text loss: the stored text of every labelled real page holds every body sentence.

The pages of ``tests/labelled/real`` are read through ``bench/labelled_pages.py`` (from the
shared corpus or a repository mirror; never stored here): a page that cannot be read
here is skipped. Sentences are compared as RULES.md says: every run of whitespace is one
space, paragraph breaks included; invisible characters such as soft hyphens are kept.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from archive.text.extract import extract

HERE = Path(__file__).resolve().parent
REAL = HERE / "labelled" / "real"


def _pages_module():
    if "labelled_pages" in sys.modules:
        return sys.modules["labelled_pages"]
    spec = importlib.util.spec_from_file_location("labelled_pages", HERE.parent / "bench" / "labelled_pages.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["labelled_pages"] = mod  # its dataclass looks its module up there
    spec.loader.exec_module(mod)
    return mod


def _labels() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(REAL.glob("*.json")):
        label = json.loads(path.read_text(encoding="utf-8"))
        out.append((f"{label['split']}-{path.stem}", label))
    return out


LABELS = _labels()


@pytest.mark.parametrize("label", [lab for _, lab in LABELS], ids=[name for name, _ in LABELS])
def test_stored_text_holds_every_body_sentence(label):
    payload = _pages_module().resolve(label["source"])
    if payload is None:
        pytest.skip(f"page not on this machine: {label['source']}")
    text = re.sub(r"\s+", " ", extract(payload, label.get("content_type")).text)
    lost = [s for s in label["body_sentences"] if re.sub(r"\s+", " ", s) not in text]
    # A caption credit the labels count as a sentence ("Foto: LA NACION") is the one
    # tolerated difference: it is not article text the extractor should keep.
    lost = [s for s in lost if not re.fullmatch(r"(?:Foto|Photo|Image)\s*:.{0,40}", s)]
    assert not lost, f"{len(lost)} of {len(label['body_sentences'])} sentences lost, first: {lost[0]!r}"


PARA = "Residents of the valley said the storm was the worst they could remember in years. " * 3


def _page(body: str) -> bytes:
    return (f"<html lang=en><head><title>T</title></head><body><nav><a href=/>Home</a></nav>"
            f"<article><h1>Storm</h1><p>{PARA}</p>{body}<p>{PARA}</p></article>"
            f"<footer>Copyright</footer></body></html>").encode()


def test_inline_comments_and_elements_never_cut_a_paragraph():
    body = ("<p>Unemployment in the region rose to <!-- -->4.5 percent<!-- -->. The governor said "
            "the figure was <b>the</b> worst in <a href='/x'>a decade</a>, and <span>officials</span>"
            "<?php echo 1 ?> said more <i>would</i> come.</p>")
    text = extract(_page(body)).text
    assert ("Unemployment in the region rose to 4.5 percent. The governor said the figure was the "
            "worst in a decade, and officials said more would come.") in text.split("\n")


def test_drop_capital_printed_apart_joins_its_word():
    body = "<div><span>T</span><p><a href='/t'>urkey</a>, Poland and three islands were added to the list today.</p></div>"
    assert "Turkey, Poland and three islands were added to the list today." in extract(_page(body)).text


def test_soft_hyphens_of_the_page_are_kept():
    body = "<p>Aside from Russian President Vladi&shy;mir Putin, few leaders stand up to him so often.</p>"
    assert "Vladi\u00admir Putin" in extract(_page(body)).text
