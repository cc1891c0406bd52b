"""Figures in an article's text: every number a reader could cite, with what it counts.

Pure functions over the extracted text; no I/O.

What is a figure, and its ``kind``:

* ``number``: digits with separators and decimals ("2,300", "1.5", "1.5 million"),
  spelled-out numbers ("three", "twenty-five", "a dozen", "two hundred"), fractions
  ("a third", "two-thirds", "half of"). A lone "one" is not a figure (it is far more
  often a pronoun: "one of them"); vague plurals ("dozens", "thousands of") are not
  figures either, because they have no value to cite.
* ``percent``: "40%", "40 percent", "40 per cent", "ten percent", "3 percentage points".
* ``money``: "$3.2bn", "€40 million", "£5", "5 million dollars"; ``unit`` is the ISO
  currency code (USD, EUR, GBP, JPY, INR, ...).
* ``date``: "June 2019", "April 3, 2021", "3 April 2021", "2021-04-03", "08.04.2015",
  decades ("the 1990s"), and years standing alone ("in 2019"). ``value`` of a date is its
  year when it has one, else the day of the month ("April 3" -> 3). Numbers inside a
  date or a clock time ("12:46", "3 p.m.") are never separate figures; times are not
  figures at all.
* ``ordinal``: ordinals written in digits ("21st", "3rd"); spelled ordinals ("first",
  "second") are ordinary words and not figures.

Digits glued to letters ("COVID-19", "G7", "F-35", "4G") are names, not figures. A plain
four-digit number from 1800 to 2099 is a year unless a plural noun follows it
("1,500 homes" and "1500 homes" are numbers; "in 2019", "the 2019 report" are years).

``counts`` is the noun phrase right after the figure (up to three words, skipping "of" and
"of the": "40% of residents" -> "residents"); ``unit`` a currency code or a measurement
unit ("km", "acres"); ``qualifier`` the hedge in front of it ("more than", "nearly",
"up to", "exceeded", ...), lower-cased.

>>> [(f["text"], f["value"], f["kind"], f["counts"], f["qualifier"])
...  for f in find_figures("More than 2,300 homes burned in June 2019, costing $3.2bn.")]
[('2,300', 2300.0, 'number', 'homes', 'more than'), ('June 2019', 2019.0, 'date', None, None), ('$3.2bn', 3200000000.0, 'money', None, None)]
>>> [(f["text"], f["value"]) for f in find_figures("A third of the 48,000 volunteer firefighters.")]
[('A third', 0.3333333333333333), ('48,000', 48000.0)]
"""

from __future__ import annotations

import bisect
import re

from archive.text.quotes import alternation
from archive.text.selectors import quote_selector

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_SCALES = {"هزار": 1e3, "میلیون": 1e6, "میلیارد": 1e9, "ألف": 1e3, "آلاف": 1e3, "مليون": 1e6, "ملايين": 1e6, "مليار": 1e9, "مليارات": 1e9, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "tn": 1e12}
_SCALE_WORD = r"(?:thousand|million|billion|trillion|ألف|آلاف|مليون|ملايين|مليارات|مليار|هزار|میلیون|میلیارد)"
_SCALE_ABBR = r"(?:bn|mn|tn|m|k)"
_CURRENCY_SYMBOLS = {
    "US$": "USD", "C$": "CAD", "A$": "AUD", "HK$": "HKD", "NZ$": "NZD", "$": "USD",
    "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
}
_CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP",
    "pounds": "GBP", "yen": "JPY", "rupee": "INR", "rupees": "INR", "yuan": "CNY",
    "rial": "IRR", "rials": "IRR", "riyal": "SAR", "riyals": "SAR", "dirham": "AED",
    "dirhams": "AED", "دولار": "USD", "يورو": "EUR", "ريال": "SAR", "درهم": "AED",
    # Persian spells rial with Persian yeh (ریال), Arabic with Arabic yeh (ريال); the toman
    # (ten rials) has no ISO code, IRT is the one in common use.
    "دلار": "USD", "یورو": "EUR", "ریال": "IRR", "تومان": "IRT", "franc": "CHF", "francs": "CHF", "pesos": "MXN", "rand": "ZAR",
}
_ISO_CODES = r"(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|CNY|INR|IRR|SAR|AED|EGP)"
_UNITS = {
    "km", "kilometres", "kilometers", "miles", "mile", "kg", "kilograms", "tonnes", "tons",
    "acres", "hectares", "feet", "foot", "ft", "metres", "meters", "metre", "meter", "cm",
    "mm", "mph", "km/h", "degrees", "litres", "liters", "gallons", "pounds-force", "kWh",
    "MW", "GW", "megawatts", "gigawatts", "square", "sq",
}

