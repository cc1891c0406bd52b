"""Figures found in small texts: kinds, values, counts, qualifiers, and what is not a figure."""

from archive.text.figures import find_figures


def figs(text):
    return [(f["text"], f["value"], f["kind"]) for f in find_figures(text)]


def test_numbers_money_percent_dates():
    text = "More than 2,300 homes burned in June 2019; damage exceeded $3.2bn and 40% of residents left."
    assert figs(text) == [
        ("2,300", 2300.0, "number"),
        ("June 2019", 2019.0, "date"),
        ("$3.2bn", 3.2e9, "money"),
        ("40%", 40.0, "percent"),
    ]
    f = find_figures(text)
    assert f[0]["counts"] == "homes" and f[0]["qualifier"] == "more than"
    assert f[2]["unit"] == "USD" and f[2]["qualifier"] == "exceeded"
    assert f[3]["counts"] == "residents"
    for x in f:
        assert text[x["start"]:x["end"]] == x["text"] == x["exact"]
        assert x["sentence"] == text


def test_spelled_out_and_fractions():
    assert figs("Three weeks later a third of the schools and twenty-five shops reopened.") == [
        ("Three", 3.0, "number"), ("a third", 1 / 3, "number"), ("twenty-five", 25.0, "number")]
    assert figs("One of them spent a third night there.") == []


def test_dates_and_times_are_not_split():
    assert figs("On April 3, 2021 at 3:30 p.m. and on 7 November.") == [
        ("April 3, 2021", 2021.0, "date"), ("7 November", 7.0, "date")]
    assert figs("In 2019 it was 1500 homes.") == [("2019", 2019.0, "date"), ("1500", 1500.0, "number")]


def test_names_with_digits_are_not_figures():
    assert figs("COVID-19 hit District 4 and the G7 met; © 2024 Example.") == []


def test_money_variants():
    assert [(t, v, k) for t, v, k in figs("It cost €1.5 million, £12m and 5 million dollars.")] == [
        ("€1.5 million", 1.5e6, "money"), ("£12m", 12e6, "money"), ("5 million dollars", 5e6, "money")]
    units = [f["unit"] for f in find_figures("It cost €1.5 million, £12m and 5 million dollars.")]
    assert units == ["EUR", "GBP", "USD"]


def test_numbering_is_ordered():
    f = find_figures("1,000 people and 2,000 cars.")
    assert [x["n"] for x in f] == [0, 1]


def test_persian_and_arabic_indic_digits():
    text = "مصرف به ۳٬۲۰۰٬۰۰۰ مترمکعب رسید و ۱۲٪ آن از چاه است؛ ۱٫۸ میلیارد دلار و ۲۵ هزار تومان. جمعیت ٩ میلیون و ٢٥٠ لیتر و ۴۵ درصد در سال ۲۰۱۹."
    assert [(f["text"], f["value"], f["kind"], f["unit"]) for f in find_figures(text)] == [
        ("۳٬۲۰۰٬۰۰۰", 3200000.0, "number", None),
        ("۱۲٪", 12.0, "percent", None),
        ("۱٫۸ میلیارد دلار", 1.8e9, "money", "USD"),
        ("۲۵ هزار تومان", 25000.0, "money", "IRT"),
        ("٩ میلیون", 9e6, "number", None),
        ("٢٥٠", 250.0, "number", None),
        ("۴۵ درصد", 45.0, "percent", None),
        ("۲۰۱۹", 2019.0, "date", None),
    ]
    f = find_figures(text)
    assert f[0]["counts"] == "مترمکعب" and f[5]["counts"] == "لیتر"
    for x in f:
        assert text[x["start"]:x["end"]] == x["text"]


def test_persian_spelled_numbers():
    text = "روز پنج‌شنبه دو نفر آمدند؛ بیست و پنج درصد و سه هزار و پانصد تومان. یک نفر ماند."
    assert figs(text) == [("دو", 2.0, "number"), ("بیست و پنج درصد", 25.0, "percent"), ("سه هزار و پانصد", 3500.0, "number")]


def test_notations_phones_scores_and_names_are_never_figures():
    # RULES.md: formulas that restate other figures, phone numbers, scores, list
    # numbering, identifiers and names are not figures; their digits are not either.
    text = ("The payload was limited to 2^15 - 1. Call 555-0142 or 1-800-555-0199. The court ruled "
            "in a 6-3 vote. Covid-19 hit Region Two and the Seven Mile Bridge, FRB 121102. "
            "Ranking: 1. Finland 2. Norway 3. Austria. It rose to 20.4 per 100,000 people.")
    assert figs(text) == [("20.4", 20.4, "number")]


