"""Write ``archive/text/say_verbs.py``: the forms of the verbs of saying of Spanish,
Portuguese, French and Italian that a reporter writes next to a quotation.

The lexicon is a list of infinitives per language (:data:`LEMMAS`, the one part chosen by
hand); the forms come from verbecc's conjugation tables (third person of the present,
the simple past and the imperfect, and the past participle for "a déclaré", "ha detto",
"ha dicho", "tem dito"), so that "aclara", "aclaró", "aclaraba" and "ha aclarado" are all
known once "aclarar" is. A form is kept only when simplemma reads it as that verb in its
own language and as no other word (a noun, an adjective) in the other five languages the
extractor reads ("cuenta" is an account before it is "counts"; "nota" is a note in
Italian). German keeps its hand-written list in ``archive/text/quotes.py``: verbecc has
no German.

Run (needs ``pip install verbecc simplemma``; verbecc trains its fallback model for a
language on first use, which takes minutes):

    python tools/say_verbs.py > archive/text/say_verbs.py
"""

from __future__ import annotations

import logging
import sys
import warnings

LEMMAS = {
    "es": """decir afirmar señalar explicar asegurar indicar agregar añadir declarar manifestar sostener
        precisar expresar comentar subrayar destacar advertir reconocer apuntar insistir concluir escribir
        relatar contar responder enfatizar recalcar plantear puntualizar mencionar sentenciar confirmar
        revelar cuestionar denunciar criticar opinar considerar anunciar detallar remarcar aclarar
        argumentar lamentar admitir reiterar exponer resaltar corroborar replicar recordar narrar aseverar
        acotar zanjar justificar alertar confesar ironizar bromear reclamar preguntar sumar citar completar
        matizar graficar ratificar prometer exigir avisar informar comunicar adelantar sugerir estimar
        observar apostillar deslizar remachar valorar celebrar agradecer asumir negar reaccionar
        tuitear resumir añadir sentenciar retrucar esgrimir ejemplificar refutar""",
    "pt": """dizer afirmar declarar explicar acrescentar ressaltar destacar contar relatar escrever completar
        observar avaliar defender argumentar garantir lembrar apontar frisar comentar informar salientar
        concluir pontuar enfatizar confirmar revelar criticar questionar anunciar reforçar alertar admitir
        sustentar reiterar ponderar sublinhar esclarecer justificar assegurar detalhar responder reconhecer
        disparar desabafar brincar emendar prosseguir continuar narrar assinalar mencionar comunicar
        lamentar advertir opinar perguntar indagar prometer cobrar rebater negar sugerir estimar comemorar
        celebrar elogiar contestar retrucar declarar reagir resumir tuitar""",
    "fr": """dire déclarer affirmer expliquer ajouter préciser souligner indiquer estimer assurer rappeler
        écrire confier marteler poursuivre insister reconnaître raconter commenter avertir déplorer
        dénoncer répondre conclure lancer trancher résumer confirmer révéler annoncer critiquer interroger
        détailler développer noter observer prévenir regretter analyser nuancer ironiser glisser témoigner
        relever signaler soutenir argumenter asséner rétorquer répliquer renchérir constater juger avouer
        admettre plaider lâcher souffler tempérer répéter reprendre conseiller demander inquiéter confesser
        promettre prédire exiger préconiser recommander réclamer alerter insister concéder objecter
        protester s'exclamer exclamer justifier défendre réagir saluer fustiger féliciter tweeter
        déclarer conclure""",
    "it": """dire dichiarare spiegare affermare sottolineare aggiungere concludere commentare osservare
        scrivere raccontare precisare ribadire annunciare avvertire proseguire sostenere ammettere
        evidenziare ricordare rilevare confermare rivelare replicare rispondere chiedere domandare
        denunciare criticare insistere auspicare segnalare specificare illustrare puntualizzare chiarire
        assicurare garantire promettere ammonire lamentare confidare raccomandare esordire incalzare
        rimarcare argomentare continuare suggerire notare stimare avvisare dichiarare annotare
        reagire twittare riassumere""",
}

#: (mood, tense) of verbecc whose third-person forms are kept, per language
TENSES = {
    "es": [("indicativo", "presente"), ("indicativo", "pretérito-perfecto-simple"),
           ("indicativo", "pretérito-imperfecto")],
    "pt": [("indicativo", "presente"), ("indicativo", "pretérito-perfeito"),
           ("indicativo", "pretérito-imperfeito")],
    "fr": [("indicatif", "présent"), ("indicatif", "passé-simple"), ("indicatif", "imparfait")],
    "it": [("indicativo", "presente"), ("indicativo", "passato-remoto"), ("indicativo", "imperfetto")],
}
PARTICIPLE = {"es": ("participo", "participo"), "pt": ("particípio", "particípio"),
              "fr": ("participe", "participe-passé"), "it": ("participio", "participio-passato")}