# ``\d`` also matches Persian (۰-۹) and Arabic-Indic (٠-٩) digits; ٬ and ٫ are their
# thousands and decimal separators.
_NUM = r"\d{1,3}(?:[,٬]\d{3})+(?:[.٫]\d+)?|\d+(?:[.٫]\d+)?"
# Figures are read after mapping those digits and marks to ASCII (same length, so
# offsets stay); the text keeps them as written.
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٬٫٪", "01234567890123456789,.%")
# Digits glued to a letter or to "letter-" are part of a name (COVID-19, F-35, G7).
_NB = r"(?<![\w.,/:])(?<![^\W\d_]-)"
_NA = r"(?![\w%٪]|[.,٫٬]\d)"

_PATTERNS = [
    ("date", rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}})(?!\d)"),
    ("date", rf"{_MONTH}\s+(?:of\s+)?\d{{4}}(?!\d)"),
    ("date", rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?![\d:])"),
    ("date", rf"{_NB}\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b"),
    ("date", rf"{_NB}\d{{4}}-\d{{2}}-\d{{2}}(?:T\d{{2}}:\d{{2}}(?::\d{{2}})?)?(?!\d)"),
    ("date", rf"{_NB}\d{{1,2}}[./]\d{{1,2}}[./](?:\d{{4}}|\d{{2}})(?![\d.]\d)"),
    ("date", rf"(?:\b(?:mid|early|late)-)?{_NB}(?:1[89]|20)\d0s\b|’\d0s\b|'\d0s\b"),
    ("date", rf"(?:\b(?:mid|early|late)-)?{_NB}(?:1[89]|20)\d\d[-–/](?:(?:1[89]|20)\d\d|\d\d)(?!\d)"),
    ("time", rf"{_NB}\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s*(?:[ap]\.m\.|[ap]m\b|h\b|GMT|UTC)?|{_NB}\d{{1,2}}\.\d{{2}}\s*(?:[ap]\.m\.|[ap]m\b)|{_NB}\d{{1,2}}\s?(?:[ap]\.m\.|[ap]m\b)"),
    ("money", rf"(?:US\$|C\$|A\$|HK\$|NZ\$|\$|€|£|¥|₹)\s?(?:{_NUM})(?:\s?{_SCALE_WORD}\b|{_SCALE_ABBR}\b)?"),
    ("money", rf"\b{_ISO_CODES}\s?(?:{_NUM})(?:\s?{_SCALE_WORD}\b|{_SCALE_ABBR}\b)?"),
    ("money", rf"{_NB}(?:{_NUM})(?:\s{_SCALE_WORD})?\s(?:{'|'.join(_CURRENCY_WORDS)}|{_ISO_CODES})\b"),
    ("percent", rf"{_NB}(?:{_NUM})\s?(?:%|٪|percent\b|per\s?cent\b|percentage points?\b|درصد)"),
    ("ordinal", rf"{_NB}\d+(?:st|nd|rd|th)\b"),
    # "2^15 - 1" is one number as written (32767), not 2^15 and a 1
    ("power", rf"{_NB}\d+\^\d+(?:\s?[-+−]\s?\d+(?![\d^]|[.,]\d))?(?!\d)"),
    ("number", rf"{_NB}(?:{_NUM})(?:\s{_SCALE_WORD}\b|{_SCALE_ABBR}\b)?{_NA}"),
]
# The lookahead names every character a pattern can start with, so that the regex engine
# rejects the other positions (most of the text) without trying all sixteen alternatives:
# ten times faster, and the same matches.
_MASTER = re.compile(
    r"(?=[\dA-Z$€£¥₹’']|(?:mid|early|late)-)(?:"
    + "|".join(f"(?P<g{i}>{p})" for i, (_, p) in enumerate(_PATTERNS))
    + ")"
)

_UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_WORD_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "dozen": 12}
_FRACTIONS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
              "fifth": 5, "fifths": 5, "tenth": 10, "tenths": 10}
# prefix-factored: the spelled-number regex is tried at every word of the text
_NW = alternation(list(_UNIT_WORDS) + list(_WORD_SCALES))
_SPELLED = re.compile(
    rf"\b(?:(?:a|one|two|three|four)[\s-](?:half|thirds?|quarters?|fifths?|tenths?)\b(?=\s+of\b|\s*[,.;:)]|\s*$|\s+(?:as|more|less|fewer)\b)"
    rf"|half(?=\s+(?:of|the|a|an|its|their|all|as)\b)"
    rf"|(?:a\s+(?=(?:hundred|thousand|million|billion|dozen)\b))?(?:{_NW})(?:(?:[\s-]+|\s+and\s+)(?:{_NW})\b)*"
    rf"(?:\s+(?:percent|per\s?cent)\b)?)\b",
    re.I,
)

# Persian number words. "نه" (nine, also "no") and "ده" (ten, also "village") are left out:
# as words on their own they are far more often something else. A lone "یک" (one) is
# not a figure, as "one" is not.
_FA_UNITS = {
    "یک": 1, "دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6, "هفت": 7, "هشت": 8,
    "یازده": 11, "دوازده": 12, "سیزده": 13, "چهارده": 14, "پانزده": 15, "شانزده": 16,
    "هفده": 17, "هجده": 18, "نوزده": 19, "بیست": 20, "سی": 30, "چهل": 40, "پنجاه": 50,
    "شصت": 60, "هفتاد": 70, "هشتاد": 80, "نود": 90, "صد": 100, "یکصد": 100, "دویست": 200,
    "سیصد": 300, "چهارصد": 400, "پانصد": 500, "ششصد": 600, "هفتصد": 700, "هشتصد": 800,
    "نهصد": 900,
}
_FA_SCALES = {"هزار": 1e3, "میلیون": 1e6, "میلیارد": 1e9}
_FA_WORD = alternation(list(_FA_UNITS) + list(_FA_SCALES))
# Word edges include the zero-width non-joiner: "پنج‌شنبه" (Thursday) holds no five.
_FA_SPELLED = re.compile(
    rf"(?<![\w\u200c])(?:{_FA_WORD})(?:\s+و\s+(?:{_FA_WORD})|\s+(?:{'|'.join(_FA_SCALES)}))*(?![\w\u200c])"
)
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


def persian_spelled_value(words: str) -> float:
    """The value of a Persian spelled-out number.

    >>> persian_spelled_value("بیست و پنج"), persian_spelled_value("سه هزار و پانصد")
    (25.0, 3500.0)
    """
    total, current = 0.0, 0.0
    for token in re.split(r"\s+(?:و\s+)?", words.strip()):
        if token in _FA_SCALES:
            total += (current or 1) * _FA_SCALES[token]
            current = 0.0
        else:
            current += _FA_UNITS.get(token, 0)
    return total + current


_QUALIFIERS = [
    "more than", "less than", "fewer than", "no more than", "no fewer than", "at least",
    "at most", "up to", "as many as", "as much as", "as few as", "as little as",
    "nearly", "almost", "about", "around", "approximately", "roughly", "some", "over",
    "under", "just over", "just under", "well over", "well above", "close to",
    "upwards of", "in excess of", "an estimated", "estimated", "exceeded", "surpassed",
    "topped", "exceeding", "surpassing", "topping", "below", "above", "exactly", "only",
    "just", "nearly all", "almost all", "or so", "a maximum of", "a minimum of",
    "passed", "reached", "beyond", "upward of", "north of",
]
_QUALIFIER_RE = re.compile(
    r"\b(" + "|".join(sorted((re.escape(q) for q in _QUALIFIERS), key=len, reverse=True)) + r")\s+(?:the\s+)?$",
    re.I,
)

