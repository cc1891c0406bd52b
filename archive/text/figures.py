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
           "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "tn": 1e12, "b": 1e9}
_SCALE_WORD = r"(?:thousand|million|billion|trillion|ألف|آلاف|مليون|ملايين|مليارات|مليار|هزار|میلیون|میلیارد)"
_SCALE_ABBR = r"(?:bn|mn|tn|m|k|B)"
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

def _build_patterns(num: str, month: str, scale_word: str, percent: str, currency_words: str,
                   time_words: str) -> list[tuple[str, str]]:
    """The figure patterns, in order of precedence, for one locale's number format and words."""
    return [
        ("phone", r"(?<![\w.,/:-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)\s?|\d{1,4}[\s.-])?\d{3}[.-]\d{4}(?![\d-])|(?<![\w-])1-8\d\d-[\dA-Z]{3}-[\dA-Z]{4}\b"),
        ("date", rf"(?:{month}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th|\.|º|°)?\s+(?:of\s+|de\s+)?{month},?\s+(?:de\s+)?\d{{4}})(?!\d)"),
        ("date", rf"{month}\s+(?:of\s+|de\s+)?\d{{4}}(?!\d)"),
        ("date", rf"{month}\s+\d{{1,2}}(?:st|nd|rd|th)?(?![\d:])"),
        ("date", rf"{_NB}\d{{1,2}}(?:st|nd|rd|th|\.|º|°)?\s+(?:of\s+|de\s+)?{month}(?!\w)"),
        ("date", rf"{_NB}\d{{4}}-\d{{2}}-\d{{2}}(?:T\d{{2}}:\d{{2}}(?::\d{{2}})?)?(?!\d)"),
        ("date", rf"{_NB}\d{{1,2}}[./]\d{{1,2}}[./](?:\d{{4}}|\d{{2}})(?![\d.]\d)"),
        ("date", rf"(?:\b(?:mid|early|late)-)?{_NB}(?:1[89]|20)\d0s\b|’\d0s\b|'\d0s\b"),
        ("date", rf"(?:\b(?:mid|early|late)-)?{_NB}(?:1[89]|20)\d\d[-–/](?:(?:1[89]|20)\d\d|\d\d)(?!\d)"),
        ("time", rf"{_NB}\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s*(?:[ap]\.m\.|[ap]m\b|h\b|GMT|UTC|{time_words})?|{_NB}\d{{1,2}}\.\d{{2}}\s*(?:[ap]\.m\.|[ap]m\b|{time_words})|{_NB}\d{{1,2}}\s?(?:[ap]\.m\.|[ap]m\b)|{_NB}\d{{1,2}}(?:[.h]\d{{2}})?\s?(?:{time_words})|{_NB}\d{{1,2}}h\d{{2}}\b"),
        # "a 6-3 vote", "pages 16-17", "24/7": scores, tallies and notations, not figures
        ("score", rf"{_NB}\d{{1,3}}[-–/]\d{{1,3}}(?![\d%]|[.,]\d|\s?(?:{percent}))(?!-\w)"),
        ("money", rf"(?:US\$|C\$|A\$|HK\$|NZ\$|R\$|\$|€|£|¥|₹)\s?(?:{num})(?:[\s-]?{scale_word}(?!\w)|{_SCALE_ABBR}\b)?"),
        ("money", rf"\b{_ISO_CODES}\s?(?:{num})(?:\s?{scale_word}(?!\w)|{_SCALE_ABBR}\b)?"),
        ("money", rf"{_NB}(?:{num})(?:[\s-]{scale_word})?[\s-](?:de\s+|d['’])?(?:{currency_words}|{_ISO_CODES})(?!\w)"),
        ("percent", rf"{_NB}(?:{num})\s?(?:%|٪|{percent}|percentage points?\b|درصد)"),
        ("ordinal", rf"{_NB}\d+(?:st|nd|rd|th)\b"),
        # "2^15 - 1", "10^5": notations that restate other figures
        ("power", rf"{_NB}\d+\^\d+(?:\s?[-+−]\s?\d+(?![\d^]|[.,]\d))?(?!\d)"),
        ("number", rf"{_NB}(?:{num})(?:[\s-]{scale_word}(?!\w)|{_SCALE_ABBR}\b)?{_NA}"),
    ]