OTHERS = ("de", "en", "es", "pt", "fr", "it")
#: forms that are first of all nouns or adjectives, which simplemma still reads as the
#: verb: "o comunicado" (the statement), "a pergunta" (the question), "em alerta"
NOT_VERBS = {"comunicado", "pergunta", "alerta", "estimado", "informado", "cuenta", "conta", "nota",
             "critica", "crítica", "lance", "juge", "souffle", "note", "critique", "promesso",
             "promessa", "rilevato", "precisa", "observado"}


def forms(lang: str, conjugator, plural: set[str] | None = None) -> dict[str, set[str]]:
    """infinitive -> its kept forms, for ``lang``; the third person plural forms are added
    to ``plural`` too."""
    out: dict[str, set[str]] = {}
    for lemma in LEMMAS[lang].split():
        lemma = lemma.removeprefix("s'")
        data = conjugator.conjugate(lemma).get_data()
        if data["verb"].get("predicted"):
            continue  # not in verbecc's tables: no guessed forms
        moods = {m.value: {t.value: rows for t, rows in ts.items()} for m, ts in data["moods"].items()}
        got: set[str] = set()
        for mood, tense in TENSES[lang]:
            for row in moods.get(mood, {}).get(tense, []):
                if getattr(row.get("p"), "value", None) == "3":
                    got.update(c.split()[-1] for c in row["c"] if c and c != "-")
                    if plural is not None and getattr(row.get("n"), "value", None) == "p":
                        plural.update(c.split()[-1].strip("'’") for c in row["c"] if c and c != "-")
        mood, tense = PARTICIPLE[lang]
        rows = moods.get(mood, {}).get(tense, [])
        if rows:
            got.add(rows[0]["c"][0].split()[-1])  # the masculine singular: "dit", "detto"
        out[lemma] = {f.strip("'’") for f in got if f.isalpha() and len(f) > 2}
    return out


def main() -> None:
    logging.disable(logging.CRITICAL)
    warnings.filterwarnings("ignore")
    import simplemma
    from verbecc import CompleteConjugator

    plural: dict[str, set[str]] = {lang: set() for lang in LEMMAS}
    by_lang = {lang: forms(lang, CompleteConjugator(lang=lang), plural[lang]) for lang in LEMMAS}
    all_forms = {lang: set().union(*f.values()) for lang, f in by_lang.items()}
    every_lemma = {lemma.removeprefix("s'") for words in LEMMAS.values() for lemma in words.split()}
    kept: dict[str, list[str]] = {}
    for lang, per_lemma in by_lang.items():
        keep = set()
        for lemma, fs in per_lemma.items():
            for f in fs:
                if f in NOT_VERBS or simplemma.lemmatize(f, lang=lang) != lemma:
                    continue  # read as another word in its own language
                clash = False
                for other in OTHERS:
                    if other == lang or f in all_forms.get(other, ()):
                        continue
                    if simplemma.is_known(f, lang=other) and simplemma.lemmatize(f, lang=other) not in every_lemma:
                        # a word of another language ("dice" is English too), unless it is
                        # a verb of saying there as well ("aclara": Portuguese "aclarar")
                        clash = True
                        break
                if not clash:
                    keep.add(f)
        kept[lang] = sorted(keep)
    w = sys.stdout.write
    w('"""Forms of the verbs of saying of Spanish, Portuguese, French and Italian.\n\n')
    w("Generated by ``python tools/say_verbs.py`` from its lexicon of infinitives with verbecc's\n")
    w("conjugations, filtered with simplemma; do not edit by hand.\n")
    w('"""\n\n')
    w("FORMS: dict[str, tuple[str, ...]] = {\n")
    for lang, fs in kept.items():
        w(f'    "{lang}": (\n')
        w(_wrapped(fs, "       ") + "\n    ),\n")
    w("}\n\n")
    w("#: the forms of FORMS that are third person plural (\"dijeron\", \"disent\"): their subject\n")
    w("#: is never one person\n")
    w("PLURAL: frozenset[str] = frozenset({\n")
    for lang, fs in kept.items():
        w(_wrapped(sorted(set(fs) & plural[lang]), "   ") + "\n")
    w("})\n")


def _wrapped(forms, indent: str) -> str:
    """``forms`` as quoted, comma-ended items in lines of at most 100 characters."""
    lines, line = [], indent
    for f in forms:
        item = f' "{f}",'
        if len(line) + len(item) > 100:
            lines.append(line)
            line = indent
        line += item
    return "\n".join(lines + [line])


if __name__ == "__main__":
    main()