_NOT_COUNTED = {
    "a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "from", "for", "with",
    "by", "as", "than", "that", "who", "which", "were", "was", "are", "is", "be", "been",
    "have", "has", "had", "will", "would", "could", "should", "can", "may", "might", "more",
    "less", "said", "says", "this", "these", "those", "their", "its", "his", "her", "our",
    "into", "over", "under", "after", "before", "since", "until", "during", "per", "each",
    "or", "nor", "so", "if", "when", "while", "where", "not", "no", "it", "they", "we", "he",
    "she", "there", "then", "also", "still", "just", "only", "about", "around", "up", "down",
    "out", "off", "ago", "earlier", "later", "last", "next", "year", "years", "in", "do",
    "did", "does", "both", "all", "some", "many", "most", "much", "such", "own", "other",
    "percent", "cent", "respectively", "compared", "among", "across", "through",
}


_NOT_COUNTED_ARABIC_SCRIPT = {
    # Persian
    "از", "به", "در", "که", "و", "را", "با", "تا", "برای", "است", "بود", "کمتر", "بیشتر", "بیش",
    "کاهش", "افزایش", "رسید", "هم", "نیز", "این", "آن",
    # Arabic
    "من", "في", "إلى", "على", "عن", "مع", "أن", "إن", "التي", "الذي", "بحلول", "منذ", "خلال",
    "مقارنة", "بزيادة", "هذا", "هذه",
}


_IDENTIFIER_BEFORE = re.compile(
    r"(?:©|\(c\)|\b(?:District|Prop\.|Proposition|Page|Route|Highway|Interstate|Chapter|"
    r"Article|Section|Room|Flight|No\.|Number|Ward|Gate|Platform|Level|Unit|Version|Apollo|"
    r"Windows|iPhone|Galaxy|Model|Catalog|Figure|Fig\.|Table))\s*$"
)


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _scaled(s: str) -> tuple[float, str | None]:
    """Value of "1.5 million", "3.2bn", "2,300" and the currency symbol/code in front."""
    m = re.search(rf"({_NUM})\s?({_SCALE_WORD}|{_SCALE_ABBR})?\b", s)
    if not m:
        return 0.0, None
    value = _num(m.group(1))
    if m.group(2):
        value *= _SCALES[m.group(2).lower()]
    return value, s[: m.start()].strip() or None


def spelled_value(words: str) -> float:
    """The value of a spelled-out number.

    >>> spelled_value("two hundred and fifty"), spelled_value("twenty-five"), spelled_value("a dozen")
    (250.0, 25.0, 12.0)
    >>> spelled_value("two-thirds"), spelled_value("1.5 million") if False else spelled_value("three million")
    (0.6666666666666666, 3000000.0)
    """
    tokens = [t for t in re.split(r"[\s-]+", words.lower()) if t and t != "and"]
    if tokens and tokens[-1] in _FRACTIONS:
        num = 1 if tokens[0] in ("a", "half") else _UNIT_WORDS.get(tokens[0], 1)
        return num / _FRACTIONS[tokens[-1]] if tokens[0] != "half" else 0.5
    if tokens == ["half"]:
        return 0.5
    total, current = 0.0, 0.0
    for t in tokens:
        if t in ("a", "percent", "per", "cent", "percent"):
            if t == "a":
                current = 1
            continue
        if t in _UNIT_WORDS:
            current += _UNIT_WORDS[t]
        elif t in ("hundred", "dozen"):
            current = (current or 1) * _WORD_SCALES[t]
        elif t in _WORD_SCALES:
            total += (current or 1) * _WORD_SCALES[t]
            current = 0
    return float(total + current)