def test_years_are_dates_and_one_counts():
    f = find_figures("In 2019 one person died and one of them said the 1998 plan was no one's idea.")
    assert [(x["text"], x["kind"]) for x in f] == [("2019", "date"), ("one", "number"), ("1998", "date")]
    assert f[1]["counts"] == "person"


def test_locale_number_formats_and_words():
    de = find_figures("Rund 250 000 Liter und 12,5 Milliarden Euro; dreieinhalb Jahre, am 26. Oktober um 12.30 Uhr.", "de")
    assert [(x["text"], x["value"], x["kind"]) for x in de if x["kind"] not in ("date",)] == [
        ("250 000", 250000.0, "number"), ("12,5 Milliarden Euro", 12.5e9, "money"), ("dreieinhalb", 3.5, "number")]
    # a measure counts the substance after its unit, not the unit (RULES.md): none here
    assert de[0]["qualifier"] == "rund" and de[0]["counts"] is None
    fr = find_figures("Plus de 20.000 personnes et vingt-trois enfants, soit 4,5 %.", "fr")
    assert [(x["text"], x["value"], x["qualifier"]) for x in fr] == [
        ("20.000", 20000.0, "plus de"), ("vingt-trois", 23.0, None), ("4,5 %", 4.5, None)]
    assert fr[0]["counts"] == "personnes" and fr[1]["counts"] == "enfants"


def counted(text, language=None):
    return [(x["text"], x["counts"], x["qualifier"]) for x in find_figures(text, language)
            if x["kind"] not in ("date", "time", "ordinal")]


def test_what_a_figure_counts_in_english():
    # durations count their unit; "more"/"other" sit between a figure and its noun
    assert counted("The data is kept for two years, and three more noble gases and 13 other states.") == [
        ("two", "years", None), ("three", "noble gases", None), ("13", "other states", None)]
    # a measure counts its substance, never its unit; a hyphenated measure the noun after it
    assert counted("They seized 475 pounds (215.5 kilos) of cocaine and 40 megabytes, in 40-foot-tall tubes.") == [
        ("475 pounds", "cocaine", None), ("215.5", "cocaine", None), ("40", None, None), ("40", "tubes", None)]
    # names and coordinated nouns inside the counted phrase
    assert counted("It bought two large Packard signs; 50 countries and territories agreed.") == [
        ("two", "large Packard signs", None), ("50", "countries and territories", None)]
    # money and percentages: the noun they are "of", the subject that rose or fell, "in cash"
    assert counted("It faces a termination fee of $15 million payable at once. Total emissions fell 2 percent. "
                   "Included will be $10 billion in cash. The estimated value is $4.3 million.") == [
        ("$15 million", "termination fee", None), ("2 percent", "total emissions", None),
        ("$10 billion", "cash", None), ("$4.3 million", "value", "estimated")]
    # a hedge with an article after it; ages
    assert counted("It may pay up to a $1 billion. Men between the ages of 25 and 54 met Premier Ann Lee, 51.") == [
        ("$1 billion", None, "up to"), ("25", "age", None), ("54", "age", None), ("51", "age", None)]


def test_what_a_figure_counts_in_other_languages():
    # Romance languages: the noun and its adjectives, not a participle's clause
    assert counted("El plan tiene 6 ejes temáticos y tres buses usados en campaña.", "es") == [
        ("6", "ejes temáticos", None), ("tres", "buses", None)]
    assert counted("Ils ont reçu cinq rapports secrets signés par le général.", "fr") == [("cinq", "rapports secrets", None)]
    # a measure counts the substance after its unit; a percentage its whole "of" phrase
    assert counted("Llegaron 25 toneladas de material y 80.000 kilómetros cuadrados. El 1,3% de la superficie del país.", "es") == [
        ("25", "material", None), ("80.000", None, None),
        ("1,3%", "superficie del país", None)]
    assert counted("Il a fallu 45 tonnes de chlorothalonil, soit 2,22% du total des produits phytosanitaires.", "fr") == [
        ("45", "chlorothalonil", None), ("2,22%", "total des produits phytosanitaires", None)]
    assert counted("Es gab etwa 30 000 Liter Handdesinfektionsmittel und 11,1 Litern reinem Alkohol.", "de") == [
        ("30 000", "Handdesinfektionsmittel", "etwa"), ("11,1", "reinem Alkohol", None)]
    # German: two nouns joined by "und"; ages; money counts nothing by itself
    assert counted("Die 14 Manager und Anwälte trafen Gezer, mit 37 Jahren die Jüngste, und André Keil, 63 Jahre alt.", "de") == [
        ("14", "Manager und Anwälte", None), ("37", "age", None), ("63", "age", None)]
    # durations count "ans"; "only" is no hedge; an average is
    assert counted("Les données sont gardées vingt ans ; il paie seulement 80 euros, en moyenne 250 euros.", "fr") == [
        ("vingt", "ans", None), ("80 euros", None, None), ("250 euros", None, "en moyenne")]