_PATTERNS = _build_patterns(
    _NUM, _MONTH, _SCALE_WORD, r"percent\b|per\s?cent\b",
    "|".join(_CURRENCY_WORDS), r"GMT\b|UTC\b",
)
# The lookahead names every character a pattern can start with, so that the regex engine
# rejects the other positions (most of the text) without trying all the alternatives:
# ten times faster, and the same matches.
_MASTER = re.compile(
    r"(?=[\dA-Z$€£¥₹’'+(]|(?:mid|early|late)-)(?:"
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
# (the lookahead names the letters a spelled number can start with, case-insensitively, so
# that the other words are turned down with one test: a third faster, the same matches)
_SPELLED_FIRST = "".join(sorted({w[0] for w in [*_UNIT_WORDS, *_WORD_SCALES, "a", "half"]}))
_SPELLED = re.compile(
    rf"(?=[{_SPELLED_FIRST}])\b(?:(?:a|one|two|three|four)[\s-](?:half|thirds?|quarters?|fifths?|tenths?)\b(?=\s+of\b|\s*[,.;:)]|\s*$|\s+(?:as|more|less|fewer)\b)"
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
    "topped", "exceeding", "surpassing", "topping", "below", "above",
    "nearly all", "almost all", "or so", "a maximum of", "a minimum of",
    "beyond", "upward of", "north of", "on average", "an average of",
]
_QUALIFIER_RE = re.compile(
    r"\b(" + "|".join(sorted((re.escape(q) for q in _QUALIFIERS), key=len, reverse=True)) + r")\s+(?:(?:the|a|an)\s+)?$",
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
    "out", "off", "ago", "earlier", "later", "last", "next", "in", "do", "back", "away",
    "home", "ahead", "together", "alone", "alongside", "owing", "payable", "due", "apiece",
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
    m = re.search(rf"({_NUM})[\s-]?({_SCALE_WORD}|{_SCALE_ABBR})?\b", s)
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


_AGE_BEFORE = re.compile(r"(?:\b(?:aged|age|ages|âgée?s?|edad de|idade de|im Alter von|di età)\s+|[A-Z][\w’'\-]+,\s)$")
_AGE_AFTER = re.compile(r"(?:,|-year-old|-years-old| years? old\b|-jährige|[\s-]ans?\b,|\s+años\b,|\s+anos\b,|\s+anni\b,)")
_HYPHEN_UNIT = re.compile(r"-(?:[a-zA-Z]+-)?(?:year|month|week|day|hour|minute|second|foot|feet|inch|mile|metre|meter|kilometre|kilometer|yard|acre|story|storey|point|page|man|member|person)s?\b")
_RATE_AFTER = re.compile(r"\s+(?:a|an|per)\s+(hour|night|day|week|month|year|person|head|share|barrel|ton|tonne|kilo|pound|gallon|litre|liter)\b")


_AGES_OF = re.compile(r"\b(?:ages?\s+of|aged|age)\s+(?:(?:\d+|between)\s+(?:and|to|or)\s+)?$")


def _age(text: str, s: int, e: int) -> bool:
    """"Nadia Mohamed, 27,", "aged 54", "a 15-year-old boy", "between the ages of 25 and
    54", "Premier Andrew Fahie, 51.": the figure is an age."""
    before = text[max(0, s - 30): s]
    return bool(_AGE_BEFORE.search(before[-24:]) and (_AGE_AFTER.match(text, e) or re.match(r"[.;](?:\s|$)", text[e : e + 2]))) or bool(
        re.match(r"-year-old|-years-old|-jährige|\s+Jahre\s+alt\b", text[e: e + 12])) or bool(_AGES_OF.search(before)) or bool(
        re.search(r"[A-Z][\w’'\-]+,\s+mit\s+$", before) and re.match(r"\s+Jahren\b", text[e: e + 8]))


def _what_counts(text: str, s: int, e: int, kind: str, loc) -> tuple[str | None, str | None]:
    """(what a figure counts, unit): ages, rates ("$600 an hour"), hyphenated modifiers
    ("14-day quarantine", "two-year negotiation"), then the noun phrase after it."""
    if kind == "number" and _age(text, s, e):
        return "age", None
    if kind == "money":
        rm = _RATE_AFTER.match(text, e)
        if rm:
            return rm.group(1), None
        im = re.match(r"\s+(?:\([^()]{0,30}\)\s+)?in\s+([a-z][\w-]*(?:\s+[a-z][\w-]*)?)\b", text[e : e + 60])
        if im and loc is None and im.group(1).split()[0] not in _NOT_COUNTED:
            return im.group(1), None  # "$10 billion in cash"
    hm = _HYPHEN_UNIT.match(text, e)
    if hm:
        e = hm.end()
    elif loc is not None and (compound := re.match(r"-[^\W\d_][\w-]*", text[e:])):
        e = compound.end() + e  # "Zwei-Stunden-Takt"
    if loc is None:
        return _counts(text, e)
    return _counts_locale(text, e, loc, kind), None


def _counts(text: str, end: int) -> tuple[str | None, str | None]:
    """(counted noun phrase, measurement unit) right after a figure ending at ``end``."""
    rest = text[end : end + 100].split("\n", 1)[0]
    # "475 pounds (215.5 kilos) of cocaine", "the 1.2-billion-yuan (US$171-million) telescope"
    rest = re.sub(r"^\s*\([^()]{0,40}\)", "", rest)
    rest = re.sub(r"^\)(?=\s+of\s)", "", rest)  # "475 pounds (215.5 kilos) of cocaine"
    m = re.match(r"\s*(?:[-–]\s*)?((?:[\w’'/-]+\s*){1,6})", rest)
    if not m:
        return None, None
    # "40-foot-tall tubes", "500-metre-wide dish": the measure's adjective is no noun
    rest = re.sub(r"^-(?:tall|wide|long|high|deep|thick|old|strong)\b", "", rest)
    words = re.findall(r"[^\W\d][\w’'/-]*|\S", rest)
    unit = None
    if words and "\u0600" <= words[0][0] <= "\u06ff":
        # Arabic script has no capitals or plural -s to end a phrase on: the counted noun
        # is the word right after the figure ("۲۵۰ لیتر", "4.5 مليون زائر"), if it is one.
        return (None if words[0] in _NOT_COUNTED_ARABIC_SCRIPT else words[0]), None
    out: list[str] = []
    i = 0
    if words and (words[0] in _UNITS or words[0].lower() in _MEASURE_UNITS):
        # a measure counts the substance after "of" ("26.6 megabytes of data"), never its unit
        unit = words[0]
        i = 2 if len(words) > 2 and words[1] == ")" else 1  # "(215.5 kilos) of cocaine"
        if not (len(words) > i and words[i].lower() == "of"):
            return None, unit
    # "of", "of the": "40% of residents", "a third of the homes"
    if i < len(words) and words[i].lower() == "of":
        i += 1
        if i < len(words) and words[i].lower() in ("the", "its", "their", "all", "his", "her", "our"):
            i += 1
    elif i < len(words) and words[i].lower() in ("the", "a", "an") and i + 1 < len(words) and words[i + 1][:1].islower():
        i += 1  # "half the financial help", "half a decade"
    # "three more noble gases", "13 other states", "two more years"
    while i + 1 < len(words) and words[i].lower() in _COUNT_MODIFIERS and words[i + 1][:1].isalpha():
        i += 1
    limit = 3
    while i < len(words) and len(out) < limit:
        w = words[i]
        lw = w.lower()
        if not w[0].isalpha() or lw in _NOT_COUNTED and not (lw == "other" and not out):
            break
        if out and (lw.endswith("ed") or lw.endswith("ing")):
            break
        if lw.endswith("ed") and not out and lw not in ("displaced", "injured", "wounded", "killed", "infected", "dead"):
            break
        if w[0].isupper() and i > 0 and words[i - 1].lower() in ("of", "the") and not out:
            # "15 percent of the General Assembly": a body named after "of"
            k = i
            while k < len(words) and k - i < 4 and words[k][:1].isupper():
                k += 1
            out += words[i:k]
            i = k
            break
        if w[0].isupper():
            # a name as a modifier ("two large Packard signs", "three Washington Native
            # American tribes") or a capitalised plural ("a dozen Republicans")
            k = i
            while k < len(words) and k - i < 4 and words[k][:1].isupper():
                k += 1
            head = words[k] if k < len(words) else ""
            if _is_plural(words[k - 1]) and not head[:1].isalpha() or (head[:1].islower() and _is_plural(head)):
                stop = k if _is_plural(words[k - 1]) and not head[:1].islower() else k + 1
                out += words[i:stop]
                i = stop
                break
            break
        out.append(w)
        i += 1
        if _is_plural(lw):
            # a plural noun ends the phrase: "2,300 homes", "48,000 volunteer firefighters"
            break
    if out and _is_plural(out[-1].lower()) and i + 2 < len(words) + 1 and i < len(words) and words[i].lower() in ("and", "or"):
        # "50 countries and territories", "two cars or trucks"
        nxt = [w for w in words[i + 1 : i + 3] if w[:1].isalpha()]
        if nxt and nxt[0][:1].islower() and nxt[0].lower() not in _NOT_COUNTED and _is_plural(nxt[0].lower()):
            out += [words[i], nxt[0]]
    counts = " ".join(out) if out else None
    return counts, unit


def _is_plural(word: str) -> bool:
    return word.endswith("s") and word.lower() not in _NON_PLURAL and not word.endswith("ss")


# Words between a figure and what it counts: "three more noble gases", "two more years".
_COUNT_MODIFIERS = {"more", "further", "extra"}
# Units of measures the module does not read as units of its own ("26.6 megabytes").
_MEASURE_UNITS = {
    "bytes", "kilobytes", "megabytes", "gigabytes", "terabytes", "kb", "mb", "gb", "tb", "megs",
    "kilos", "kilo", "grams", "gram", "ounces", "ounce", "lbs", "inches", "inch", "yards",
    "yard", "decibels", "kilometers", "kilometres", "centimetres", "centimeters", "millimetres",
    "millimeters", "metres", "meters", "liters", "litres", "barrels", "cubic", "megawatt",
    "kilowatts", "watts", "volts", "knots", "celsius", "fahrenheit",
}
# "a payment of $500,000", "Inflation of 7.3 percent", "an estimated net worth of …":
# the noun a money or percent figure is "of"
_OF_BEFORE_FIGURE = re.compile(
    r"(?:\b(?P<est>estimated)\s+)?(?<![\w’'-])(?P<np>(?:[a-z][\w’'-]*\s+)?[a-z][\w’'-]*)\s+(?P<link>of|is|was)\s+"
    r"(?:(?:up to|about|around|nearly|some|over|more than|almost|approximately|roughly)\s+)?(?:a\s+|an\s+)?$",
    re.I,
)
# Nouns before "of" that are no thing counted: "in the form of", "a maximum of".
_OF_NOT_COUNTED = {"form", "maximum", "minimum", "total", "average", "sum", "excess", "upwards", "range", "tune"}
_CHANGE_BEFORE_FIGURE = re.compile(
    r"(?:^|[,;:(]\s*|\b(?:the|its|their)\s+|(?<=[.!?])\s+)([A-Za-z][\w-]*(?:\s+[a-z][\w-]*)?)\s+"
    r"(?:would\s+|will\s+|could\s+|has\s+|have\s+|had\s+)?"
    r"(?:rose|rise|rises|risen|fell|fall|falls|fallen|increased|increase|decreased|decrease|grew|grow|grows|"
    r"slid|slide|slides|dropped|drop|drops|jumped|jump|climbed|climb|declined|decline|surged|soared|"
    r"plunged|plummeted|shrank|gained|lost)\s+(?:by\s+)?$",
)


def _counts_before(text: str, start: int, kind: str) -> tuple[str | None, str | None]:
    """(what a figure counts, qualifier) read before it, for a money or percent figure
    with nothing counted after it: "a payment of $500,000" -> payment, "total emissions
    fell 2 percent" -> total emissions, "an estimated net worth of $186.3 billion" ->
    (net worth, estimated)."""
    before = text[max(0, start - 80) : start]
    before = before.split("\n")[-1]
    m = _OF_BEFORE_FIGURE.search(before)
    if m:
        words = m.group("np").split()
        if m.group("link") != "of":
            # "The estimated value is $4.3 million", "that contribution was 57 per cent":
            # the subject right before the verb, after its determiner
            dets = ("the", "that", "this", "its", "their", "estimated")
            pre = before[: m.start("np")].rstrip().split()
            if len(words) == 2 and words[0].lower() in dets:
                words = words[1:]
            elif len(words) > 1 or not pre or pre[-1].lower() not in dets:
                words = []
        elif len(words) == 2 and (words[0].lower() in _NOT_COUNTED or words[0].lower().endswith("ly")):
            words = words[1:]
        if words and words[-1].lower() not in _NOT_COUNTED and words[-1].lower() not in _OF_NOT_COUNTED \
                and not words[-1].lower().endswith("ing"):
            qual = "estimated" if m.group("est") or (before[: m.start("np")].rstrip().lower().endswith("estimated")) else None
            return " ".join(words).lower(), qual
    if kind == "percent":
        m = _CHANGE_BEFORE_FIGURE.search(before)
        if m and m.group(1).split()[-1].lower() not in _NOT_COUNTED:
            return m.group(1).lower(), None
    return None, None


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


# --- other languages ----------------------------------------------------------------------
#
# The page's language chooses the number format (Babel's locale data: "20.000" and
# "12,5" in German, "250 000" in French), the month names of dates (Babel), the number
# words (text2num, which reads them in English, French, Spanish, Portuguese, German,
# Italian, Dutch and Danish) and the few words no library lists: scale, percent and
# currency words, time words, qualifiers and the words that end a counted noun phrase.

_LOCALE_WORDS: dict[str, dict[str, str]] = {
    "de": {
        "scale": r"Tausend|Millionen|Million|Mio\.|Milliarden|Milliarde|Mrd\.|Billionen|Billion",
        "percent": r"Prozent\b|Prozentpunkte\b",
        "currency": r"Euro|Dollar|Franken|Pfund|Cent",
        "time": r"Uhr\b",
        "qualifier": r"mehr als|weniger als|über|fast|rund|etwa|knapp|bis zu|mindestens|höchstens|gut|circa|ca\.|nahezu|beinahe|ungefähr|annähernd|durchschnittlich|im Schnitt|im Durchschnitt|mehr als",
        "ident": r"\w*(?:straße|strasse|allee|gasse)|Straße|Strasse|Hausnummer|Seite|Nr\.|Nummer|Kapitel|Artikel|Paragraf|Paragraph|§|Version|Update|Windows|Gleis|Linie|Stufe|Folge|Staffel|Platz|Zimmer|Raum|Tor|Halle|Bus|Level",
        "stop": "und oder der die das den dem des ein eine einen einem einer pro je im in am an auf aus bei mit von vor nach zu zum zur für über um bis als wie mehr weniger ist sind war waren hat haben wird werden sich es er sie wir",
    },
    "fr": {
        "scale": r"mille|millions?|milliards?|Mds?|M€",
        "percent": r"pour\s?cent\b|points?\s+de\s+pourcentage\b",
        "currency": r"euros?|dollars?|francs?|livres?|centimes?",
        "time": r"heures?\b|h\b",
        "qualifier": r"plus de|moins de|près de|environ|presque|quelque|quelques|au moins|au plus|jusqu['’]à|pas moins de|un peu plus de|un peu moins de|autour de|plus d['’]|près d['’]|environ|en moyenne",
        "ident": r"rue|avenue|boulevard|page|n°|no\.|article|chapitre|version|ligne|salle|porte|niveau",
        "stop": "et ou le la les l un une des du de d au aux à en dans sur pour par avec sans sous chez que qui est sont était ont a par plus moins se s il elle ils elles contre depuis vers selon entre jusqu sur après avant près très dès lors puis tous toutes",
    },
    "es": {
        "scale": r"mil millones|millones|millón|mil|billones|billón",
        "percent": r"por\s?ciento\b|puntos porcentuales\b",
        "currency": r"euros?|dólares|dólar|pesos?|bolivianos?|soles|reales|libras?",
        "time": r"horas?\b|hs\b|h\b|de la (?:mañana|tarde|noche)\b|de mañana\b",
        "qualifier": r"más del|menos del|cerca del|alrededor del|más de|menos de|cerca de|alrededor de|casi|unos|unas|al menos|por lo menos|hasta|aproximadamente|poco más de|poco menos de|en promedio|como máximo|como mínimo",
        "ident": r"calle|carrera|avenida|página|núm\.|n°|artículo|capítulo|versión|línea|sala|puerta|nivel",
        "stop": "y o e el la los las lo un una unos unas de del al a en con sin por para sobre entre que quien es son fue fueron ha han se su sus desde hasta hacia contra según tras durante después antes atrás más menos",
    },
    "pt": {
        "scale": r"mil|milhões|milhão|bilhões|bilhão|mi\b|bi\b",
        "percent": r"por\s?cento\b|pontos percentuais\b",
        "currency": r"reais|real|euros?|dólares|dólar",
        "time": r"horas?\b|h\b",
        "qualifier": r"mais do que|mais da|mais do|menos da|menos do|mais de|menos de|cerca de|quase|pelo menos|até|aproximadamente|por volta de|em torno de|em média|no máximo|no mínimo",
        "ident": r"rua|avenida|calibre|página|nº|n°|artigo|capítulo|versão|linha|sala|porta|nível",
        "stop": "e ou o a os as um uma uns umas de do da dos das ao aos à às em no na nos nas com sem por para sobre entre que quem é são foi foram se seu sua desde até contra segundo durante depois antes atrás após mais",
    },
    "it": {
        "scale": r"mila|milioni|milione|miliardi|miliardo",
        "percent": r"per\s?cento\b|punti percentuali\b",
        "currency": r"euro|dollari|dollaro|sterline|franchi",
        "time": r"ore\b|h\b",
        "qualifier": r"più del|più della|meno del|meno della|più di|meno di|circa|quasi|almeno|fino a|oltre|intorno a|poco più di|poco meno di|in media|mediamente|al massimo|al minimo",
        "ident": r"via|viale|corso|piazza|giorno|pagina|n\.|numero|articolo|capitolo|versione|linea|sala|porta|livello",
        "stop": "e o ed il lo la i gli le un uno una di del della dei degli delle da dal dalla a al alla ai agli in nel nella con su per tra fra che chi è sono era ha hanno si",
    },
}
# Fractions, and the approximate counts French, Spanish, Portuguese and Italian write as
# nouns ("une quinzaine", "un centinaio": about fifteen, about a hundred). "medio",
# "meio", "mezzo" are far more often "middle" ("en medio de", "medio ambiente").
_FRACTION_WORDS = {
    "de": {"halb": 0.5, "halbe": 0.5, "halben": 0.5, "halber": 0.5, "hälfte": 0.5, "drittel": 1 / 3,
           "viertel": 0.25, "dutzend": 12},
    "fr": {"moitié": 0.5, "tiers": 1 / 3, "dizaine": 10, "douzaine": 12, "quinzaine": 15,
           "vingtaine": 20, "trentaine": 30, "quarantaine": 40, "cinquantaine": 50, "centaine": 100},
    "es": {"mitad": 0.5, "tercio": 1 / 3, "decena": 10, "docena": 12, "veintena": 20, "centena": 100, "centenar": 100},
    "pt": {"metade": 0.5, "terço": 1 / 3, "dezena": 10, "dúzia": 12, "centena": 100},
    "it": {"metà": 0.5, "terzo": 1 / 3, "decina": 10, "dozzina": 12, "ventina": 20, "trentina": 30, "centinaio": 100},
}
# Plurals of scale words are vague amounts ("miles de personas", "des milliers"), not figures.
_VAGUE = {"miles", "cientos", "centenares", "millares", "milliers", "centaines", "dizaines", "tausende",
          "hunderte", "dutzende", "migliaia", "centinaia", "decine", "milhares", "centenas", "dezenas",
          "millones", "millions", "milioni", "milhões", "millionen"}
# Number words that are far more often an article or a pronoun ("ein", "un", "uno"):
# like a lone "one", never a figure on their own.
_ARTICLES = {"ein", "eine", "einen", "einem", "einer", "eines", "un", "une", "uno", "una", "um", "uma", "y", "e", "et", "und",
             "unos", "unas", "uns", "umas", "cento", "mil"}
_CONNECT = {"de": "und", "fr": "et", "es": "y", "pt": "e", "it": "e"}


class _Locale:
    """Compiled patterns and words of one language (see the section comment)."""

    def __init__(self, lang: str):
        from babel import Locale
        from babel.dates import get_month_names
        from babel.numbers import get_decimal_symbol, get_group_symbol

        words = _LOCALE_WORDS[lang]
        self.lang = lang
        self.decimal = get_decimal_symbol(lang)
        group = get_group_symbol(lang)
        # (a space inside a number, never a line break: "2\n727" is two paragraphs' numbers)
        groups = re.escape(group) + " \u00a0\u202f." if group in ("\u202f", "\u00a0", " ") else re.escape(group) + " \u00a0\u202f"
        dec = re.escape(self.decimal)
        # "20.000", "250 000", "12,5"; a space group only after one to three digits
        self.num = rf"\d{{1,3}}(?:[{groups}]\d{{3}})+(?:{dec}\d+)?(?!\d)|\d+(?:{dec}\d+)?"
        self.groups = group + " .\u00a0\u202f"
        loc = Locale.parse(lang)
        months = set()
        for width in ("wide", "abbreviated"):
            for ctx in ("format", "stand-alone"):
                for name in get_month_names(width, ctx, locale=loc).values():
                    months.add(name.rstrip("."))
        # (a month name starts a word: "tiene 6" holds no "ene 6", January the 6th)
        # (prefix-factored, as the verbs of saying are: the month names are tried at every
        # word of the text; the same matches as a flat alternation)
        month = r"(?<![^\W\d_])(?:" + alternation(sorted(months | {m + "." for m in months})) + r")(?!\w)"
        scale = rf"(?:{words['scale']})"
        from babel.dates import get_day_names

        days = {d for w in ("wide", "abbreviated") for d in get_day_names(w, locale=loc).values()}
        day = "(?:" + alternation(sorted({d.rstrip(".") for d in days})) + r")\.?"
        patterns = [
            # "le 11 et le 28 mars", "entre el 11 y el 28 de marzo", "vom 3. bis 5. Mai"
            ("date", rf"{_NB}\d{{1,2}}\.?\s+(?:et|y|e|und|bis|zum|au|al|a)\s+(?:le\s+|el\s+|il\s+|o\s+|zum\s+)?\d{{1,2}}\.?\s+(?:de\s+)?(?i:{month})"),
            # "los años 90", "les années 1970", "anni '80"
            ("date", r"(?i:años|années|anni|anos|Jahre)\s+['’]?(?:\d\d|1[89]\d\d|20\d\d)(?!\d)"),
            # "nesta terça-feira (3)": the day of the month after a weekday
            ("date", rf"(?i:{day})(?:-feira)?\s*\(\d{{1,2}}\)"),
        ] + _build_patterns(self.num, f"(?i:{month})", scale, words["percent"], words["currency"], words["time"])
        initials = "".join(sorted({m[0].lower() for m in months | days | {"años", "années", "anni", "anos", "Jahre"}}
                                  | {m[0].upper() for m in months | days | {"años", "années", "anni", "anos", "Jahre"}}))
        inside = re.escape("".join(sorted({w[0] for w in days | {"años", "années", "anni", "anos", "Jahre"}})))
        self.kinds = [k for k, _ in patterns]
        # The lookahead names what a pattern can start with: a digit or sign, or a letter
        # that starts a word, for month and day names; inside a word, only the decade and
        # weekday patterns, which have no word-start guard of their own, can begin (a letter
        # of theirs first, then their names). Trying every pattern at every letter made the
        # other languages' figures twice as slow as need be; the same matches.
        self.master = re.compile(
            rf"(?=[\d$€£¥₹’'+(]|(?<![^\W\d_])[{initials}]|(?=(?i:[{inside}]))(?i:años|années|anni|anos|Jahre|{day}))(?:"
            + "|".join(f"(?P<g{i}>{p})" for i, (_, p) in enumerate(patterns)) + ")"
        )
        self.scale_re = re.compile(rf"({self.num})[\s-]?({words['scale']})?(?!\w)", re.I)
        # ("más de la mitad", "bis zu einem Drittel": an article may follow the hedge)
        self.qualifier = re.compile(
            rf"(?<!\w)({words['qualifier']})\s+(?:(?:la|el|los|las|le|les|l['’]|o|a|os|as|der|die|das|den|einem|einer|ein|eine|il|lo)\s*)?$", re.I)
        self.ident = re.compile(rf"(?:©|\b(?:{words['ident']}))\s*$")
        self.stop = set(words["stop"].split())
        self.currency = words["currency"]
        self.fractions = _FRACTION_WORDS[lang]
        fractions = "|".join(sorted((re.escape(w) for w, v in self.fractions.items() if v < 1), key=len, reverse=True))
        # (the whole word, so that German "Viertel" is no "Viertelfinale")
        self.after_word = re.compile(rf"[ \u00a0]+({words['scale']}|{fractions})(?![\w.])", re.I)
        self.word_cache: dict[str, float | None] = {}

    def value(self, written: str) -> float:
        """The value of a number as this locale writes it, scale word included."""
        m = self.scale_re.search(written)
        if not m:
            return 0.0
        digits = m.group(1)
        for g in self.groups:
            digits = digits.replace(g, "")
        value = float(digits.replace(self.decimal, "."))
        scale = (m.group(2) or "").lower().rstrip(".")
        if scale:
            value *= _scale_factor(scale)
        return value

    def word_value(self, word: str) -> float | None:
        """The value of one number word ("vier", "vingt-trois", "doscientos"), else None."""
        lw = word.lower()
        if lw in self.word_cache:
            return self.word_cache[lw]
        value: float | None = None
        if lw in self.fractions:
            value = self.fractions[lw]
        elif lw in ("eineinhalb", "anderthalb") and self.lang == "de":
            value = 1.5  # ("ein" alone is an article, never a number word here)
        elif lw.endswith("einhalb") and self.lang == "de":
            base = self.word_value(lw[: -len("einhalb")])
            value = base + 0.5 if base is not None else None
        elif len(lw) > 1 and lw not in _ARTICLES and lw not in _VAGUE:
            from text_to_num import text2num

            try:
                value = float(text2num(lw, self.lang))
            except ValueError:
                value = None
        if len(self.word_cache) >= WORD_CACHE_MAX:
            self.word_cache.clear()   # a drainer's worker lives long: every word seen is not kept
        self.word_cache[lw] = value
        return value


# Words whose value (or lack of one) a locale remembers: the common words of a language
# recur on every page; a process extracting for days meets millions of rare ones.
WORD_CACHE_MAX = 50_000


def _scale_factor(word: str) -> float:
    w = word.lower()
    if w.startswith(("tausend", "mille", "mil", "mila")) and not w.startswith(("mill", "mil millones", "milh", "milio", "milia")):
        return 1e3
    if w.startswith(("billion", "billón", "billones")):
        return 1e12  # (the long scale: German "Billion", Spanish "billón" are 10^12)
    if w.startswith(("mil millones", "milliard", "mrd", "md", "miliard", "bilh", "bi")):
        return 1e9
    return 1e6  # Million(en), millions, millones, milhões, milioni, Mio, mi, M€


_LOCALES: dict[str, _Locale] = {}


def _locale(language: str | None) -> _Locale | None:
    """The locale for ``language`` when it is one the extractor reads besides English."""
    lang = (language or "").lower()[:2]
    if lang not in _LOCALE_WORDS:
        return None
    if lang not in _LOCALES:
        _LOCALES[lang] = _Locale(lang)
    return _LOCALES[lang]


_WORD_TOKEN = re.compile(r"(?<![\w’'-])[^\W\d_]+(?:-[^\W\d_]+)*")


def _overlaps(taken: list[tuple[int, int]], s: int, e: int) -> bool:
    """Whether ``[s, e)`` overlaps a span of ``taken`` (sorted, disjoint: matches of one
    regex): only the last span that starts before ``e`` can, found by bisection rather
    than by testing every figure of the text for every number word."""
    k = bisect.bisect_left(taken, (e, e))
    return k > 0 and taken[k - 1][1] > s


# "os dois alinharam", "cabe aos dois,", "los dos": a number word after the article with
# no noun after it stands for people named before ("the two of them"), as "both" does;
# "vier Uhr" is a time of day
_PRONOUN_ARTICLE = re.compile(r"(?<!\w)(?:os|as|aos|às|dos|das|los|las|les|i|gli|le|die|den)\s+$", re.I)
_AFTER_PRONOUN_NUMBER = re.compile(r"\s*(?:[,.;:!?)\]»”\"]|$)|\s+[^\W\d_]+(?:aram|eram|iram|aron|ieron|arono|erono|irono)\b")


def _pronoun_number(text: str, s: int, e: int, loc: _Locale) -> bool:
    """Whether a spelled number is a pronoun or a time of day rather than a count."""
    if loc.lang == "de" and re.match(r"\s+Uhr\b", text[e : e + 5]):
        return True
    return bool(_PRONOUN_ARTICLE.search(text, max(0, s - 6), s)) and bool(_AFTER_PRONOUN_NUMBER.match(text, e))


def _spelled_locale(text: str, loc: _Locale, taken: list[tuple[int, int]]) -> list[tuple[int, int, str, float, str | None]]:
    """Spelled-out numbers of a language text2num reads ("vier", "vingt-trois", "dreieinhalb")."""
    out: list[tuple[int, int, str, float, str | None]] = []
    connect = _CONNECT[loc.lang]
    run: list[tuple[int, int, str]] = []

    def flush() -> None:
        if not run:
            return
        s, e = run[0][0], run[-1][1]
        words = [w for _, _, w in run]
        while words and words[-1].lower() == connect:
            words.pop()
        if not words:
            return
        e = run[len(words) - 1][1]
        phrase = text[s:e]
        value = None
        if len(words) > 1:
            from text_to_num import text2num

            try:
                value = float(text2num(phrase.lower(), loc.lang))
            except ValueError:
                value = None
        if value is None:
            # one word (or words text2num does not join): the first one's value
            e = run[0][1]
            phrase = text[s:e]
            value = loc.word_value(words[0].split("-")[0]) if "-" in words[0] and loc.word_value(words[0]) is None else loc.word_value(words[0])
        if value is not None:
            # "fünf Millionen Hektar", "dos millones": a scale word after the number;
            # "drei Viertel": a fraction of it
            after = loc.after_word.match(text, e)
            if after:
                word = after.group(1)
                frac = loc.fractions.get(word.lower())
                if frac is not None and frac < 1:
                    value, e = value * frac, after.end()
                elif frac is None:
                    value, e = value * _scale_factor(word), after.end()
            out.append((s, e, "number", value, None))

    known = loc.word_cache
    for m in _WORD_TOKEN.finditer(text):
        w = m.group(0)
        lw = w.lower()
        if run and lw == connect:
            run.append((m.start(), m.end(), w))
            continue
        if not run and known.get(lw, 0) is None and "-" not in w:
            continue  # most words: already known to be no number word, and no run to end
        head = w.split("-")[0] if "-" in w else w
        v = loc.word_value(w)
        if v is None and head is not w:
            v = loc.word_value(head)  # "Zwei-Stunden-Takt", "vingt-trois" is whole
        if v is None or _overlaps(taken, m.start(), m.end()):
            flush()
            run = []
            continue
        if run and text[run[-1][1] : m.start()].strip():
            flush()
            run = []
        run.append((m.start(), m.end(), w))
    flush()
    return out


# Units of measure in the other languages: a measure counts the substance after them
# ("25 tonnes de matériel", "30 000 Liter Handdesinfektionsmittel"), never the unit.
_LOCALE_UNITS = {
    "de": {"liter", "litern", "meter", "metern", "kilometer", "kilometern", "kilogramm", "kilo",
           "tonnen", "tonne", "gramm", "hektar", "quadratmeter", "quadratmetern", "quadratkilometer",
           "grad", "zentimeter", "millimeter", "megabyte", "gigabyte"},
    "fr": {"litres", "litre", "mètres", "mètre", "kilomètres", "kilomètre", "kilos", "kilo",
           "kilogrammes", "tonnes", "tonne", "grammes", "gramme", "microgramme", "microgrammes",
           "milligrammes", "hectares", "degrés", "centimètres", "millimètres", "km", "kg", "m"},
    "es": {"litros", "litro", "metros", "metro", "kilómetros", "kilómetro", "kilos", "kilo",
           "kilogramos", "toneladas", "tonelada", "gramos", "hectáreas", "grados", "centímetros",
           "milímetros", "km", "kg"},
    "pt": {"litros", "litro", "metros", "metro", "quilômetros", "quilómetros", "quilos", "quilo",
           "quilogramas", "toneladas", "tonelada", "gramas", "hectares", "graus", "centímetros", "km", "kg"},
    "it": {"litri", "metri", "metro", "chilometri", "chili", "chilo", "chilogrammi", "tonnellate",
           "grammi", "ettari", "gradi", "km", "kg"},
}
_SQUARE = {"cuadrados", "cuadrado", "carrés", "carré", "quadrados", "quadrado", "quadrati", "cúbicos", "cubes", "cúbicos"}
# Adjectives after a noun in French, Spanish, Portuguese and Italian, by their endings
# ("ejes temáticos", "glyphosate mondial", "ofícios sigilosos").
_ROMANCE_ADJ = re.compile(
    r"(?:al|ale|aux|ales|ique|iques|ico|ica|icos|icas|ivo|iva|ivos|ivas|if|ive|ifs|ives|oso|osa|osos|"
    r"osas|ano|ana|anos|anas|ien|ienne|iens|iennes|el|elle|els|elles|ário|ária|ários|árias|ar|ares|"
    r"ais|eux|euse|euses|ista|istas|iste|istes|ense|enses|"
    r"ais|aise|aises|ês|esa|eses|esas|ino|ina|inos|inas|ale|ali|ico|ici|iche|ivo|ivi|ive|oso|osi|ose)$"
)
_PARTICIPLE = re.compile(r"(?:ados?|adas?|idos?|idas?|és|ées?|ati|ate|uti|ute)$")
_ELIDED_VERB = re.compile(r"^(?:n|qu|s|c|j|m|t)['’]", re.I)


# The word that joins a sum to the noun it is the sum of: "ein Bußgeld von 250 Euro", "une
# amende de 135 euros", "un contrato por $12.267 millones", "una multa di 300 euro".
_MONEY_OF = {"de": r"von|in\s+Höhe\s+von", "fr": r"de|d[’']", "es": r"de|por", "pt": r"de", "it": r"di|da"}
# Nouns that only say "a sum": "un total de", "ein Betrag von" name nothing counted.
_MONEY_OF_NOT = {"total", "totale", "summe", "betrag", "gesamtsumme", "montant", "somme", "suma", "importe",
                 "monto", "cifra", "valor", "valeur", "wert", "quantia", "montante", "importo", "cifre"}


def _money_of_locale(text: str, start: int, loc: _Locale) -> str | None:
    """What a sum of money is the sum of, named before it in a language other than
    English: the noun right before "von"/"de"/"di"/"por" ("Bußgeld von 250 Euro" ->
    Bußgeld). German nouns are capitalised; elsewhere the noun is a lower-case word
    that no qualifier or function word is ("plus de 200 euros" names nothing)."""
    link = _MONEY_OF.get(loc.lang)
    if link is None:
        return None
    before = text[max(0, start - 60): start].split("\n")[-1]
    m = re.search(rf"(?<![\w’'-])([^\W\d_][\w’'-]*)\s+(?:{link})\s*$", before)
    if m is None:
        return None
    noun = m.group(1)
    low = noun.lower()
    if low in loc.stop or low in _MONEY_OF_NOT or len(noun) < 3 or loc.qualifier.search(before[: m.end(1)] + " "):
        return None
    if loc.lang == "de" and not noun[0].isupper():
        return None
    if loc.lang != "de" and (noun[0].isupper() or low.endswith(("ment", "mente", "é", "ó", "ato", "ito"))
                             or _PARTICIPLE.search(low) or _ELIDED_VERB.match(noun)):
        return None   # an adverb or a verb: "a augmenté de 20 millions", "subió de"
    return noun


def _counts_locale(text: str, end: int, loc: _Locale, kind: str = "number") -> str | None:
    """What a figure counts in a language other than English: German nouns are written
    capitalised ("15.000 Beschäftigten", "über 60 neue Dokumentationsjournalisten",
    "14 Manager und Anwälte"); in French, Spanish, Portuguese and Italian the noun comes
    first, its adjectives after it ("200 personnes", "6 ejes temáticos", "11 agences
    sanitaires"), and a percentage counts what it is "of" ("1,3% de la superficie del
    país"). A measure counts the substance after its unit ("25 tonnes de matériel",
    "11,1 Litern reinem Alkohol"), never the unit."""
    rest = text[end : end + 100].split("\n", 1)[0]
    words = re.findall(r"[^\W\d_][\w’'\-]*|\S", rest)
    i = 0
    measure = False
    if words and words[0].lower() in _LOCALE_UNITS.get(loc.lang, ()):
        measure = True
        i = 1
        if i < len(words) and words[i].lower() in _SQUARE:
            i += 1
    if i < len(words) and re.fullmatch(loc.currency, words[i], re.I):
        return None  # "drei Euro": money measures, it does not count
    of = False
    if i < len(words) and words[i].lower() in ("de", "d'", "d’", "di", "der", "des", "of", "du", "do", "da", "dos", "das", "del", "della", "dei", "degli", "delle"):
        of = True
        i += 1
        if i < len(words) and words[i].lower() in ("la", "las", "los", "les", "le", "l'", "l’", "o", "a", "os", "as", "el", "il", "lo", "gli", "i"):
            i += 1
    elif i < len(words) and words[i].lower().startswith(("d’", "d'")) and len(words[i]) > 2:
        of = True
    if measure and not of and loc.lang != "de":
        return None
    if loc.lang == "de":
        out: list[str] = []
        while i < len(words) and len(out) < 3:
            w = words[i]
            if not w[0].isalpha() or w.lower() in loc.stop:
                return None
            out.append(w)
            if w[0].isupper():
                # "14 Manager und Anwälte": a second noun joined by "und"/"oder"
                if i + 2 < len(words) and words[i + 1] in ("und", "oder") and words[i + 2][:1].isupper():
                    out += words[i + 1 : i + 3]
                return " ".join(out)
            i += 1
        return None
    if i >= len(words):
        return None
    w = words[i]
    if w.lower().startswith(("d’", "d'")) and len(w) > 2:
        w = w[2:]
    if not w[:1].isalpha() or w.lower() in loc.stop or _ELIDED_VERB.match(w) or re.fullmatch(loc.currency, w, re.I):
        return None
    if w[0].isupper() and (kind != "number" or of):
        return None  # a name after a percentage or a money figure is what it belongs to
    out = [w]
    i += 1

    def adjectives(i: int, noun: str) -> int:
        """Take the adjectives after ``noun`` ("ejes temáticos", "vías campesinas")."""
        plural = noun.lower().endswith(("s", "x"))
        taken = 0
        while i < len(words) and taken < 2:
            a = words[i]
            la = a.lower()
            if not a[:1].isalpha() or a[0].isupper() or la in loc.stop:
                break
            if _PARTICIPLE.search(la):
                break  # "tres placas captadas en las imágenes": a clause, not an adjective
            if (plural and la.endswith(("s", "x")) or _ROMANCE_ADJ.search(la)) and not la.endswith(("ment", "mente")):
                out.append(a)
                i += 1
                taken += 1
                continue
            break
        return i

    i = adjectives(i, w)
    if kind == "percent" or of and kind != "number":
        # a percentage counts its whole "of" phrase: "superficie del país"
        for _ in range(2):
            if i + 1 < len(words) and words[i].lower() in ("de", "del", "des", "du", "do", "da", "dos", "das", "della", "dei") \
                    and words[i + 1][:1].isalpha():
                j = i + 1
                if words[j].lower() in ("la", "las", "los", "les", "le", "o", "a", "os", "as", "el", "il") and j + 1 < len(words):
                    j += 1
                if not words[j][:1].isalpha() or words[j].lower() in loc.stop:
                    break
                out += words[i : j + 1]
                i = adjectives(j + 1, words[j])
            else:
                break
    return " ".join(out)


# --- the figures ------------------------------------------------------------------------

#: Kinds that are not figures a reader cites; ``archive figures`` shows them only with
#: ``--all``. Phone numbers, scores and notations are found so that their digits are
#: never read as figures, and are not kept at all.
HIDDEN_KINDS = frozenset({"date", "time", "ordinal"})
_NOT_FIGURES = frozenset({"phone", "score", "power"})
_RANGE = re.compile(r"(\d{1,3})[-–](\d{1,3})")
# a noun after the range: a lower-case word that is no word of a vote or a match
_RANGE_NOUN = re.compile(
    r"\s+(?!(?i:vote|votes|ruling|decision|win|victory|loss|defeat|lead|score|draw|record|split|"
    r"majority|margin|victoria|derrota|empate|vitória|victoire|défaite|sieg|niederlage|vittoria|"
    r"sconfitta|pareggio)\b)([^\W\d_][\w’'\-]+)"
)
_RANGE_STOP = {"in", "at", "on", "for", "to", "over", "with", "after", "against", "and", "or", "by", "from", "the", "a", "an"}
_SENTENCE_START = re.compile(r"(?:^|[.!?:;»«“”\"]\s*|\n)\s*$")


def find_figures(text: str, language: str | None = None) -> list[dict]:
    """The figures in ``text``, in order (see the module docstring for the rules).

    ``language`` (a primary subtag, "en", "de", …) chooses the number format, month
    names, number words and qualifiers; English is read when it is None or unknown.

    >>> [(f["text"], f["value"], f["counts"], f["qualifier"]) for f in find_figures(
    ...     "Mehr als 20.000 Menschen zahlten 12,5 Milliarden Euro, etwa vier Familien.", "de")]
    [('20.000', 20000.0, 'Menschen', 'mehr als'), ('12,5 Milliarden Euro', 12500000000.0, None, None), ('vier', 4.0, 'Familien', 'etwa')]
    """
    loc = _locale(language)
    found: list[tuple[int, int, str, float, str | None]] = []  # start, end, kind, value, unit
    taken: list[tuple[int, int]] = []
    master, kinds = (_MASTER, [k for k, _ in _PATTERNS]) if loc is None else (loc.master, loc.kinds)
    for m in master.finditer(text):
        assert m.lastgroup is not None  # every alternative of the master pattern is a named group
        kind = kinds[int(m.lastgroup[1:])]
        s, e, written = m.start(), m.end(), m.group(0).translate(_TO_ASCII)
        unit = None
        if kind == "score":
            rm = _RANGE.fullmatch(written)
            nm = _RANGE_NOUN.match(text, e)
            noun = nm.group(1) if nm else ""
            stop = _RANGE_STOP if loc is None else loc.stop
            is_noun = noun[:1].isupper() if loc is not None and loc.lang == "de" else noun[:1].islower()
            if rm and int(rm.group(1)) < int(rm.group(2)) and noun and is_noun and noun.lower() not in stop:
                # "3-4 anni", "1-2 unità familiari", "10-15 people": each end of a range
                # counts (a score is "a 6-3 vote", "victoria por 2-1")
                found.append((s, s + len(rm.group(1)), "number", float(rm.group(1)), None))
                found.append((e - len(rm.group(2)), e, "number", float(rm.group(2)), None))
                taken.append((s, e))
                continue
        if kind in ("time", "phone", "score", "power"):
            # not figures, but their digits are not spelled numbers either
            taken.append((s, e))
            continue
        if kind == "date":
            value = _date_value(written)
        elif kind == "money":
            sym = re.match(r"US\$|C\$|A\$|HK\$|NZ\$|R\$|\$|€|£|¥|₹|" + _ISO_CODES, written)
            if sym:
                unit = _CURRENCY_SYMBOLS.get(sym.group(0), "BRL" if sym.group(0) == "R$" else sym.group(0))
                value = _scaled(written[sym.end():])[0] if loc is None else loc.value(written[sym.end():])
            else:
                word = re.split(r"[\s-]", written)[-1]
                unit = _CURRENCY_WORDS.get(word.lower(), "EUR" if word.lower().startswith("euro") else word)
                rest = written[: -len(word)]
                value = _scaled(rest)[0] if loc is None else loc.value(rest)
        elif kind == "percent":
            if loc is None:
                number = re.match(_NUM, written)
                assert number is not None  # the percent pattern starts with a number
                value = _num(number.group(0))
            else:
                value = loc.value(written)
        elif kind == "ordinal":
            digits = re.match(r"\d+", written)
            assert digits is not None  # the ordinal pattern starts with digits
            value = float(digits.group(0))
        else:
            value = _scaled(written)[0] if loc is None else loc.value(written)
            digits = re.fullmatch(r"(1[89]\d\d|20\d\d)", written)
            qualified = (_QUALIFIER_RE if loc is None else loc.qualifier).search(text[max(0, s - 30): s])
            if digits and not qualified:
                # A bare four-digit number in 1800-2099 is a year: English writes counts
                # of a thousand and more with a comma ("1,500 homes").
                kind, value = "date", float(written)
            elif re.fullmatch(r"\d{5,}", written):
                # "FRB 121102", "1010data": a long run of digits without separators is an
                # identifier; a count that large is written with them
                taken.append((s, e))
                continue
        found.append((s, e, kind, value, unit))
    taken += [(s, e) for s, e, *_ in found]
    taken.sort()

    def is_taken(s: int, e: int) -> bool:
        k = bisect.bisect_left(taken, (e, e))
        return any(a < e and s < b for a, b in taken[max(0, k - 3): k])

    if loc is None:
        for m in _SPELLED.finditer(text):
            s, e, written = m.start(), m.end(), m.group(0)
            if is_taken(s, e):
                continue
            bare = written.lower().strip()
            if bare in ("zero", "hundred", "thousand", "million", "billion", "trillion", "dozen") or re.fullmatch(r"one[\s-]+(?:percent|per\s?cent)", bare):
                continue
            if bare == "one" and not _counts_one(text, s, e):
                continue
            kind = "percent" if re.search(r"per\s?cent$", bare) else "number"
            value = spelled_value(bare)
            unit = None
            cm = re.match(r"\s+(dollars|euros|pounds|yen|rupees|yuan|rials|riyals|dirhams)\b", text[e: e + 12], re.I)
            if cm and kind == "number":
                kind, unit, e = "money", _CURRENCY_WORDS[cm.group(1).lower()], e + cm.end()
            found.append((s, e, kind, value, unit))
    else:
        for s, e, kind, value, unit in _spelled_locale(text, loc, taken):
            if _pronoun_number(text, s, e, loc):
                continue
            pm = re.match(rf"\s+(?:{_LOCALE_WORDS[loc.lang]['percent']})", text[e: e + 24], re.I)
            if pm:
                kind, e = "percent", e + pm.end()
            found.append((s, e, kind, value, unit))
    if _ARABIC_SCRIPT.search(text):
        for m in _FA_SPELLED.finditer(text):
            s, e, written = m.start(), m.end(), m.group(0)
            if written in ("یک", "صد") or written in _FA_SCALES or is_taken(s, e):
                continue
            kind = "number"
            pm = re.match(r"\s+درصد(?![\w\u200c])", text[e: e + 8])
            if pm:  # "بیست و پنج درصد"
                kind, e = "percent", e + pm.end()
            found.append((s, e, kind, persian_spelled_value(written), None))
    ident = _IDENTIFIER_BEFORE if loc is None else loc.ident
    found = [t for t in found if not _not_a_figure(text, t, ident)]
    found.sort()

    sentences = _Sentences(text)
    qualifier_re = _QUALIFIER_RE if loc is None else loc.qualifier
    out: list[dict] = []
    for n, (s, e, kind, value, unit) in enumerate(found):
        written = text[s:e]
        counts = None
        before_qualifier = None
        if kind in ("number", "percent", "money", "ordinal"):
            counts, measure = _what_counts(text, s, e, kind, loc)
            unit = unit or measure
            if counts is None and kind in ("money", "percent") and loc is None:
                counts, before_qualifier = _counts_before(text, s, kind)
            elif counts is None and kind == "money" and loc is not None:
                counts = _money_of_locale(text, s, loc)
        qualifier = None
        if kind != "date":
            qm = qualifier_re.search(text[max(0, s - 30): s])
            if qm:
                qualifier = qm.group(1).lower()
            elif before_qualifier:
                qualifier = before_qualifier
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
    # each end of a range counts the same thing: "$350 to $600 an hour", "four or five
    # buyers", "de 12 a 15 años", "zwischen 10 und 20 Grad"
    for a, b in zip(out, out[1:]):
        if a["counts"] is None and b["counts"] is not None and a["kind"] == b["kind"] and _RANGE_BETWEEN.fullmatch(text[a["end"] : b["start"]]):
            a["counts"] = b["counts"]
    return out


_RANGE_BETWEEN = re.compile(r"\s*(?:-|–|—|to|or|and|a|à|ou|o|y|e|und|oder|bis|al)\s*", re.I)


_ONE_BEFORE = re.compile(r"(?:\b(?:only|just|least|than|killed|injured|arrested|with|of|had|has|have|to|by|for|and|one)\s+)$", re.I)


def _counts_one(text: str, s: int, e: int) -> bool:
    """Whether "one" counts something ("one person was killed"), not a pronoun or article
    ("one of them", "no one", "a simple one", "one day")."""
    after = text[e: e + 30]
    m = re.match(r"\s+([a-z][\w’'-]*)", after)
    if not m or m.group(1) in ("of", "another", "who", "that", "which", "is", "was", "thing", "day", "way",
                               "time", "point", "hand", "side", "another", "more", "or", "and", "in", "on", "at", "to"):
        return False
    before = text[max(0, s - 12): s].lower()
    if re.search(r"\b(?:no|any|every|some|each|the|this|that|which|a)\s+$", before) or text[s].isupper():
        return False
    word = m.group(1)
    # a singular noun right after: "one person", "one child", "one year"
    return not word.endswith(("ly", "ed", "ing")) and word not in _NOT_COUNTED


_CURRENCY_CODES: set[str] = set()


def _currency_codes() -> set[str]:
    """ISO 4217 codes (Babel), read once."""
    if not _CURRENCY_CODES:
        from babel.numbers import list_currencies

        _CURRENCY_CODES.update(list_currencies())
    return _CURRENCY_CODES


def _not_a_figure(text: str, t: tuple, ident: re.Pattern) -> bool:
    """Numbers that name or number a thing rather than count it (module doc)."""
    s, e = t[0], t[1]
    before = text[max(0, s - 14): s]
    if ident.search(before):
        return True
    written = text[s:e]
    if t[2] == "number" and written.isdigit():
        # a number right after an acronym or a name written in one word numbers or names
        # a thing: "PEC 72", "ATR 72", "FRB 121102", "ClimateAction 100" (not "CHF 50":
        # Babel's currency codes)
        m = re.search(r"(?<![\w’'\-])([A-Z]{2,6}|[A-Z][a-z]+[A-Z][A-Za-z]+)\s$", before)
        if m and m.group(1) not in _currency_codes():
            return True
    if written[:1].isalpha() and written[:1].isupper() and t[2] != "date":
        # a capitalised number word inside a sentence is part of a name: "Seven Mile
        # Bridge", "Region Two", "Air Force One", "the NINE NETWORK"
        if not _SENTENCE_START.search(text[max(0, s - 6): s]) or written.isupper():
            return True
        if re.match(r"[\s-]+[A-Z][a-z]", text[e: e + 3]) and re.match(r"-", text[e: e + 1]):
            return True  # "Five-hundred-meter Aperture …"
    if re.match(r"-(?:[A-Z]|hundred-meter\s+[A-Z])", text[e: e + 16]) or re.match(r"-\w+-[A-Z]", text[e: e + 20]):
        return True
    # the base or window of a rate: "per 100,000 people", "the seven-day rate"
    if re.search(r"\b(?:per|pro|je|para cada|por cada|ogni)\s+$", before, re.I):
        return True
    if re.search(r"\b(?:par|por)\s+$", before, re.I) and t[2] == "number" and re.fullmatch(r"10*|1e\+?\d+", f"{t[3]:g}"):
        # "por 100.000 habitantes", "par 100 000 habitants"; but "por cuatro delitos",
        # "par trois voix" count: "por"/"par" is "per" before a power of ten only
        return True
    if re.match(r"-(?:day|week|month|Tage|jours|días|dias|giorni)[\s-](?:rate|average|incidence|Inzidenz|moyenne|media|média)", text[e: e + 24]):
        return True
    # list numbering: "1-prendre en considération …", "4- activer …"
    if re.fullmatch(r"\d{1,2}", written) and re.match(r"-\s?[^\W\d_]", text[e: e + 3]) and _SENTENCE_START.search(text[max(0, s - 6): s]):
        return True
    # list numbering: "1. Finland 2. Norway 3. Australia"
    if t[2] == "number" and re.fullmatch(r"\d{1,2}", written) and re.match(r"\.\s+[A-Z]", text[e: e + 3]):
        n = int(written)
        if f"{n + 1}. " in text[e: e + 60] or f"{n - 1}. " in text[max(0, s - 60): s]:
            return True
    return False