def _date_value(s: str) -> float:
    y = re.search(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", s)
    if y:
        return float(y.group(1))
    m = re.match(r"['’](\d)0s", s)
    if m:
        return float(1900 + int(m.group(1)) * 10)
    d = re.search(r"(?<!\d)(\d{1,2})(?!\d)", s)
    if d:
        return float(d.group(1))
    return 0.0


_PLURAL_AFTER = re.compile(r"\s+(?:[a-z]+\s+)?([a-z]+s)\b")
_NON_PLURAL = {"is", "was", "has", "as", "this", "his", "its", "us", "was", "does", "thus", "plus", "versus", "whereas", "across", "perhaps", "always", "news", "less", "unless", "series", "crisis"}


def _looks_like_year(text: str, end: int) -> bool:
    m = _PLURAL_AFTER.match(text, end)
    if m and m.group(1) not in _NON_PLURAL and not m.group(0).strip().startswith(("and ", "to ", "in ", "the ", "for ")):
        return False
    return True


def _counts(text: str, end: int) -> tuple[str | None, str | None]:
    """(counted noun phrase, measurement unit) right after a figure ending at ``end``."""
    rest = text[end : end + 80].split("\n", 1)[0]
    m = re.match(r"\s*(?:[-–]\s*)?((?:[\w’'/-]+\s*){1,6})", rest)
    if not m:
        return None, None
    words = re.findall(r"[^\W\d][\w’'/-]*|\S", rest)
    unit = None
    if words and "\u0600" <= words[0][0] <= "\u06ff":
        # Arabic script has no capitals or plural -s to end a phrase on: the counted noun
        # is the word right after the figure ("۲۵۰ لیتر", "4.5 مليون زائر"), if it is one.
        return (None if words[0] in _NOT_COUNTED_ARABIC_SCRIPT else words[0]), None
    out: list[str] = []
    i = 0
    if words and words[0] in _UNITS:
        unit = words[0]
        i = 1
    # "of", "of the": "40% of residents", "a third of the homes"
    if i < len(words) and words[i].lower() == "of":
        i += 1
        if i < len(words) and words[i].lower() in ("the", "its", "their", "all", "his", "her", "our"):
            i += 1
    while i < len(words) and len(out) < 3:
        w = words[i]
        lw = w.lower()
        if not w[0].isalpha() or lw in _NOT_COUNTED or (w[0].isupper() and not out and i > 0 and False):
            break
        if out and (lw.endswith("ed") or lw.endswith("ing")):
            break
        if lw.endswith("ed") and not out and lw not in ("displaced", "injured", "wounded", "killed", "infected", "dead"):
            break
        if w[0].isupper():
            break
        out.append(w)
        i += 1
        if lw.endswith("s") and lw not in _NON_PLURAL and len(out) >= 1:
            # a plural noun ends the phrase: "2,300 homes", "48,000 volunteer firefighters"
            break
    counts = " ".join(out) if out else None
    return counts, unit


class _Sentences:
    """Sentence boundaries of a text, found once, looked up by offset."""

    _END = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9\u0600-\u06ff])|\n")
    _ABBR = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Gov|Sen|Rep|Gen|Col|Lt|Sgt|Prof|No|vs|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Inc|Co|Corp|Ltd|Jr|Sr)|\b[A-Z]|\b[A-Z]\.[A-Z])\.$")

    def __init__(self, text: str):
        self.text = text
        starts = [0]
        for m in self._END.finditer(text):
            if m.group(0) != "\n" and self._ABBR.search(text[max(0, m.start() - 6) : m.start()]):
                continue
            starts.append(m.end())
        self.starts = starts

    def around(self, pos: int) -> str:
        k = bisect.bisect_right(self.starts, pos) - 1
        s = self.starts[k]
        e = self.starts[k + 1] if k + 1 < len(self.starts) else len(self.text)
        return self.text[s:e].strip()