def test_a_sum_of_money_is_what_the_noun_before_it_names_in_other_languages():
    # "a fine of 250 euros" in each language: the noun before von / de / por / di
    assert counted("Wer die Grenze quert, muss ein Bußgeld von 250 Euro zahlen.", "de") == [("250 Euro", "Bußgeld", None)]
    assert counted("Il risque une amende de 135 euros.", "fr") == [("135 euros", "amende", None)]
    assert counted("Los rebeldes causaron daños por 10 millones de dólares.", "es") == [
        ("10 millones de dólares", "daños", None)]
    assert counted("Ha pagato una multa di 300 euro.", "it") == [("300 euro", "multa", None)]
    assert counted("Recebeu uma multa de 500 reais.", "pt") == [("500 reais", "multa", None)]
    # a verb, a qualifier, a lower-case German word or a mere "total" names nothing
    assert counted("Le budget a augmenté de 20 millions d’euros, soit plus de 200 euros.", "fr") == [
        ("20 millions d’euros", None, None), ("200 euros", None, "plus de")]
    assert counted("Der Preis stieg von 3 Euro, ein Betrag von 5 Euro.", "de") == [
        ("3 Euro", None, None), ("5 Euro", None, None)]
    assert counted("Un total de 40 dólares; el precio ha subido de 10 dólares.", "es") == [
        ("40 dólares", None, None), ("10 dólares", None, None)]


def test_locale_numbers_never_span_a_line_break_and_read_no_break_spaces():
    # a line break between digits separates two paragraphs' numbers (it crashed the page's
    # extraction); a no-break space groups thousands as a space does
    assert [(x["text"], x["value"]) for x in find_figures("Es kamen 20\u00a0000 Menschen.\n727 blieben.", "de")] == [
        ("20\u00a0000", 20000.0), ("727", 727.0)]
    assert [(x["text"], x["value"]) for x in find_figures("Il y avait 2\n727 personnes.", "fr")] == [
        ("2", 2.0), ("727", 727.0)]


def test_each_end_of_a_range_counts_the_same_thing():
    assert counted("Options ranged from approximately $350 to $600 an hour; four or five buyers came.") == [
        ("$350", "hour", "approximately"), ("$600", "hour", None), ("four", "buyers", None), ("five", "buyers", None)]
    assert counted("Piden de 12 a 15 años de cárcel.", "es") == [("12", "años", None), ("15", "años", None)]
    # "an estimated net worth of $186.3 billion": the noun it is of, and the hedge before it
    assert counted("He has an estimated net worth of $186.3 billion.") == [("$186.3 billion", "net worth", "estimated")]


def test_number_words_with_a_scale_or_a_fraction_and_the_long_scale():
    def vals(text, lang):
        return [(f["text"], f["value"]) for f in find_figures(text, lang) if f["kind"] != "date"]

    # "fünf Millionen", "dos millones": the scale word after a spelled number multiplies it
    assert vals("Brände vernichteten fünf Millionen Hektar Wald.", "de") == [("fünf Millionen", 5e6)]
    assert vals("Costó dos millones de pesos.", "es") == [("dos millones", 2e6)]
    # "drei Viertel" is three quarters; "Eineinhalb Jahre" one and a half
    assert vals("Bis zu drei Viertel aller Erkrankten sterben.", "de") == [("drei Viertel", 0.75)]
    assert vals("Eineinhalb Jahre später starben viele.", "de") == [("Eineinhalb", 1.5)]
    # German "Billion" and Spanish "billón" are 10^12 (the long scale), "Milliarde" 10^9
    assert vals("Sie verwalten 35 Billionen Dollar.", "de") == [("35 Billionen Dollar", 35e12)]
    assert vals("Cuesta 3 billones de pesos.", "es") == [("3 billones de pesos", 3e12)]
    assert vals("Es kostet 12,5 Milliarden Euro.", "de") == [("12,5 Milliarden Euro", 12.5e9)]