def find_figures(text: str) -> list[dict]:
    """The figures in ``text``, in order (see the module docstring for the rules)."""
    found: list[tuple[int, int, str, float, str | None]] = []  # start, end, kind, value, unit
    times: list[tuple[int, int]] = []
    for m in _MASTER.finditer(text):
        kind = _PATTERNS[int(m.lastgroup[1:])][0]
        s, e, written = m.start(), m.end(), m.group(0).translate(_TO_ASCII)
        unit = None
        if kind == "time":
            # not a figure, but its digits are not spelled numbers either
            times.append((s, e))
            continue
        if kind == "date":
            value = _date_value(written)
        elif kind == "money":
            sym = re.match(r"US\$|C\$|A\$|HK\$|NZ\$|\$|€|£|¥|₹|" + _ISO_CODES, written)
            if sym:
                unit = _CURRENCY_SYMBOLS.get(sym.group(0), sym.group(0))
                value, _ = _scaled(written[sym.end() :])
            else:
                word = written.split()[-1]
                unit = _CURRENCY_WORDS.get(word.lower(), word)
                value, _ = _scaled(written[: -len(word)])
        elif kind == "percent":
            value = _num(re.match(_NUM, written).group(0))
        elif kind == "power":
            pm = re.fullmatch(r"(\d+)\^(\d+)(?:\s?([-+−])\s?(\d+))?", written)
            value = float(int(pm.group(1)) ** min(int(pm.group(2)), 300))
            if pm.group(3):
                value += int(pm.group(4)) if pm.group(3) == "+" else -int(pm.group(4))
            kind = "number"
        elif kind == "ordinal":
            value = float(re.match(r"\d+", written).group(0))
        else:
            value, _ = _scaled(written)
            digits = re.fullmatch(r"(1[89]\d\d|20\d\d)", written)
            if digits and _looks_like_year(text, e):
                kind, value = "date", float(written)
        found.append((s, e, kind, value, unit))

    taken = [(s, e) for s, e, *_ in found] + times
    for m in _SPELLED.finditer(text):
        s, e, written = m.start(), m.end(), m.group(0)
        if any(a < e and s < b for a, b in taken):
            continue
        bare = written.lower().strip()
        if bare in ("one", "zero", "hundred", "thousand", "million", "billion", "trillion", "dozen") or re.fullmatch(r"one[\s-]+(?:percent|per\s?cent)", bare):
            continue
        kind = "percent" if re.search(r"per\s?cent$", bare) else "number"
        value = spelled_value(bare)
        # "five million dollars"
        unit = None
        cm = re.match(r"\s+(dollars|euros|pounds|yen|rupees|yuan|rials|riyals|dirhams)\b", text[e : e + 12], re.I)
        if cm and kind == "number":
            kind, unit, e = "money", _CURRENCY_WORDS[cm.group(1).lower()], e + cm.end()
            written = text[s:e]
        found.append((s, e, kind, value, unit))
    if _ARABIC_SCRIPT.search(text):
        for m in _FA_SPELLED.finditer(text):
            s, e, written = m.start(), m.end(), m.group(0)
            if written in ("یک", "صد") or written in _FA_SCALES or any(a < e and s < b for a, b in taken):
                continue
            kind = "number"
            pm = re.match(r"\s+درصد(?![\w\u200c])", text[e : e + 8])
            if pm:  # "بیست و پنج درصد"
                kind, e = "percent", e + pm.end()
            found.append((s, e, kind, persian_spelled_value(written), None))
    # Copyright years and numbers that name a thing (District 4, Prop. 13, Page 8) are not
    # figures a reader would cite.
    found = [
        t for t in found
        if not _IDENTIFIER_BEFORE.search(text[max(0, t[0] - 12) : t[0]])
    ]
    found.sort()

    sentences = _Sentences(text)
    out: list[dict] = []
    for n, (s, e, kind, value, unit) in enumerate(found):
        written = text[s:e]
        counts = None
        if kind in ("number", "percent", "money", "ordinal"):
            counts, measure = _counts(text, e)
            unit = unit or measure
        qualifier = None
        if kind != "date":
            qm = _QUALIFIER_RE.search(text[max(0, s - 30) : s])
            if qm:
                qualifier = qm.group(1).lower()
        out.append({
            "n": n,
            "value": float(value),
            "text": written,
            "kind": kind,
            "unit": unit,
            "counts": counts,
            "qualifier": qualifier,
            "sentence": sentences.around(s),
            "start": s,
            "end": e,
            **quote_selector(text, s, e),
        })
    return out