def test_numbers_after_an_acronym_or_a_one_word_name_name_things():
    def vals(text, lang):
        return [f["text"] for f in find_figures(text, lang) if f["kind"] != "date"]

    assert vals("Em 2019, dei entrada na PEC 72 que limita o indulto a 3 casos.", "pt") == ["3"]
    assert vals("An ATR 72 crashed with 45 people on board.", "en") == ["45"]
    assert vals("Die Allianz „ClimateAction 100“ hat 40 Mitglieder.", "de") == ["40"]
    # a currency code is no name ("CHF 50"); a street is written in one word in German
    assert vals("Das kostet CHF 50.", "de") == ["50"]
    assert vals("Die Europastraße 29 ist mit 12 Gittern gesperrt.", "de") == ["12"]


def test_a_number_word_standing_for_people_or_a_time_of_day_is_no_count():
    def vals(text, lang):
        return [f["text"] for f in find_figures(text, lang)]

    # "os dois alinharam", "cabe aos dois,": the two people named before, as "both"
    assert vals("No encontro, os dois alinharam um posicionamento. Cabe aos dois, mas só até aí.", "pt") == []
    assert vals("Los dos firmaron. Llegaron los dos candidatos.", "es") == ["dos"]
    # "vier Uhr" is a time; "vom 9. zum 10. Mai" a date
    assert vals("Sie reden bis kurz nach vier Uhr. Vier Männer kamen.", "de") == ["Vier"]
    got = find_figures("In der Nacht vom 9. zum 10. Mai 1940 fiel er.", "de")
    assert [f["kind"] for f in got] == ["date", "date"]


def test_por_and_par_are_per_only_before_a_power_of_ten():
    def vals(text, lang):
        return [f["text"] for f in find_figures(text, lang)]

    # "por cuatro delitos" (for four offences) counts; "por 100.000 habitantes" is a rate's base
    assert vals("Se abrió un proceso penal por cuatro delitos. La tasa es de 20 por 100.000 habitantes.", "es") == [
        "cuatro", "20"]
    assert vals("Il a été élu par trois voix, soit 5 par 1 000 habitants.", "fr") == ["trois", "5"]


def test_each_end_of_a_hyphenated_range_before_a_noun_counts_a_score_does_not():
    def vals(text, lang):
        return [(f["text"], f["value"]) for f in find_figures(text, lang) if f["kind"] != "date"]

    assert vals("Un intervallo tra i parti di 3-4 anni.", "it") == [("3", 3.0), ("4", 4.0)]
    assert vals("It takes 10-15 minutes. The court ruled in a 6-3 vote. Pages 16-17.", "en") == [
        ("10", 10.0), ("15", 15.0)]
    # German nouns are capitalised; "2-3 gegen Köln" is a score
    assert vals("Die Bayern verloren 2-3 gegen Köln. Es dauert 3-4 Jahre.", "de") == [("3", 3.0), ("4", 4.0)]


def test_qualifiers_with_a_contracted_article_and_at_most_on_average():
    def quals(text, lang):
        return [(f["text"], f["qualifier"]) for f in find_figures(text, lang)]

    assert quals("Obtuvo más del 60 % de los votos.", "es") == [("60 %", "más del")]
    assert quals("Teve mais da metade dos votos.", "pt") == [("metade", "mais da")]
    assert quals("Si registrano al massimo 2 unità, mediamente 0,2 cuccioli.", "it") == [
        ("2", "al massimo"), ("0,2", "mediamente")]


def test_a_long_running_extractor_remembers_a_bounded_number_of_words(monkeypatch):
    """A drainer's worker extracts for days: the words a locale has looked up are not all
    kept (every distinct word of every page would be), and values stay right after a purge."""
    from archive.text import figures

    monkeypatch.setattr(figures, "WORD_CACHE_MAX", 100)
    loc = figures._locale("de")
    assert loc is not None
    for i in range(1_000):
        loc.word_value(f"wortnummer{i}")
    assert len(loc.word_cache) <= 100
    assert loc.word_value("vier") == 4
