"""Quotations in an article's text, with who said them.

Pure functions over the extracted text (one paragraph per line); no I/O.

A *quote* is a span between quotation marks: curly (“…”), straight ("…"), low-high („…“),
guillemets («…»), or single marks (‘…’ / '…') when they are not apostrophes. Single marks
inside a double-quoted span are a quotation within the quotation and stay part of it.
A quote left open at the end of a paragraph runs to the end of that paragraph (the
newspaper convention for a quotation that continues in the next one).

``text`` of a quote is the quoted words without the marks, without surrounding spaces and
without a trailing comma (the comma belongs to the attribution: “We lost everything,” she
said). ``start``/``end`` are offsets of exactly those words in the article text.

Speakers. The rule, applied the same way everywhere:

* the speaker is the person or body the text names as having said the words, at their
  fullest and without titles or roles, as a fact-checker would write it: "Levy said"
  gives "Joshua Levy" when the text names him so, "Governor Gavin Newsom" gives
  "Gavin Newsom", "la toxicologue Dominique Parent-Massin" gives
  "Dominique Parent-Massin", "Maria Lopez, a nurse in Fresno, said" gives "Maria Lopez"
  (:class:`_Names`);
* unnamed speakers keep their determiner: "the ministry", "a spokesman for the company";
* forms recognised: "X said", "said X", "X said: “…”", "according to X", "X was quoted as
  saying", "X told reporters", inverted "writes the newspaper", "adds the ministry", and
  the same in German, French, Spanish, Portuguese and Italian ("sagte X", "a ajouté X",
  "señaló X", "declarou X", "ha detto X", "selon X", "laut X"), with the marks of those
  languages (« … », „ … “, » … «); a verb with no subject ("“…”, dijo.") reads as "he said";
* a pronoun ("he said", "she added", "they said", "it said") is replaced by the last
  named speaker before it, or by the subject of the latest sentence that names a person
  (:class:`_Mentions`: "Na saída, Pacheco conversou … Ele destacou … “…”, disse."); a
  definite role ("the former mayor", "o repórter", "der SPD-Politiker") by the person
  the text names with that role or, failing that, the one it is speaking of; with none,
  the speaker is None. A role that opens a sentence ("El investigador explicó …", "O
  senador do Podemos pondera …", "sagt der Franzose") stands for the person named before
  it, as a pronoun does, also across sentences whose subject is left unsaid; German
  nouns name a person by their ending ("der Virologe", "die Französin");
* "X y destacó …": the second of two verbs has the first one's subject; "schreiben Berlin
  und Paris": two subjects; "Forscher um Aneta Afelt": the person the team is named by;
  an attribution between spaced hyphens or dashes inside the marks ("… - dichiara il
  Presidente Cannata - …"); a second quotation in the sentence of the first shares its
  speaker; an unnamed document ("según un comunicado") is nobody;
* a sentence that brings a quotation with a colon, a verb of saying or (in German) the
  present subjunctive gives its subject as the speaker ("Jens Berger wies die Vorwürfe
  zurück: „…“", "Er habe Zugang »…«");
* an unattributed quotation takes the speaker its paragraph names after it («…»
  personnes. «…», a ajouté Laurent Fabius), or continues the last speaker of the two
  paragraphs before when nobody else has been named since;
* a body is named at its fullest: "the DOJ release" -> "DOJ", "STF" -> "Supremo Tribunal
  Federal" when the text spells it out, "la Alcaldía" -> "Alcaldía de Medellín";
* a quotation broken by its attribution (“…,” it adds. “…”) is one *statement*: the parts
  share ``statement`` and speaker;
* a paragraph that opens with an unattributed full-sentence quotation right after an
  attributed one continues that speaker (its own statement number);
* a short quotation (at most six words) in a sentence without a verb of saying is a
  scare quote or a term: ``is_term=True``, speaker None.

>>> qs = find_quotes('“We lost everything,” said Maria Lopez, a nurse. “Everything.”')
>>> [(q["text"], q["speaker"], q["statement"]) for q in qs]
[('We lost everything', 'Maria Lopez', 0), ('Everything.', 'Maria Lopez', 0)]
>>> q = find_quotes('Officials called it a “managed retreat” from the coast.')[0]
>>> q["text"], q["is_term"], q["speaker"]
('managed retreat', True, None)
"""

from __future__ import annotations

import bisect
import re
from contextvars import ContextVar
from dataclasses import dataclass

from archive.text.say_verbs import FORMS as SAY_FORMS
from archive.text.say_verbs import PLURAL as SAY_PLURAL
from archive.text.selectors import quote_selector

#: The language of the text being read ("fr", "it", …; "" when unknown). Words that are a
#: pronoun in one language and an article in another ("il") are read by it.
_LANGUAGE: ContextVar[str] = ContextVar("quotes_language", default="")

# --- verbs of saying --------------------------------------------------------------------

_SAY_STEMS = (
    "say|says|said|saying|tell|tells|told|add|adds|added|write|writes|wrote|ask|asks|asked|"
    "explain|explains|explained|state|states|stated|note|notes|noted|argue|argues|argued|"
    "claim|claims|claimed|insist|insists|insisted|warn|warns|warned|recall|recalls|recalled|"
    "continue|continues|continued|reply|replies|replied|declare|declares|declared|"
    "acknowledge|acknowledges|acknowledged|admit|admits|admitted|concede|concedes|conceded|"
    "suggest|suggests|suggested|tweet|tweets|tweeted|post|posts|posted|announce|announces|"
    "announced|observe|observes|observed|remark|remarks|remarked|respond|responds|responded|"
    "counter|counters|countered|emphasi[sz]e|emphasi[sz]es|emphasi[sz]ed|stress|stresses|"
    "stressed|agree|agrees|agreed|joke|jokes|joked|quip|quips|quipped|caution|cautions|"
    "cautioned|predict|predicts|predicted|urge|urges|urged|promise|promises|promised|"
    "complain|complains|complained|confirm|confirms|confirmed|"
    "recount|recounts|recounted|testif(?:y|ies|ied)|told|shout|shouted|"
    "whisper|whispered|sigh|sighed|laugh|laughed|concluded|concludes|conclude|maintain|"
    "maintains|maintained|contend|contends|contended|point(?:s|ed)? out|put it|puts it|"
    "reported|reports|report|went on|goes on|pleaded|demanded|assured|boasted|lamented|"
    "mused|offered|vowed|vows|wondered|wonders|estimated|estimates|"
    "was quoted as saying|is quoted as saying|were quoted as saying|remember|remembers|remembered|"
    "describe|describes|described|reflect|reflects|reflected|"
    "has been quoted as saying|have been quoted as saying|had been quoted as saying|"
    "remind|reminds|reminded|make clear|makes clear|made clear|retort|retorts|retorted|"
    "arguing|claiming|stating|insisting|noting|explaining|declaring|found that|finds that|find that"
)
# Verbs of saying of the other languages the extractor reads (German, French, Spanish,
# Portuguese, Italian), as a reporter writes them next to a quotation: "sagte",
# "a ajouté", "señaló", "declarou", "ha detto". Words that are also common words of
# another of these languages ("precisa" is "needs" in Portuguese, "so" in German) are
# left out.
_SAY_OTHER = (
    # de
    "sagte|sagt|sagten|sagen|gesagt|erklärte|erklärt|erklärten|betonte|betont|meinte|meint|"
    "schreibt|schrieb|ergänzte|ergänzt|warnte|warnt|kritisierte|kritisiert|berichtete|"
    "berichtet|schildert|schilderte|erzählt|erzählte|forderte|fordert|versicherte|versichert|"
    "bestätigte|bestätigt|sprach|spricht|mahnte|mahnt|argumentiert|argumentierte|"
    "unterstrich|resümiert|resümierte|heißt es|hieß es|fügte hinzu|räumte ein|stellte klar|"
    "erläutert|erläuterte|bekräftigt|bekräftigte|fragt|fragte|klagt|klagte|beklagt|beklagte|"
    "räumt ein|gibt zu|gab zu|ergänzen|erklären|betonen|warnen|antwortete|antwortet|"
    "entgegnete|entgegnet|kommentierte|kommentiert|behauptete|behauptet|verriet|verrät|"
    "bilanzierte|bilanziert|appellierte|appelliert|beschrieb|beschreibt|versprach|verspricht|"
    "sagten|erklärten|betonten|schrieben|nannte|nennt|bezeichnete|bezeichnet|teilte mit|teilt mit|teilten mit|wies zurück|"
    "weist zurück|fügt hinzu|fügten hinzu|schreiben|"
    # fr
    "dit|déclare|déclaré|affirme|affirmé|explique|expliqué|ajoute|ajouté|précise|précisé|"
    "souligne|souligné|indique|indiqué|estime|estimé|assure|assuré|rappelle|rappelé|écrit|"
    "confie|confié|martèle|martelé|poursuit|insiste|insisté|reconnaît|reconnu|raconte|raconté|"
    "commente|commenté|avertit|averti|déplore|dénonce|dénoncé|répond|répondu|conclut|conclu|"
    "lance|lancé|tranche|tranché|résume|résumé|confirme|confirmé|révèle|révélé|annonce|annoncé|"
    "dénonce|critique|critiqué|interroge|s'interroge|s’interroge|"
    "détaille|détaillé|développe|développé|noté|observé|prévient|prévenu|regrette|regretté|"
    "analyse|analysé|nuance|nuancé|ironise|ironisé|glisse|glissé|témoigne|témoigné|relève|"
    "relevé|signale|signalé|soutient|soutenu|argumente|argumenté|disait|expliquait|ajoutait|"
    "déclarait|affirmait|s'inquiète|s’inquiète|assène|asséné|rétorque|rétorqué|réplique|"
    "répliqué|renchérit|constate|constaté|jugé|avoue|avoué|admet|admis|plaide|plaidé|"
    "lâche|lâché|souffle|soufflé|tempère|tempéré|répète|répété|reprend|repris|qualifie|qualifié|"
    # es
    "dijo|dice|afirmó|afirma|señaló|señala|explicó|explica|aseguró|asegura|indicó|agregó|"
    "agrega|añadió|añade|declaró|manifestó|sostuvo|sostiene|precisó|expresó|comentó|"
    "subrayó|destacó|advirtió|reconoció|apuntó|insistió|concluyó|escribió|relató|contó|"
    "respondió|enfatizó|recalcó|planteó|puntualizó|mencionó|sentenció|confirmó|reveló|"
    "cuestionó|denunció|criticó|opinó|consideró|anunció|se pregunta|se preguntó|"
    "detalló|remarcó|aclaró|argumentó|lamentó|admitió|reiteró|expuso|resaltó|indica|decía|"
    "explicaba|añadía|aseguraba|dijeron|afirmaron|señalaron|explicaron|advierte|"
    "corroboró|replicó|recordó|narró|aseveró|acotó|zanjó|justificó|alertó|confesó|"
    "ironizó|bromeó|reclamó|agregaron|destaca|subraya|apunta|recuerda|concluye|sostiene|"
    "llamó|calificó|definió|"
    # pt
    "disse|diz|afirmou|declarou|explicou|acrescentou|acrescenta|ressaltou|ressalta|"
    "destacou|disseram|afirmaram|contou|relatou|escreveu|completou|observou|avaliou|"
    "defendeu|argumentou|garantiu|lembrou|apontou|frisou|comentou|informou|salientou|"
    "concluiu|pontuou|enfatizou|declararam|confirmou|revelou|criticou|questionou|anunciou|"
    "reforçou|alertou|admitiu|sustentou|afirma|explica|reiterou|declara|avalia|garante|"
    "ponderou|sublinhou|esclareceu|justificou|assegurou|detalhou|respondeu|informa|aponta|"
    "lembra|destaca|pondera|conclui|reconheceu|reconhece|admite|disparou|"
    "desabafou|brincou|emendou|prosseguiu|continuou|narrou|assinalou|mencionou|comunicou|"
    "lamentou|advertiu|adverte|enfatiza|frisa|sustenta|opinou|chamou|classificou|qualificou|"
    "critica|justifica|complementa|reforça|ressalta|acrescentou|"
    # it
    "detto|disse|dichiarato|dichiara|spiega|spiegato|spiegano|afferma|affermato|sottolinea|"
    "sottolineato|aggiunge|aggiunto|concluso|commentato|osserva|scrive|scritto|racconta|"
    "raccontato|precisato|ribadisce|ribadito|annuncia|annunciato|avverte|prosegue|"
    "sostiene|dichiarano|affermano|spiegava|ammette|ammesso|evidenzia|evidenziato|"
    "sottolineano|ricorda|ricordato|conclude|si chiede"
)


def alternation(words: list[str]) -> str:
    """One regex alternation for ``words``, factored by common prefixes.

    Python's ``re`` tries the branches of an alternation one by one; factored, a word that
    starts with none of the verbs is rejected after a handful of tests instead of two
    hundred. Followed by ``\\b``, it matches the same words as the flat alternation.

    >>> alternation(["say", "says", "said"])
    'sa(?:ys?|id)'
    """
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(ch) + emit(sub) for ch, sub in node.items() if ch]
        if not branches:
            return ""
        optional = "?" if "" in node else ""
        if len(branches) > 1:
            return "(?:" + "|".join(branches) + ")" + optional
        if optional and len(branches[0]) > 1:
            return f"(?:{branches[0]})?"
        return branches[0] + optional

    return emit(tree)


def _expand(stems: str, lexicon: bool = False) -> list[str]:
    """The literal words of ``_SAY_STEMS``, its few optional parts spelled out, with the
    other languages' verbs: the hand-written list above and, with ``lexicon``, the
    conjugated forms of the lexicon in :mod:`archive.text.say_verbs` ("aclara",
    "aclaraba", "ha aclarado")."""
    stems = stems.replace("testif(?:y|ies|ied)", "testify|testifies|testified") + "|" + _SAY_OTHER
    stems = stems.replace("point(?:s|ed)? out", "point out|points out|pointed out")
    words = stems.split("|") + ([w for forms in SAY_FORMS.values() for w in forms] if lexicon else [])
    words += [w.replace("[sz]", "z") for w in words]
    return sorted({w.replace("[sz]", "s") for w in words})


# Two sets of verbs. Next to a quotation (“…”, aclara X. / X aclaró: “…”) every form of
# the lexicon is read as a verb of saying: there a reporter's "responde" or "rileva"
# brings the quotation. Across the text (who is said to speak anywhere, for pronouns;
# whether a short quotation's sentence has someone speak) only the hand-written list is:
# "la Policía responde cuando puede" is no statement by the police.
_SAY = rf"(?:{alternation(_expand(_SAY_STEMS, lexicon=True))})"
_SAY_CORE = rf"(?:{alternation(_expand(_SAY_STEMS))})"
# The lookahead names the letters a verb can start with, so that the regex engine turns
# most positions down with one test before trying the alternation (a quarter faster).
_SAY_RE = re.compile(rf"(?=[{re.escape(''.join(sorted({w[0] for w in _expand(_SAY_STEMS, lexicon=True)})))}])\b{_SAY}\b", re.I)
_SAY_CORE_RE = re.compile(rf"(?=[{re.escape(''.join(sorted({w[0] for w in _expand(_SAY_STEMS)})))}])\b{_SAY_CORE}\b", re.I)
# "according to X" and its equivalents; German "laut" and "zufolge" ("der Polizei zufolge")
_ACCORDING_WORDS = (
    r"(?:according to|as reported by|in the words of|selon|d['’]après|según|de acuerdo con|"
    r"en palabras de|laut|gemäß|in den Worten von|segundo|de acordo com|nas palavras de|conforme|"
    r"secondo|stando a)"
)
_ACCORDING = re.compile(rf"\b{_ACCORDING_WORDS}(?!\w)", re.I)

# The subject of a verb of saying written without one ("“…”, dijo."): resolved like a
# pronoun, also to the person the text named last.
_UNSAID = "(unsaid)"
# The same in the plural ("“…”, agregaron."): "they", whom the text does not name as one
# speaker; the quotation is nobody's in particular and continues no one.
_PLURAL_UNSAID = "(unsaid, plural)"
_PLURAL_OTHER = {"dijeron", "afirmaron", "señalaron", "explicaron", "agregaron", "disseram", "afirmaram",
                 "declararam", "dichiarano", "affermano", "spiegano", "sottolineano"}
_PRONOUNS = {
    _UNSAID,
    "he", "she", "they", "it", "i", "we", "you", "او", "وی", "آنها", "ایشان",
    "er", "sie", "il", "elle", "ils", "elles", "él", "ella", "ele", "ela", "eles", "elas",
    "lui", "lei", "loro",
}
_DETERMINERS = {
    "the", "a", "an", "its", "his", "her", "their", "our", "this", "that", "one",
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "le", "la", "les", "l",
    "un", "une", "el", "los", "las", "una", "o", "os", "um", "uma", "il", "lo", "gli",
    # possessives: "prévient sa secrétaire générale, Sophie Binet", "dijo su abogado"
    "sa", "son", "ses", "su", "sus", "seu", "sua", "seus", "suas", "sein", "seine", "ihr", "ihre",
    "suo", "sui", "sue",
}
# Capitalised words that open sentences or clauses but are not part of a name.
_NOT_NAME = {
    "But", "And", "Or", "So", "Yet", "Then", "Now", "Still", "Also", "However", "Meanwhile",
    "Later", "Earlier", "Yesterday", "Today", "Tonight", "Tomorrow", "On", "In", "At", "As",
    "After", "Before", "When", "While", "Last", "This", "That", "There", "Here", "It", "If",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Instead",
    "Asked", "Speaking", "Separately", "Finally", "Indeed", "Since", "Although", "Though",
    "Because", "Once", "Asked", "Told", "Writing", "Sometimes", "Afterwards", "Overall",
    # clause openers of the other languages: "Wie Roth am Montag sagte"
    "Wie", "Als", "Wenn", "Nachdem", "Weil", "Como", "Cuando", "Quando", "Comme", "Quand",
    "Lorsque", "Mientras", "Enquanto", "Tras", "Após", "Depois", "Después", "Après", "Avant",
    "Antes", "Selon", "Según", "Segundo", "Laut", "E", "Y", "Et", "Und", "Mas", "Pero", "Mais",
    "Aber", "Doch", "Ma", "Ou", "Oder", "Ahora", "Agora", "Maintenant", "Jetzt", "Hoy", "Hoje",
    "Heute", "Además", "Luego", "Entonces", "Então", "Alors", "Ainsi", "Así", "Assim", "Aunque",
    "Embora", "Pourtant", "Dann", "Auch", "También", "Também", "Aussi", "Ya", "Já", "Déjà",
    # German quantifiers that open a noun phrase, capitalised at a sentence start
    "Kein", "Keine", "Keiner", "Einige", "Manche", "Viele", "Alle", "Jeder", "Jede", "Beide",
    # number words open a count, not a name: "Zwei Kilometer weiter", "Dos mujeres"
    "Two", "Three", "Four", "Five", "Ten", "Zwei", "Drei", "Vier", "Fünf", "Zehn", "Dos", "Tres",
    "Cuatro", "Cinco", "Diez", "Dois", "Duas", "Três", "Quatro", "Deux", "Trois", "Quatre",
    "Due", "Tre", "Quattro", "Cinque",
    # German adverbs that open a sentence: "Darin warnen sie …", "Dabei sagte er …"
    "Darin", "Dabei", "Damit", "Dort", "Hier", "Daher", "Deshalb", "Zudem", "Allerdings",
    "Trotzdem", "Darauf", "Dazu", "Danach", "Deswegen", "Inzwischen", "Zugleich", "Stattdessen",
    "Vermutlich", "Kürzlich", "Schon", "Bereits", "Nun", "Zunächst", "Später",
    # auxiliaries that open a sentence whose subject is left unsaid: "Ha detto: «…»",
    # "Hat gesagt", "Ont-ils dit", "Había dicho", "Tem dito"
    "Lo",  # "Lo ha spiegato Luca Mercalli", "Lo dijo el ministro": "it", the object
    "Ha", "Hanno", "Aveva", "Avevano", "Hat", "Hatte", "Haben", "Hatten", "Ont", "Avait",
    "Había", "Habían", "Han", "Tem", "Têm", "Tinha", "Tinham", "Havia",
    # participles that open a sentence about being asked: "Consultado por un periodista,
    # Biden dijo", "Questionado sobre o caso, Tite respondeu", "Interrogé sur ce point"
    "Consultado", "Consultada", "Preguntado", "Preguntada", "Cuestionado", "Cuestionada",
    "Questionado", "Questionada", "Perguntado", "Perguntada", "Indagado", "Indagada",
    "Interrogé", "Interrogée", "Interpellé", "Interpellée", "Questionné", "Questionnée", "Befragt",
    "Gefragt", "Angesprochen", "Interpellato", "Interpellata", "Interrogato", "Interrogata",
    "Intervistato", "Intervistata", "Sollecitato", "Sollecitata",
}
_TITLES = {
    "Governor", "Gov.", "President", "Prime", "Minister", "Judge", "Dr", "Dr.", "Professor",
    "Prof.", "Senator", "Sen.", "Mayor", "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "General",
    "Gen.", "Chancellor", "Secretary", "Chief", "Director", "Sheriff", "Captain", "Rep.",
    "Representative", "King", "Queen", "Prince", "Pope", "Sir", "Lord", "Lady", "Rabbi",
    "Father", "Sister", "Councillor", "Commissioner", "Inspector", "Detective", "Officer",
}
# Words a name may contain in lower case: "Ursula von der Leyen", "Omar al-Bashir".
_NAME_PARTICLES = {"de", "da", "del", "der", "den", "di", "du", "des", "dos", "la", "le", "van", "von", "bin", "al", "ibn", "y"}
# A noun phrase after "said"/"according to" stops at these words.
_NP_STOP = {
    "in", "on", "at", "during", "after", "before", "when", "while", "who", "which", "that",
    "told", "as", "to", "with", "by", "from", "adding", "noting", "and", "but", "last",
    "this", "on", "earlier", "later", "yesterday", "today", "recently", "previously",
    "because", "since", "whose", "where", "if", "than", "speaking", "via",
    # the same in the other languages: "le ministère de l'Intérieur dans un communiqué"
    "dans", "lors", "pendant", "après", "avant", "qui", "lorsque", "durante", "en", "tras",
    "que", "quien", "cuando", "em", "no", "na", "nos", "nas", "durante", "após", "quando",
    "im", "bei", "während", "nach", "vor", "gegenüber", "am", "auf", "nel",
    "nella", "dopo", "mentre", "ao", "à", "au", "aux", "al", "ante", "con", "com", "avec", "mit",
    "sobre", "sur", "über", "desde", "depuis", "pelo", "pela", "par", "por",
}

_UPPER = "".join(chr(c) for c in range(0x41, 0x24F) if chr(c).isupper())
# A full stop only after an initial or an abbreviated title: a name never runs over the
# end of a sentence ("… Zweifel. Auf Geicke").
_NAME_TOKEN = rf"(?:(?:Mr|Mrs|Ms|Dr|St|Prof|Gov|Sen|Rep|Jr|Sr)\.|[{_UPPER}]\.|[{_UPPER}](?:[\w’'\-]*[\w’'])?)"
_NAME_PARTICLE = r"(?:von der|van der|van den|de la|de los|de|des|da|do|dos|das|del|della|di|du|van|von|al|bin|ibn)"
_WORD = re.compile(r"[^\W\d_][\w'’.\-]*|\d+", re.U)

_DOUBLE_CLOSERS = {"“": "”\"", "„": "“”\"", "«": "»", "»": "«", '"': '"”', "‟": "”"}
_SINGLE_OPEN = {"‘": "’", "'": "'", "‚": "‘", "‹": "›"}
# The abbreviated titles in front of a name; their full stop ends no sentence or clause
# ("Ms. Price said", "said Dr. Jane Okafor.").
_TITLE_ABBR = ("Mr", "Mrs", "Ms", "Dr", "Gov", "Sen", "Rep", "Prof", "Gen", "Col", "Lt", "Sgt", "Capt", "Rev", "St")
# (the dot first: the regex engine then tries the look-behinds only at full stops)
_FULL_STOP = r"\." + "".join(rf"(?<!\b{t}\.)" for t in _TITLE_ABBR) + r"(?<!\b[A-Z]\.)"
# (nor after an initial: "Robert M. Danin said", "Carissa F. Etienne")
_SENT_END = re.compile(rf"(?:{_FULL_STOP}|[!?…])(?:[\"”’»)\]]*)(?=\s|$)")
# A person mentioned by title ("Ms. Price", "Dr. Jane Okafor"): a pronoun may refer to them.
_TITLED_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Gov|Sen|Rep|Prof)\.\s[A-Z][\w’'\-]+(?:\s(?:[A-Z][\w’'\-]+|de|van|von|al|bin))*"
)
_FEMININE_TITLES = ("Ms.", "Mrs.")


@dataclass
class _Span:
    """One quotation: the offsets of its marks and of its words."""

    open: int  # offset of the opening mark
    close: int  # offset just after the closing mark (or the end of the paragraph)
    start: int  # the quoted words
    end: int


# --- finding the spans ------------------------------------------------------------------


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


_DOUBLE_OPEN_RE = re.compile("[" + "".join(_DOUBLE_CLOSERS) + "]")
# What ends a quotation opened by each mark: one of its closers, or (after “ only) a second
# “, which means the first one was never closed.
_DOUBLE_END_RE = {
    ch: re.compile("[" + re.escape(closers + ("“" if ch == "“" else "")) + "]")
    for ch, closers in _DOUBLE_CLOSERS.items()
}


def _double_spans(line: str, base: int) -> list[_Span]:
    """Spans between double marks in one paragraph."""
    spans: list[_Span] = []
    i, n = 0, len(line)
    while i < n:
        m = _DOUBLE_OPEN_RE.search(line, i)
        if m is None:
            break
        i = m.start()
        ch = line[i]
        if ch == '"' and i > 0 and line[i - 1].isalnum():
            # a straight mark glued to the end of a word opens nothing
            i += 1
            continue
        end = _DOUBLE_END_RE[ch].search(line, i + 1)
        if end is None or line[end.start()] not in _DOUBLE_CLOSERS[ch]:
            j = n if end is None else end.start()
            spans.append(_make_span(line, base, i, j, j))
            i = j
        else:
            close = end.start()
            spans.append(_make_span(line, base, i, close, close + 1))
            i = close + 1
    return spans


def _make_span(line: str, base: int, open_i: int, end_words: int, close: int) -> _Span:
    s, e = open_i + 1, end_words
    while s < e and line[s] in " \u00a0\u202f":
        s += 1
    while e > s and line[e - 1] in " \u00a0\u202f,":
        e -= 1
    return _Span(base + open_i, base + close, base + s, base + e)


# A mark at the start or after a space, bracket or dash, before a letter (the mark is
# matched first and the look-behind checks the character before it, which is faster).
_SINGLE_OPEN_RE = re.compile(r"[‘'‚‹](?<![^\s(\[—–-].)(?=[^\W\d_])", re.U)


def _single_spans(line: str, base: int, taken: list[tuple[int, int]]) -> list[_Span]:
    """Spans between single marks that are not apostrophes, outside double-quoted spans."""
    spans: list[_Span] = []
    pos = 0
    while True:
        m = _SINGLE_OPEN_RE.search(line, pos)
        if not m:
            break
        i = m.start()
        if any(a <= base + i < b for a, b in taken):
            pos = i + 1
            continue
        closer = _SINGLE_OPEN[line[i]]
        closers = "’'" if closer in "’'" else closer + "’"
        found = -1
        for j in range(i + 2, min(len(line), i + 400)):
            c = line[j]
            if c in closers and not line[j - 1].isspace():
                nxt = line[j + 1] if j + 1 < len(line) else " "
                if not nxt.isalnum():
                    # "the players’ hotbars": a plural possessive, not a closing mark,
                    # when a lower-case word follows and the quote would be long.
                    found = j
                    break
        if found < 0:
            pos = i + 1
            continue
        span = _make_span(line, base, i, found, found + 1)
        if not any(a < span.close and span.open < b for a, b in taken):
            spans.append(span)
        pos = found + 1
    return spans


def _spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    base = 0
    for line in text.split("\n"):
        doubles = _double_spans(line, base)
        taken = [(s.open, s.close) for s in doubles]
        singles = _single_spans(line, base, taken)
        spans.extend(sorted(doubles + singles, key=lambda s: s.open))
        base += len(line) + 1
    return [s for s in spans if s.end > s.start and any(ch.isalnum() for ch in text[s.start : s.end])]


# --- speakers ---------------------------------------------------------------------------


def _words_before(s: str) -> list[re.Match]:
    return list(_WORD.finditer(s))


# Adverbs between a subject and its verb: "NOAA recently stated", "she also said".
_ADVERBS = {
    "also", "then", "later", "earlier", "previously", "recently", "again", "once", "now",
    "today", "yesterday", "separately", "repeatedly", "publicly", "privately", "reportedly",
    "initially", "originally", "subsequently", "further", "finally", "often", "frequently",
    "simply", "flatly", "bluntly", "openly", "officially", "explicitly", "firmly", "still",
    "herself", "himself", "themselves", "itself", "once said", "later",
    # the same between a subject and its verb in the other languages: "Tite ainda
    # comentou", "Pérez también dijo", "Meier hat auch gesagt", "Rossi ha anche detto"
    "ainda", "também", "já", "depois", "aún", "todavía", "también", "ya", "luego", "después",
    "encore", "aussi", "déjà", "ensuite", "ancora", "anche", "già", "poi", "noch", "auch",
    "bereits", "schon", "dann", "später", "zudem", "außerdem", "erneut", "nochmals",
}
# Words of time between a subject and its verb: "Wie Roth am Montag sagte", "Smith on
# Tuesday said", "Ruiz ayer dijo".
_TRAILING_TIME = re.compile(
    r"(?:\s+(?:am|on|last|this|el|le|lundi|na|no)?\s*(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|"
    r"Sonntag|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|lunes|martes|miércoles|jueves|"
    r"viernes|sábado|domingo|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|gestern|heute|"
    r"yesterday|today|ayer|hoy|ontem|hoje|hier|aujourd['’]hui|Abend|Morgen|Mittag|week|weekend))+$"
)
# Auxiliaries between a subject and its verb: "Anne Dubois a déclaré", "the committee has
# pointed out", "Pedro Ruiz ha dicho", "Ana Souza tem dito", "Peter Brandt hat gesagt".
_AUXILIARIES = {
    "has", "have", "had", "will", "would", "did", "does", "do", "a", "ont", "avait", "avaient",
    "aurait", "ha", "han", "había", "habían", "habría", "tem", "têm", "tinha", "havia", "hanno",
    "aveva", "hat", "haben", "hatte", "hatten", "hätte", "habe", "wird", "würde",
}
# Heads of unnamed speakers that belong to an organisation named after them:
# "a spokesman for the agency", "Economists at Castle Bank", "officials from the ministry".
_ROLE_NOUNS = {
    "spokesman", "spokeswoman", "spokesperson", "spokesmen", "spokeswomen", "spokespeople",
    "official", "analyst", "economist", "researcher", "scientist", "executive", "director",
    "lawyer", "attorney", "professor", "expert", "strategist", "aide", "adviser", "advisor",
    "officer", "source", "representative", "member", "engineer", "doctor", "manager",
    "staffer", "investigator", "prosecutor", "leader", "head", "chief", "employee", "worker",
}
_ROLE_MODIFIERS = {"senior", "junior", "top", "chief", "other", "several", "some", "many", "two", "three", "four", "independent", "local"}
_ROLE_BEFORE = re.compile(r"([^\W\d_][\w\-]*)\s+(?:at|for|of|from|with)\s+$")


def _with_role(s: str, name: str) -> str:
    """``name`` with the role phrase in front of it kept whole ("a spokesman for" + "the agency")."""
    if not s.endswith(name):
        return name
    prefix = s[: len(s) - len(name)]
    m = _ROLE_BEFORE.search(prefix)
    if not m:
        return name
    head = m.group(1)
    lw = head.lower()
    if lw not in _ROLE_NOUNS and lw.removesuffix("s") not in _ROLE_NOUNS:
        return name
    before = prefix[: m.start(1)]
    if head[0].isupper() and before.strip() and not re.search(r"[.;:—(]\s*$", before):
        return name  # capitalised inside a sentence: a name or title, not a role
    start = m.start(1)
    for _ in range(3):
        mm = re.search(r"(?:^|(?<=\s))([^\W\d_][\w\-]*)\s+$", prefix[:start])
        if not mm:
            break
        w = mm.group(1).lower()
        if w in _DETERMINERS:
            start = mm.start(1)
            break
        if w not in _ROLE_MODIFIERS:
            break
        start = mm.start(1)
    return prefix[start:] + name


def _name_before(s: str) -> str | None:
    """The speaker phrase that ends ``s`` (the words just before a verb of saying).

    >>> _name_before("The National Oceanic and Atmospheric Administration (NOAA) recently")
    'The National Oceanic and Atmospheric Administration (NOAA)'
    >>> _name_before("Soon after Ms. Price"), _name_before("a spokesman for the agency")
    ('Ms. Price', 'a spokesman for the agency')
    """
    s = _TRAILING_TIME.sub("", s.rstrip())
    if re.search(r"(?<![\w’'\-])se$", s):
        return None  # "ante la instancia se detalla que": an impersonal verb, no subject
    while True:
        m = re.search(r"\s+([a-zäöüéèêàâ]+)$", s)
        if not m or not (
            m.group(1) in _ADVERBS
            or m.group(1) in _AUXILIARIES
            or (m.group(1).endswith("ly") and re.search(r"(?:\)|\b[A-Z][\w’'.\-]*)$", s[: m.start()]))
        ):
            break
        s = s[: m.start()]
    # "The National Oceanic and Atmospheric Administration (NOAA)": the acronym as written
    acronym = re.search(r"\s*\([A-Z][A-Za-z.&]{1,11}\)$", s)
    if acronym:
        name = _name_before_core(s[: acronym.start()])
        if name and re.search(rf"\b(?:{_NAME_PARTICLE}|de la|de las|do|da)\s+{re.escape(name)}$", s[: acronym.start()]):
            # "La operadora de la red de gas de Ucrania (Gtsou)": a body described in
            # words, named by its acronym
            return acronym.group(0).strip(" ()")
        if name and name[0].isupper() and s[: acronym.start()].endswith(name):
            return name + acronym.group(0)
        return name
    conj = re.search(r"\s(?:y|e|and|und|et|ed)$", s)
    if conj:
        # "Gazprom, la proveedora rusa, acusó recibo de la notificación y destacó …": the
        # second of two verbs has the subject of the first
        return _first_subject(s[: conj.start()])
    name = _name_before_core(s)
    return _with_role(s, name) if name else None


# "un comunicado", "a statement", "einer Mitteilung": an unnamed document
_INDEFINITE_DOC = re.compile(
    r"(?:un|una|a|an|um|uma|une|ein|eine|einer|einem)\s+(?:comunicado|declaración|nota|statement|"
    r"communiqué|mitteilung|erklärung|pressemitteilung|release|press release|declaração|comunicato)$",
    re.I,
)


def _first_subject(s: str) -> str | None:
    """The first name of the last sentence in ``s``, after its openers ("Por su parte
    Gazprom, …" -> "Gazprom")."""
    ends = [e.end() for e in _SENT_END.finditer(s)]
    sent = s[ends[-1] :] if ends else s
    opener = re.match(r"\s*([^\W\d_][\w’'\-]*)\b[^,]*,\s*", sent)
    if opener and opener.group(1) in _NOT_NAME and opener.end() < len(sent):
        # "Consultado por un periodista sobre … Scott, Biden sonrió y dijo": the clause
        # before the comma is about someone else; the subject comes after it
        sent = sent[opener.end() :]
    named = _sentence_subject(sent)  # a name of two words or more first: "Eva Lindqvist"
    if named:
        return named
    for m in _NAME_RUN_ALL.finditer(sent):
        tokens = m.group(0).split()
        while tokens and (tokens[0] in _NOT_NAME or tokens[0].lower() in _OPENERS):
            tokens = tokens[1:]
        if tokens:
            return " ".join(tokens)
    return None


def _name_before_core(s: str) -> str | None:
    # Appositive: "Maria Lopez, 34, a nurse in Fresno," -> look before the first comma.
    words = _words_before(s)
    if not words:
        return None
    last = words[-1].group(0)
    if s.endswith(","):
        parts = s[:-1].split(",")
        if len(parts) < 2:
            return None
        last_part = parts[-1].strip()
        if last_part and all(w[0].isupper() for w in last_part.split()) and len(last_part.split()) <= 5:
            # "the head of the agency, Jane Doe, said": the name is the appositive
            return last_part
        for part in reversed(parts[:-1]):
            name = _name_before(part)
            if name and name[0].isupper() and name.lower() not in _PRONOUNS:
                return name
        return None
    if last.lower() in _PRONOUNS and words[-1].end() == len(s):
        return last
    if last[0].isupper() and last not in _NOT_NAME:
        # A run of capitalised words (and name particles) ending at the verb.
        k = len(words) - 1
        while k > 0:
            prev = words[k - 1]
            between = s[prev.end() : words[k].start()]
            if between.strip() not in ("",):
                break
            w = prev.group(0)
            if (w[0].isupper() and w not in _NOT_NAME) or (w.lower() in _NAME_PARTICLES and k - 1 > 0):
                k -= 1
                continue
            # "Bank of England", "National Oceanic and Atmospheric Administration"
            if w in ("of", "and", "for", "on") and k - 2 >= 0 and s[words[k - 2].end() : prev.start()] == " ":
                w2 = words[k - 2].group(0)
                if w2[0].isupper() and w2 not in _NOT_NAME and w2 not in _TITLES:
                    k -= 2
                    continue
            break
        # A capitalised common noun that only opens the sentence ("Fisherman Pete
        # Laurent") is not part of the name; a title ("Governor Gavin Newsom") is.
        if k < len(words) - 2 and words[k].group(0) not in _TITLES and not s[: words[k].start()].strip():
            k += 1
        name = s[words[k].start() : words[-1].end()]
        if name.split()[0].lower() in _NAME_PARTICLES:
            name = name.split(None, 1)[1] if " " in name else name
        # "The Ministry" at a sentence start keeps its article as written.
        if k > 0 and words[k - 1].group(0).lower() in _DETERMINERS and s[words[k - 1].end() : words[k].start()] == " ":
            name = s[words[k - 1].start() : words[-1].end()]
        return name
    # Lower-case noun phrase: back to the nearest determiner, at most five words.
    clause_start = max(s.rfind(","), s.rfind(";"), s.rfind(":"), s.rfind("—"), s.rfind("("), s.rfind(". "), s.rfind("! "), s.rfind("? "))
    for k in range(len(words) - 1, max(-1, len(words) - 7), -1):
        w = words[k]
        if w.start() <= clause_start:
            break
        if w.group(0).lower() in _DETERMINERS and k < len(words) - 1:
            return s[w.start() : words[-1].end()]
        if w.group(0).lower() in _NP_STOP - {"that", "this"}:
            break
    # No determiner: a short bare plural subject ("officials said", "local residents say").
    clause = s[clause_start + 1 :].strip()
    cw = clause.split()
    if 1 <= len(cw) <= 3 and all(w.isalpha() or "-" in w for w in cw):
        if cw[0].lower() in _FUNCTION_S or all(w in _NOT_NAME for w in cw):
            return None  # "…, mas defendeu", "Y agregó": a conjunction, not "officials"
        if cw[0].lower() not in _NP_STOP and cw[-1].lower().endswith("s") or cw[-1][0].isupper():
            return clause
    return None


_OF_WORDS = {"de", "do", "da", "dos", "das", "del", "du", "des", "of", "di", "von", "zu", "vom", "zum", "zur"}
# A person described by age: "der 57-Jährige", "the 57-year-old", "el hombre de 40 años" is not.
_AGED_ROLE = re.compile(r"(?:der|die|the|a|an)\s+\d{1,3}-(?:Jährige[rn]?|year-old)\b", re.I)
# "l'agence", "l’EPA", "d'Amnesty": an article elided onto its noun (French, Italian)
_ELIDED = re.compile(r"(?:[lLdD]|[uU]n)['’]\w")
# ", John Smith." / ", Pedro Ruiz," after a role: two capitalised words or more, then the
# end of the clause
_APPOSED_NAME = re.compile(
    rf"\s*,\s*(?P<role>(?:[a-zà-ÿ]+\s+){{0,2}})({_NAME_TOKEN}(?:[ \u00a0]+(?:{_NAME_PARTICLE}[ \u00a0]+)*{_NAME_TOKEN})+)\s*(?=[,.;:!?(]|$)"
)


# the rest of a list of capitalised words after a role's of-phrase: ", Innovación,
# Tecnología y Telecomunicaciones"
_LISTED_OF = re.compile(
    rf"(?:\s*,\s*[{_UPPER}][\w’'\-]*)*\s+(?:y|e|and|et|und|i|ed)\s+[{_UPPER}][\w’'\-]*"
)


def _is_title_case_phrase(words: str) -> bool:
    """Whether ``words`` look like an organisation rather than a person ("Health Canada" is
    let through; "Ministry of Health" is not a run of names)."""
    return _ORG_WORDS.search(words) is not None


# Words of time between an inverted verb and its subject: "a déclaré jeudi le ministre",
# "dijo ayer el alcalde", "disse ontem o prefeito", "sagte am Montag der Minister".
_TIME_AFTER_VERB = re.compile(
    r"^(?:(?:am|on|le|el|este|esta|neste|nesta|ce|cette|this|last|dieser|diesen|am)\s+)?"
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|aujourd['’]hui|lunes|martes|"
    r"miércoles|jueves|viernes|sábado|domingo|ayer|hoy|segunda(?:-feira)?|terça(?:-feira)?|"
    r"quarta(?:-feira)?|quinta(?:-feira)?|sexta(?:-feira)?|ontem|hoje|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag|gestern|heute|yesterday|today|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|soir|matin|noche|mañana|tarde|manhã|abend|morgen)\b[,]?\s+",
    re.I,
)


# Words ending in -s that are no bare plural subject: "mas", "pues", "depois", "alors".
_FUNCTION_S = {
    "mas", "más", "mais", "pois", "pues", "puis", "entonces", "además", "después", "depois",
    "apenas", "menos", "antes", "ainda", "aussi", "alors", "dans", "sans", "sous", "plus", "tras",
    "hemos", "somos", "vamos", "estamos", "fuimos", "temos", "nous", "vous", "ils", "elles",
    "les", "des", "los", "las", "nos", "vos", "ses", "mes", "tes", "sus", "seus", "suas", "this",
    "thus", "perhaps", "was", "is", "has", "as", "us", "its", "his", "hers", "yes", "always",
}


# German "Forscher um Aneta Afelt", "das Team um Weber": a group named by its head
_GROUP_UM = re.compile(
    rf"(?:(?:die|das|ein|eine)\s+)?(?:[A-ZÄÖÜ][\w\-]*\s+){{1,2}}um\s+(?P<name>{_NAME_TOKEN}(?:[ \u00a0]+{_NAME_TOKEN})*)"
)


# Words that set the speaker against another one, between an inverted verb and its
# subject: "résume quant à elle Claire Dubois", "dijo por su parte", "afirmou por sua vez",
# "ha detto dal canto suo", "sagte dagegen". They are no part of the subject.
_ASIDE_AFTER_VERB = re.compile(
    r"^,?\s*(?:quant\s+à\s+(?:elle|lui|eux|elles)|pour\s+(?:sa|leur)\s+part|de\s+(?:son|leur)\s+côté|"
    r"à\s+son\s+tour|lui\s+aussi|elle\s+aussi|également|aussi|"
    r"por\s+su\s+parte|a\s+su\s+vez|por\s+su\s+lado|también|asimismo|"
    r"por\s+sua\s+vez|por\s+seu\s+lado|por\s+sua\s+parte|também|"
    r"dal\s+canto\s+(?:suo|loro)|a\s+sua\s+volta|da\s+parte\s+sua|invece|anche|"
    r"dagegen|hingegen|wiederum|ihrerseits|seinerseits|ebenfalls|auch|jedoch|"
    r"in\s+turn|for\s+(?:her|his|their)\s+part|too|also)\b,?\s+",
    re.I,
)
# After a verb, "il" followed by a noun or a name is the Italian article ("spiega il
# meteorologo Luca Mercalli"); the French subject pronoun is joined to its verb ("dit-il")
# or followed by a verb ("il y a", "il a").
_IL_PRONOUN_NEXT = {"y", "a", "est", "était", "n", "ne", "s", "se", "l", "le", "la", "les", "lui", "en", "avait", "aurait", "va", "fait", "dit"}


_ROLE_THEN_NAME = re.compile(
    rf"[^,;:]{{3,140}},\s*(?P<name>{_NAME_TOKEN}(?:[ \u00a0]+(?:{_NAME_PARTICLE}[ \u00a0]+)*{_NAME_TOKEN})+)\s*[.]?"
)


def _name_after(s: str) -> str | None:
    """The speaker phrase that starts ``s`` (the words just after "said" / "according to")."""
    s = s.lstrip()
    while True:
        t = _TIME_AFTER_VERB.match(s) or _ASIDE_AFTER_VERB.match(s)
        if not t or t.end() >= len(s):
            break
        s = s[t.end() :]
    words = _words_before(s)
    if not words:
        return None
    first = words[0].group(0)
    italian_il = first == "il" and len(words) > 1 and _LANGUAGE.get() != "fr" and (
        _LANGUAGE.get() == "it" or (
            s[words[0].end() : words[1].start()] == " "
            and words[1].group(0).lower().strip("'’") not in _IL_PRONOUN_NEXT
            and not _SAY_RE.fullmatch(words[1].group(0))
        )
    )
    if first.lower() in _PRONOUNS and not italian_il:
        return first
    group = _GROUP_UM.match(s)
    if group:
        return group.group("name")  # "Forscher um Aneta Afelt": the team of Aneta Afelt
    aged = _AGED_ROLE.match(s)
    if aged:
        return aged.group(0)  # "der 57-Jährige", "the 57-year-old"
    preposition_a = first.lower() in ("a", "à") and len(words) > 1 and words[1].group(0).lower() in {
        "la", "las", "los", "el", "un", "una", "uno", "le", "les", "sus", "su"}
    if first.lower() in _NP_STOP and first.lower() not in _DETERMINERS or preposition_a:
        # "affirme à l'AFP Anne Dubois", "disse ao jornal a prefeita Ana Souza": to whom,
        # then the subject; "sostuvo en diálogo con Radio Mitre": no subject at all
        pp = re.match(r"\S+\s+(?:(?i:l['’]|la|el|le|les|los|las|o|a|os|as|the|der|dem|den|die)\s*)?[\w'’.\-]+\s+", s)
        rest = s[pp.end() :] if pp else ""
        after_pp = _words_before(rest)
        if not after_pp or after_pp[0].group(0).lower() in _NP_STOP | _OF_WORDS and after_pp[0].group(0).lower() not in _DETERMINERS:
            return None
        subject = _name_after(rest)
        if subject and len(subject.split()) < 2:
            return None  # "dijo a la red Erbol": the rest of a to-whom phrase, no subject
        return subject
    out_end = None
    if first.lower() in _DETERMINERS or _ELIDED.match(first):
        named_last = _ROLE_THEN_NAME.fullmatch(s.rstrip())
        if named_last and _is_person(named_last.group("name")):
            # "admitió el convencional UDI e integrante de la Comisión de Normas, Pablo
            # Toloza": a role of any length, a comma, and the person to the end of the clause
            return named_last.group("name")
        k = 0
        genitive = False
        while k + 1 < len(words) and k < 8:
            nxt = words[k + 1]
            gap = s[words[k].end() : nxt.start()]
            if gap.strip() or nxt.group(0).lower() in _NP_STOP:
                break
            if nxt.group(0) in ("dem", "den") or genitive and nxt.group(0) == "der":
                break  # "ein Sprecher des Ministeriums der Deutschen Presse-Agentur": to whom
            if nxt.group(0) in ("a", "à") and k + 2 < len(words) and words[k + 2].group(0).lower() in (
                    "la", "las", "los", "el", "l", "le", "les", "un", "una", "sus", "su"):
                break  # "la titular de Interior a los senadores": to whom
            genitive = genitive or nxt.group(0) in ("des", "der")
            k += 1
        out_end = words[k].end()
        # "a spokesman for the company": keep "for/of the X".
        rest = s[out_end:]
        m = re.match(r"\s+(?:for|of)\s+(?:the\s+|a\s+)?(?:[\w’'\-]+\s?){1,4}", rest)
        if m:
            stop = re.match(r"\s+(?:for|of)\s+((?:the|a)\s+)?([\w’'\-]+(?:\s+[A-Z][\w’'\-]*)*)", rest)
            if stop:
                out_end += stop.end()
        # "the mayor, John Smith", "el ministro de Salud, Pedro Ruiz": the person named
        # right after their role
        named = _APPOSED_NAME.match(s, out_end)
        listed = _LISTED_OF.match(s, out_end)
        if named is None and listed:
            # "la ministra de Ciencia, Innovación, Tecnología y Telecomunicaciones, Paola
            # Vega": a role whose of-phrase lists several names, then the person
            named = _APPOSED_NAME.match(s, listed.end())
        if named and not _is_title_case_phrase(named.group(2)) and all(
            w in _TITLE_WORDS or w in _PERSON_ROLES for w in named.group("role").split()
        ):
            return named.group(2)
        return s[: out_end].rstrip(" ,.")
    if first[0].isupper():
        k = 0
        while k + 1 < len(words):
            nxt = words[k + 1]
            gap = s[words[k].end() : nxt.start()]
            w = nxt.group(0)
            if gap != " ":
                break
            if w[0].isupper() or (w.lower() in _NAME_PARTICLES and k + 2 < len(words)):
                k += 1
                continue
            break
        both = re.match(rf"[ \u00a0]+(?:und|and|y|e|et|ed)[ \u00a0]+({_NAME_TOKEN}(?:[ \u00a0]+{_NAME_TOKEN})*)(?![\w’'])", s[words[k].end() :])
        if both and not both.group(1).endswith(("'s", "’s")):
            # "schreiben Berlin und Paris": two subjects of one verb
            return s[: words[k].end() + both.end()].rstrip(".")
        return s[: words[k].end()].rstrip(".")
    # "said transport minister Sophie Klein": lower-case title words, then the name
    for k in range(1, min(7, len(words))):
        w = words[k].group(0)
        if w.lower() in _NP_STOP or not s[words[k - 1].end() : words[k].start()] == " ":
            break
        if w[0].isupper():
            return _name_after(s[words[k].start() :])
    # bare lower-case plural: "said officials", "say residents"; collectives: "police"
    if first.endswith("s") and first.lower() not in _NP_STOP or first.lower() in _COLLECTIVES:
        return first
    return None


_COLLECTIVES = {"police", "staff", "management", "government", "military", "polizei", "policía", "polícia", "gendarmerie"}


# An auxiliary may come first: "a ajouté Laurent Fabius", "ha detto il ministro", "hat er gesagt".
_SAY_AT_START = re.compile(
    rf"^\s*(?:also\s+|then\s+|later\s+|(?:a|ha|han|hat|ont|hanno|tem|a-t-(?:il|elle))\s+)?({_SAY})\b[,]?\s*", re.I
)
_ACCORDING_START = re.compile(rf"^\s*{_ACCORDING_WORDS}\s+", re.I)
_NAME_AND_ROLE = re.compile(rf"^\s*({_NAME_TOKEN}(?:[ \u00a0]+(?:{_NAME_PARTICLE}[ \u00a0]+)*{_NAME_TOKEN})+)\s*,\s*[^,]{{3,90}}$")
_SO_BETWEEN = re.compile(r"(?:^|[,“”\"»«]\s*)so\s+([A-ZÄÖÜ][\w’'\-]+(?:\s+[A-ZÄÖÜ][\w’'\-]+){0,3}),\s*$")
# German "…, so Precht: „…“": "so" and the speaker, then a colon that brings the quotation
_SO_COLON = re.compile(r"(?:^|,\s*)so\s+([A-ZÄÖÜ][\w’'\-]+(?:\s+[A-ZÄÖÜ][\w’'\-]+){0,3})\s*:\s*$")
_IMPERSONAL_DE = re.compile(r"^\s*(?:heißt|hieß)\s+es\b")
_IMPERSONAL_SOURCE = re.compile(
    r"\b(?:(?:aus|von|vom|bei|beim|seitens)\s+(?:(?:der|dem|den|einer|einem)\s+)?|"
    r"(?:in|im)\s+(?:(?:der|dem|den|einer|einem)\s+)?"
    r"[\w-]*(?:[mM]itteilung|[eE]rklärung|[sS]tellungnahme|[sS]chreiben|[bB]ericht)\s+(?:des|der|von|vom)\s+)"
    r"((?:(?:der|dem|die|das)\s+)?[A-ZÄÖÜ][\w-]*(?:\s+[A-ZÄÖÜ][\w-]*)*)"
)
# German "so" after a quotation means "said": „…“, so Anna Keller. It is followed by the
# speaker alone, up to the end of the clause.
_SO_AFTER = re.compile(r"^\s*so\s+(?P<np>(?:(?:der|die|das|ein|eine)\s+)?[A-ZÄÖÜ][^,;:]*?)\s*$")
# German separable verbs of saying: „…“, teilte die Polizei mit / fügte sie hinzu.
_SEPARABLE_AFTER = re.compile(
    r"^\s*(?:teilte|teilten|teilt|fügte|fügten|fügt|räumte|räumten|räumt|stellte|stellten|"
    r"stellt|gab|gaben|gibt|wies|wiesen|weist|hob|hoben|hebt|führte|führten|führt|merkte|"
    r"merkt|gestand|gesteht|sagte|sagten|sagt)\s+(?P<np>.+?)\s+"
    r"(?:mit|hinzu|ein|klar|zu|zurück|hervor|aus|an)\s*$"
)


def _after_attribution(tail: str) -> tuple[str | None, int]:
    """Speaker named right after a quote, and where the attribution ends in ``tail``.

    ``tail`` starts just after the closing mark.
    """
    m = re.match(r"^[\s,—–-]*", tail)
    assert m is not None  # a starred pattern matches every string
    t0 = m.end()
    t = tail[t0:]
    # the attribution clause ends at the sentence end, a colon/semicolon or the next quote
    end_m = re.search(rf"(?:{_FULL_STOP}|[!?;:])(?=\s|$)|[“\"«„‘]", t)
    clause = t[: end_m.start()] if end_m else t
    clause_end = t0 + (end_m.start() if end_m else len(t))
    if not clause.strip():
        return None, 0
    # German: „…“, so Anna Keller.  /  „…“, teilte die Polizei mit.
    m = _SO_AFTER.match(clause) or _SEPARABLE_AFTER.match(clause)
    if m:
        name = _name_after(m.group("np"))
        if name:
            return name, clause_end
    # German impersonal "heißt es": the body it comes from, if the clause names it
    # ("heißt es aus dem Ministerium", "in einer Mitteilung der Polizei"), else nobody
    m = _IMPERSONAL_DE.match(clause)
    if m:
        src = _IMPERSONAL_SOURCE.search(clause, m.end())
        name = _name_after(src.group(1)) if src else None
        if src and name and re.search(r"\bdes\s+$", clause[: src.start(1)]) and name.endswith("s") and len(name) > 5:
            name = name[:-1]  # the genitive: "des Innenministeriums" -> "Innenministerium"
        return name, clause_end if name else 0
    # "« … », peut-on lire dans Les Échos", "lit-on dans le rapport"
    m = re.match(r"^\s*(?:peut-on lire|lit-on|pouvait-on lire|se lee|lê-se|heißt es)\s+(?:dans|en|em|in|im)\s+(?P<np>.+?)\s*$", clause)
    if m:
        name = _name_after(m.group("np"))
        if name:
            return name, clause_end
    # German passive: „…“, wird Roth in der Mitteilung zitiert.
    m = re.match(r"^\s*(?:wird|wurde|werden|wurden)\s+(?P<np>.+?)\s+(?:(?:in|im|von|vom|bei)\s+.+?\s+)?zitiert\s*$", clause)
    if m:
        name = _name_after(m.group("np"))
        if name:
            return name, clause_end
    # French inverted pronoun with an auxiliary: "« … », ont-elles indiqué", "a-t-il déclaré"
    m = re.match(rf"^\s*(?:a|ont|avait|avaient)-(?:t-)?{_INVERTED_PRONOUN}\s+(?:{_SAY})\b", clause, re.I)
    if m:
        return m.group("p").lower(), clause_end
    # inverted: "said Maria Lopez", "adds the ministry", "writes the newspaper"
    m = _SAY_AT_START.match(clause)
    if m and not re.match(r"\s*(?:that|to|in|on|at|it|of)\b", clause[m.end() :], re.I):
        name = _name_after(clause[m.end() :])
        if name:
            return name, clause_end
        rest = clause[m.end() :].strip()
        if not rest or rest[0].islower():
            # "“…”, dijo." / "“…”, disse ao jornal": a verb with its subject left
            # unsaid, as Spanish, Portuguese and Italian write; it reads as "he said".
            # ("“…”, respondieron." is "they answered": nobody the text names at once)
            if m.group(1).lower() in SAY_PLURAL or m.group(1).lower() in _PLURAL_OTHER:
                return _PLURAL_UNSAID, clause_end
            return _UNSAID, clause_end
    m = _ACCORDING_START.match(clause)
    if m:
        name = _name_after(clause[m.end() :])
        if name:
            return name, clause_end
    # a name and its role with the verb left out: "“…,” Augusto Reyes, Director of the Branch."
    m = _NAME_AND_ROLE.match(clause)
    if m and _is_person(m.group(1)) and not _SAY_RE.search(clause):
        return m.group(1), clause_end
    # "Maria Lopez said", "she added", "the ministry said in a statement", appositives
    for sm in _SAY_RE.finditer(clause):
        before = clause[: sm.start()]
        if len(before.split()) > 16:
            break
        if sm.group(0).lower() in _CALL_VERBS:
            continue
        name = _name_before(before)
        if name:
            return name, clause_end
        if before.rstrip().endswith(",") and not clause[sm.end() :].strip(" ,.") and sm.group(0)[:1].islower():
            # "“…”, entre ellas el número de motor, añadió.": the quotation's sentence goes
            # on, then a verb of saying with its subject left unsaid
            return _UNSAID, clause_end
        break
    return None, 0


# Verbs that name what was said rather than bring a quotation ("called it “a disaster”").
_CALL_VERBS = {
    "call", "calls", "called", "describe", "describes", "described", "llamó", "calificó",
    "definió", "chamou", "classificou", "qualificou", "qualifie", "qualifié", "nannte", "nennt",
    "bezeichnete", "bezeichnet",
}


_CALL_RE = re.compile(r"\b(?:" + "|".join(sorted(_CALL_VERBS, key=len, reverse=True)) + r")\b", re.I)


# (compiled once: built in the call, the 4 KB pattern was hashed and compared against
# re's cache at every quotation)
_SAY_AT_END = re.compile(rf"\b({_SAY})(?:\s+(?:\w+\s+){{0,5}}?\w+)?\s*[:,]?\s*(?:that\s*)?$", re.I)
_AND_SAY = re.compile(r"^\W*and\s+(?:also\s+)?" + _SAY + r"\b", re.I)


def _coordinated_subject(head: str, tail: str) -> str | None:
    """“…” followed by "and said …": the speaker is the subject of the sentence."""
    if _AND_SAY.match(tail):
        return _sentence_subject(head)
    return None


def _before_attribution(head: str, tight: bool) -> str | None:
    """Speaker named in the same sentence before a quote.

    ``tight``: only an attribution that introduces the quote ("X said: “…”"); otherwise
    any verb of saying earlier in the sentence ("X said the plan was “reckless”").
    """
    h = head.rstrip()
    if tight:
        m = re.search(rf"\b{_ACCORDING_WORDS}\s+(.{{1,80}}?),\s*$", h, re.I)
        if m:
            return _name_after(m.group(1))
        m = _OPINION_OF.search(h)
        if m:
            # "Na avaliação do técnico, “…”": "do" is "of the", the speaker "o técnico"
            article = _OF_ARTICLE.get(m.group("of").lower(), "")
            return _name_after(f"{article} {m.group('np')}".strip())
        m = _SO_BETWEEN.search(h) or _SO_COLON.search(h)
        if m:
            return m.group(1)  # „Es war“, so Foucault, „…“ / "…, so Precht: „…“"
        m = _SAY_AT_END.search(h)
        if not m or not (h.endswith((":", ",")) or h.lower().endswith("that")):
            if not m:
                return None
        before = h[: m.start()]
        verb_at_start = not before.strip() or before.rstrip().endswith((".", ":", ";"))
        if verb_at_start or re.search(r"^\s*$", before):
            # inverted: "Writes the newspaper: “…”"
            return _name_after(h[m.end(1) :].strip(" :,"))
        return _name_before(before)
    # "Según informó la DGSA, …", "Segundo explicou o delegado, …", "Como dijo el
    # ministro, …": the verb comes first, its subject after it
    am = _AS_SAID.search(h)
    if am:
        name = _name_after(am.group("np"))
        if name and name.lower() not in _PRONOUNS:
            return name
    # German "X zufolge" ("Brandt zufolge ist …", "Angaben der Polizei zufolge …")
    zm = _ZUFOLGE.search(h)
    if zm:
        name = _name_after(zm.group(1))
        if name:
            return name
    verbs = [sm for sm in _SAY_RE.finditer(h) if not _NOUN_BEFORE.search(h, 0, sm.start())]
    if not verbs:
        m = re.search(rf"\b{_ACCORDING_WORDS}\s+(.{{1,80}}?)[,.]", h, re.I)
        return _name_after(m.group(1)) if m else None
    # the first verb whose subject is a name wins (the subject precedes the verb)
    for sm in verbs:
        if sm.group(0).lower() in _CALL_VERBS:
            name = _name_before(h[: sm.start()])
            if name:
                return name
            continue
        name = _name_before(h[: sm.start()])
        if name:
            return name
        name = _name_after(h[sm.end() :]) if re.match(r"\s*(?:[A-Z]|the |a )", h[sm.end() :]) else None
        if name and _SAY_AT_START.match(h[sm.start() :]):
            return name
    return None


_AS_SAID = re.compile(
    rf"(?:^|[,;:]\s*)(?i:según|segundo|conforme|como|come|selon\s+ce\s+qu['’]|comme)\s+(?:(?:lo|o|l['’]|ha|a|tem)\s+)?"
    rf"(?i:{_SAY})\s+(?P<np>[^,;:]{{2,80}}?)\s*,"
)
# "in the view of X" in the other languages, its "of" fused with the article of X
_OPINION_OF = re.compile(
    r"(?:^|[,;:.]\s*)(?i:(?:na|em) (?:avaliação|opinião|visão)|en (?:opinión|palabras)|a (?:juicio|criterio)|"
    r"de l['’]avis|a (?:giudizio|parere)|aux yeux)\s+(?P<of>do|da|dos|das|de|del|du|des|dei|della|dello|degli)\s+"
    r"(?P<np>[^,;:]{1,80}?),\s*$"
)
_OF_ARTICLE = {"do": "o", "da": "a", "dos": "os", "das": "as", "del": "el", "du": "le", "des": "les",
               "dei": "i", "della": "la", "dello": "lo", "degli": "gli", "de": ""}
_ZUFOLGE = re.compile(
    r"(?:^|[,;:.]\s*)(?:(?:nach\s+)?(?:den\s+)?Angaben\s+(?:der|des|von|vom)\s+)?([^,;:.]{1,60}?)\s+zufolge\b", re.I
)


# A verb of saying right after an article is a noun: "The report, released …", "a note".
_NOUN_BEFORE = re.compile(r"\b(?:the|a|an|this|that|its|their|his|her|our|le|la|les|un|une|el|los|las|der|die|das|ein|eine)\s+$", re.I)


def _sentence_head(text: str, line_start: int, open_: int, prev_close: int) -> str:
    """Text from the start of the sentence holding the quote (or the last quote) to it."""
    start = max(line_start, prev_close)
    seg = text[start:open_]
    last = None
    for m in _SENT_END.finditer(seg):
        last = m
    return seg[last.end() :] if last else seg


def _is_term(quoted: str, sentence: str) -> bool:
    """A quotation of no more than six words in a sentence with no verb of saying."""
    words = quoted.split()
    if len(words) > 6:
        return False
    return not _SAY_CORE_RE.search(sentence) and not _ACCORDING.search(sentence)


def _is_title(quoted: str) -> bool:
    """Words in title case: the title of a work or a name ("The Wit and Wisdom of Michael
    Bloomberg.", "Drei Engel für Charlie", "User Centric Payment System")."""
    words = [w for w in re.findall(r"[^\W\d_][\w’'\-]*", quoted)]
    if len(words) < 2 or quoted.rstrip().endswith(("?", "!", ",")):
        return False
    long_words = [w for w in words if len(w) > 3]
    # three long words at least: German capitalises its nouns ("Drückt uns die Daumen.")
    return len(long_words) >= 3 and sum(1 for w in long_words if w[0].isupper()) >= 0.75 * len(long_words)


def _short_term(quoted: str, attributed_after: bool) -> bool:
    """One to three quoted words that are not a whole utterance: "high-end",
    "well-connected", "fake news" (a whole utterance starts with a capital and ends with
    its own punctuation or its attribution: “No, not really,” Scott said)."""
    if len(quoted.split()) > 3:
        return False
    opening = quoted.lstrip("¿¡([—–- ")  # Spanish opens a question with "¿": “¿Qué hacemos?”
    whole = opening[:1].isupper() and (quoted.rstrip("’'\"”»«").endswith((".", "!", "?", "…")) or attributed_after)
    return not whole


def _ends_sentence(quoted: str) -> bool:
    return quoted.rstrip("’'\"”)").endswith((".", "!", "?", "…"))


_AR_VERB = r"(?:و|ف)?(?:قال|قالت|أضاف|أضافت|أكد|أكدت|صرح|صرحت|أوضح|أوضحت)"
_AR_BEFORE = re.compile(rf"{_AR_VERB}\s+([^:،,.«»]+?)(?:\s+في\s+[^:«]*)?\s*:\s*$")
_AR_AFTER = re.compile(rf"^\s*[،,]?\s*{_AR_VERB}\s+([^:،,.«»\n]+)")


def _arabic_attribution(head: str, tail: str) -> str | None:
    """Speaker in Arabic: «…»، قال X  /  قال X: «…» (the name as written)."""
    m = _AR_BEFORE.search(head)
    if m:
        return m.group(1).strip()
    m = _AR_AFTER.match(tail)
    if m:
        return m.group(1).strip()
    return None


_FA_VERB = r"(?:گفت|افزود|نوشت|اظهار\s?داشت|تأکید\s?کرد|تاکید\s?کرد|اعلام\s?کرد|ادامه\s?داد)"
_FA_BEFORE = re.compile(rf"[\s،]+{_FA_VERB}\s*:\s*$")
_FA_AFTER = re.compile(rf"^\s*[،,]\s*([^:«»؟!.\n]+?)[\s،]+{_FA_VERB}\s*(?:[.؟!]|$)")
# Where a Persian subject phrase stops being the speaker: a time or place adverbial.
_FA_ADVERBIAL = re.compile(r"\s+(?:روز|امروز|دیروز|صبح|شب|در|هم|نیز|پیش\s?از|پس\s?از)(?=\s|$)")


def _persian_subject(phrase: str) -> str | None:
    """The speaker in a Persian subject phrase: the words before an appositive (after "،")
    or an adverbial ("محمد شریفی، مدیرعامل شرکت، روز دوشنبه" -> "محمد شریفی")."""
    phrase = phrase.split("،", 1)[0]
    phrase = _FA_ADVERBIAL.split(phrase, 1)[0].strip()
    return phrase or None


def _persian_attribution(head: str, tail: str) -> str | None:
    """Speaker in Persian (verb last): X گفت: «…»  /  «…»، X گفت."""
    m = _FA_BEFORE.search(head)
    if m:
        return _persian_subject(re.split(r"[:«»؟!.\n]", head[: m.start()])[-1])
    m = _FA_AFTER.match(tail)
    if m:
        return _persian_subject(m.group(1))
    return None


_NAME_RUN = re.compile(r"\b([A-Z][\w’'\-]+(?:\s+(?:[A-Z][\w’'\-]+|de|van|von|al|bin))+)")


def _sentence_subject(sentence: str) -> str | None:
    """The first name of two or more capitalised words in a sentence ("Eva Lindqvist")."""
    for m in _NAME_RUN.finditer(sentence):
        words = m.group(1).split()
        while words and words[0] in _NOT_NAME:
            words = words[1:]
        if len(words) >= 2:
            return " ".join(words)
    return None


def _strip_not_name(name: str) -> str:
    """``name`` without trailing capitalised words that are not names ("Mr. Smith Monday")."""
    words = name.split()
    while len(words) > 2 and words[-1] in _NOT_NAME:
        words.pop()
    return " ".join(words)


# Pronouns that stand for a person; "it", "they" may stand for an organisation.
_PERSONAL = {"he", "she", "er", "il", "elle", "él", "ella", "ele", "ela", "lui", "lei"}
_ORG_WORDS = re.compile(
    r"\b(?:Ministry|Department|Police|University|Agency|Office|Council|Committee|Court|"
    r"Government|Inc|Corp|Company|Association|Foundation|Institute|Bank|Party|News|Times|"
    r"Post|Service|Commission|Organi[sz]ation|Cent(?:er|re)|Network|Group|Board|Authority|"
    r"Ministerium|Ministère|Ministerio|Ministério|Alcaldía|Prefeitura|Regierung|Polizei|"
    r"Gobierno|Governo|Gouvernement|Initiative|Report|Bureau|Administration|Tribunal|Tribunale|"
    r"Gericht|Cour|Corte|Senado|Senate|Sénat|Senat|Congress|Congreso|Congresso|Parliament|"
    r"Parlement|Parlamento|Bundestag|Câmara|Cámara|Chambre|Assembly|Asamblea|Assembleia|"
    r"Assemblée|Federal|Nacional|National|Stiftung|Fundación|Fundação|Fondation|Gobernación|"
    r"Municipio|Município|Procuraduría|Fiscalía|Policía|Polícia|Army|Ejército|Exército|Armée|"
    r"Union|Unión|União|Agence|Agencia|Agência|Instituto|Institut|Universidad|Universidade|"
    r"Université|Universität|Hospital|Hôpital|Klinik|Banco|Banque|Ministro|Secretaría|Secretaria|"
    r"Código|Code|Ley|Lei|Loi|Law|Act|Gesetz|Pleno|Convención|Convention|Constitución|"
    r"Constituição|Constitution|Verfassung|Tribunal|Court)\b"
)


# Words of place names: "East Asia", "North America", "Rio Grande" name no person.
_PLACE_WORDS = re.compile(
    r"^(?:North|South|East|West|Central|Northern|Southern|Eastern|Western|Nord|Sud|Süd|Ost)\b|"
    r"\b(?:Asia|America|Americas|Europe|Africa|Oceania|Antarctica|United|Kingdom|States|Republic|"
    r"Islands|City|County|Province|Bay|River|Lake|Mountains|Valley|Street|Avenue|Road|Coast|Sea|"
    r"Ocean|Gulf|Norte|Oeste|Norden|Süden|Osten|Westen|Amérique|Afrique|Asie|Europa|América|"
    r"África|Ásia|Estados|Unidos|Unis|Vereinigte|Staaten|Reino|Royaume|Caribbean|Pacific|Atlantic)\b"
)


def _is_person(name: str) -> bool:
    """Whether a speaker names a person rather than a body, a place or a description."""
    words = name.split()
    if not words or not words[0][:1].isupper() or _ORG_WORDS.search(name) or _PLACE_WORDS.search(name):
        return False
    if any(ch.isdigit() for ch in name):
        return False  # "CO2-neutralen Fliegens", "Covid-19 Task Force": no person's name
    return words[0].lower() not in _DETERMINERS


def _last_before(items: list[tuple[int, str]], positions: list[int], pos: int, ok) -> tuple[int, str] | None:
    """The last of ``items`` (sorted by offset) before ``pos`` that passes ``ok``."""
    k = bisect.bisect_left(positions, pos) - 1
    while k >= 0:
        if ok(items[k][1]):
            return items[k]
        k -= 1
    return None


_INSIDE = re.compile(rf"(?:[,–—]|\s-)\s*(?:{_SAY})\s+(?=\S)", re.I)
# French writes the verb and its pronoun joined: "…, estime-t-il. …", "…, a-t-elle ajouté, …"
_INVERTED_PRONOUN = r"(?P<p>il|elle|ils|elles)"
_INSIDE_INVERTED = re.compile(
    rf"[,–—]\s*(?:(?:{_SAY})-(?:t-)?{_INVERTED_PRONOUN}|(?:a|ont|avait|avaient)-(?:t-)?{_INVERTED_PRONOUN.replace('p>', 'p2>')}\s+(?:{_SAY}))\b",
    re.I,
)
_PARA = re.compile(
    r"(?:^\s*|(?<=[.;:!?]\s))(?:Para|Pour|Für|Per|Segundo|Según|Selon|Laut|Secondo)\s+"
    r"(?=[A-Z]|(?:o|a|os|as|el|la|los|las|le|les|l['’]|der|die|den|il|lo)\s*\w)"
)


_OBJECT_BEFORE = re.compile(
    r"(?<!\w)(?:im|in|am|zum|zur|vom|der|die|das|den|dem|des|the|a|an|of|de|del|la|el|los|las|le|les|"
    r"du|dans|en|em|no|na|do|da|il|nel|nella|della|dello)\s*[„“\"«‘]?$",
    re.I,
)


def _inside_attribution(quoted: str) -> str | None:
    """An attribution written inside the quotation, as French, Spanish and Italian do:
    “La désinformation …, rappelle Ana Sofia Cardenal, professeure … Dans certains cas …”."""
    inverted = _INSIDE_INVERTED.search(quoted)
    if inverted:
        return (inverted.group("p") or inverted.group("p2")).lower()  # "« Je n’ai rien à me reprocher, estime-t-il. … »"
    for m in _INSIDE.finditer(quoted):
        name = _name_after(quoted[m.end() :])
        if name and name[0].isupper():
            return name
        art = re.match(rf"(?:il|lo|la|el|le|o|a)\s+(?=[{_UPPER}])", quoted[m.end() :])
        if art:
            # "… - dichiara il Presidente Cannata - …": a title and a name after an article
            # (Italian "il" is no French "he")
            name = _name_after(quoted[m.end() + art.end() :])
            if name and name[0].isupper():
                return name
        words = name.split() if name else []
        caps = [k for k, w in enumerate(words) if w[:1].isupper()]
        if len(words) >= 3 and words[0].lower() in _DETERMINERS and caps and len(words) - caps[0] >= 2:
            return " ".join(words[caps[0] :])  # "- spiega la biologa Anna Neri -"
    return None


def _para_attribution(head: str) -> str | None:
    """"Para Ingrid Betancourt la solución está en … “…”": "for X" as "according to X"."""
    pronoun = _PARA_PRONOUN.search(head)
    if pronoun:
        return pronoun.group(1).lower()  # "Pour lui, « … »": him, the person spoken of
    m = None
    for m in _PARA.finditer(head):
        pass
    if m is None:
        return None
    name = _name_after(head[m.end() :])
    if name and name.split()[0].lower() in _DETERMINERS and not re.search(r",\s*$", head):
        # "Para o governo do estado a solução …": no comma, no attribution; but "Per il
        # climatologo Luca Mercalli «…»": a role and a name right before the quotation
        tail = _NAME_BEFORE_QUOTE.search(head)
        if tail and _is_person(tail.group(1)) and head[m.end() :].strip().endswith(tail.group(1)):
            return tail.group(1)
        return None
    return name if name and len(name.split()) >= 2 else None


_NAME_BEFORE_QUOTE = re.compile(
    rf"(?<=[a-zà-ÿ’'] )({_NAME_TOKEN}(?:[ \u00a0]+(?:{_NAME_PARTICLE}[ \u00a0]+)*{_NAME_TOKEN})+)\s*$"
)
_PARA_PRONOUN = re.compile(
    r"(?:^\s*|(?<=[.;:!?]\s))(?:Para|Pour|Für|Per|Selon|Según|Segundo|Secondo)\s+(lui|elle|él|ella|ele|ela|lei|ihn|sie)\s*,\s*$",
    re.I,
)
_WORD_BEFORE = re.compile(r"([^\W\d_][\w’'\-]*|\d)[ \u00a0]+$")


_DE_ARTICLES = {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "einem", "einen",
                "eines", "kein", "keine", "keinen", "keiner", "keinem", "keines"}


def _names_no_person(text: str, start: int, words: list[str]) -> bool:
    """Whether the run of capitals ``words`` at ``start`` names something other than a
    person, by the word before it: a preposition or a noun for a body, a work or a place
    ("candidato de Nueva Fuerza", "del movimiento Salvación Nacional"), or, for two
    words, an article or a number ("the Aspen Times", "19 Prozent Mehrwertsteuer")."""
    m = _WORD_BEFORE.search(text, max(0, start - 40), start)
    if not m:
        return False
    w = m.group(1).lower()
    if w in _BEFORE_NOT_PERSON and not (len(words) >= 3 and w in ("of", "for", "at")):
        return True
    if w in _ARTICLES and any(t.lower() in _NAME_PARTICLES for t in words[1:]):
        return True  # "die Verbreitung des Virus", "la Alcaldía de Medellín"
    if len(words) <= 2 and re.fullmatch(r"[a-zäöüß]{2,}(?:e|en|es|em|er)", m.group(1)):
        # German capitalises its nouns: "der offenen Grenze Spuren", "ein gutes Dutzend
        # Beamte" are an article, an inflected adjective and nouns, not a name
        m2 = _WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())
        if m2 and m2.group(1).lower() in _DE_ARTICLES:
            return True
    return len(words) <= 2 and (w.isdigit() or w in _ARTICLES)


_ARTICLES = {"the", "der", "die", "das", "den", "dem", "des", "ein", "eine", "einer", "einem", "einen",
             "le", "la", "les", "el", "los", "las", "o", "os", "as"}


def _persons(text: str) -> list[tuple[int, str]]:
    """(offset, name) of every name of two words or more that names a person."""
    out = []
    surnames: set[str] = set()
    for m in _NAME_RUN_ALL.finditer(text):
        name = m.group(0)
        words = name.split()
        if len(words) >= 2 and _is_person(name) and not any(w in _NOT_NAME for w in words[:1]):
            if _names_no_person(text, m.start(), words):
                continue
            out.append((m.start(), name))
            surnames.add(words[-1])
        elif len(words) == 1 and name in surnames and re.search(r"(?:^|[.!?]\s|\n)$", text[max(0, m.start() - 2): m.start()]):
            # "Pacheco conversou com os jornalistas": a person named before, as the
            # subject of a sentence
            out.append((m.start(), name))
    return out


def _about(text: str, line_starts: list[int], ln: int, speaker: str) -> bool:
    """Whether paragraph ``ln`` opens with a pronoun or with the speaker's last name."""
    start = line_starts[ln]
    head = text[start : start + 60]
    first = head.split(" ", 1)[0].lower()
    return first in _PERSONAL or head.startswith(speaker.split()[-1])


def _indirect_speakers(text: str) -> list[tuple[int, str]]:
    """(offset, name) of every named subject of a verb of saying, for pronoun resolution."""
    out = []
    for m in _SAY_CORE_RE.finditer(text):
        if _NOUN_BEFORE.search(text, max(0, m.start() - 8), m.start()):
            continue  # "The report": a noun, not a verb of saying
        # only the 80 characters before the verb matter: look for the paragraph start
        # there, not back through the whole paragraph
        lo = max(0, m.start() - 80)
        line_start = text.rfind("\n", lo, m.start()) + 1 or lo
        head = text[max(line_start, lo) : m.start()]
        name = None
        if re.search(r",\s*(?:(?:a|ha|han|ont|hat|tem)\s+)?$", head):
            # inverted, after a comma: "…, says McLaughlin.", "…, a déclaré jeudi le
            # ministre" -- before an appositive subject ("Maria Lopez, a nurse, said")
            after = re.match(r"[^.;:!?\n“”\"«»„]{1,80}", text[m.end() :])
            cand = _name_after(after.group(0)) if after else None
            at = after.group(0).find(cand) if after and cand else -1
            if after and cand and cand.lower() not in _PRONOUNS and 0 <= at and len(after.group(0)[:at].split()) <= 3 \
                    and (cand[0].isupper() or cand.split()[0].lower() in _DETERMINERS):
                name = cand
        role = re.split(r"[.!?]\s", head)[-1].strip()
        if name is None and _is_role_description(role):
            name = role  # "O senador do Podemos pondera": a role, resolved at the end
        if name is None:
            name = _name_before(head) if head.strip() else None
        if name is None and re.search(r"\band\s*$", head):
            # "Eva Lindqvist called the result ... and said": the sentence's subject
            sent = re.split(r"[.!?]\s", head)[-1]
            name = _sentence_subject(sent)
        if name and name.lower() not in _PRONOUNS and name[0].isupper():
            out.append((m.start(), name))
    return out


_PRONOUN_SAY = re.compile(
    rf"(?<![\w’'\-])(?:[Hh]e|[Ss]he|[Ee]r|[Ii]l|[Ee]lle|[Ee]le|[Ee]la|[Éé]l|[Ee]lla)\s+(?:also\s+|then\s+)?(?P<verb>{_SAY_CORE})\b"
)


def _fill_forward(text: str, out: list[dict], indirect: list[tuple[int, str]], line_starts: list[int],
                  mentions: _Mentions) -> None:
    """An unattributed quotation in a sentence with no verb of saying takes the speaker
    the paragraph names after it: the next attributed quotation («…» personnes. «…», a
    ajouté Laurent Fabius) or the next named subject of a verb of saying ("“…” Manning
    reminded senators that …"). Failing that, a quotation of four words or more in a
    paragraph that names nobody before it continues the speaker of the paragraph before
    ("However, …, vaccination gaps “will keep our region at risk.”")."""
    indirect_at = [p for p, _ in indirect]
    for i, item in enumerate(out):
        if item["speaker"] is not None or item["is_term"]:
            continue
        ln = item["_line"]
        line_start = line_starts[ln]
        line_end = line_starts[ln + 1] - 1 if ln + 1 < len(line_starts) else len(text)
        sent_start = line_start
        for m in _SENT_END.finditer(text, line_start, item["start"]):
            sent_start = m.end()
        if _ends_sentence(item["text"]):
            sent_end = item["_close"]
        else:
            after = _SENT_END.search(text, item["_close"], line_end)
            sent_end = after.end() if after else line_end
        sentence = text[sent_start:item["start"]] + " " + text[item["_close"]:sent_end]
        if _SAY_CORE_RE.search(sentence) or _CALL_RE.search(sentence):
            continue  # someone else is said to speak in it, or to call it so
        later = next((o for o in out[i + 1 :] if o["_line"] == ln and o["speaker"] and not o["is_term"]), None)
        if later is not None:
            item["speaker"] = later["speaker"]
            continue
        k = bisect.bisect_right(indirect_at, item["end"])
        if k < len(indirect) and indirect[k][0] < line_end:
            item["speaker"] = indirect[k][1]
            continue
        # the last speaker of the two paragraphs before, if nobody has been named since
        said = [o for o in out[:i] if ln - 2 <= o["_line"] < ln and not o["is_term"] and o["speaker"]]
        if said and len(item["text"].split()) > 3:
            # (from the end of the sentence that attributes that quote)
            named = mentions.first_in(mentions.sentence_end(said[-1]["_close"]), item["start"])
            if named is None or named.split()[-1] == said[-1]["speaker"].split()[-1] or (
                said[-1]["_line"] == ln - 1 and mentions.first_in(line_start, item["start"]) is None
            ):
                item["speaker"] = said[-1]["speaker"]


# German reported speech: the present subjunctive ("Er habe Zugang", "das heiße nicht").
_REPORTED_DE = re.compile(
    r"\b(?:habe|sei|seien|werde|könne|müsse|solle|wolle|dürfe|gebe|heiße|gehe|stehe|komme|"
    r"liege|wisse|brauche|fehle|bleibe)\b"
)


def _introduces(head: str) -> bool:
    """Whether the sentence before a quote brings it: a colon, a verb of saying, or (in
    German) reported speech."""
    return head.rstrip().endswith(":") or bool(_SAY_RE.search(head)) or bool(_REPORTED_DE.search(head))


# Roles that name a person, in the languages read here; "the former mayor", "el
# corporado", "o repórter" refer to a person the text has named. (Spokespeople are left
# out: the spokesman is not the person the story is about.)
_PERSON_ROLES = {
    "mayor", "reporter", "journalist", "lawyer", "candidate", "councillor", "councilman",
    "councilwoman", "lawmaker", "legislator", "senator", "governor", "minister", "president",
    "judge", "prosecutor", "toxicologist", "scientist", "researcher", "economist", "author",
    "historian", "activist", "founder", "owner", "coach", "director", "professor", "doctor",
    "repórter", "jornalista", "advogado", "advogada", "candidato", "candidata", "vereador",
    "vereadora", "prefeito", "prefeita", "governador", "governadora", "deputado", "deputada",
    "senador", "senadora", "ministro", "ministra", "presidente", "presidenta", "delegado",
    "delegada", "juiz", "juíza", "promotor", "promotora", "pesquisador", "pesquisadora",
    "cientista", "economista", "autor", "autora", "periodista", "abogado", "abogada",
    "concejal", "concejala", "corporado", "alcalde", "alcaldesa", "gobernador", "gobernadora",
    "diputado", "diputada", "congresista", "juez", "jueza", "fiscal", "investigador",
    "investigadora", "científico", "científica", "toxicólogo", "toxicóloga", "journaliste",
    "jefe", "jefa", "titular", "chefe", "capo", "responsable", "responsável", "médico", "médica",
    "coordenador", "coordenadora", "coordinador", "coordinadora", "coordinateur", "coordinatrice",
    "coordinatore", "assessor", "assessora", "asesor", "asesora", "conseiller", "conseillère",
    "consigliere", "diretor", "diretora", "directora", "directeur", "directrice", "direttore",
    "medico", "docteur", "arzt", "ärztin", "sindaco", "assessore", "ministre", "vocal",
    "avocat", "avocate", "candidat", "candidate", "maire", "député", "députée", "sénateur",
    "sénatrice", "ministre", "président", "présidente", "chercheur", "chercheuse",
    "économiste", "toxicologue", "biologiste", "auteur", "autrice", "professeur",
    "professeure", "médecin", "juge", "procureur", "procureure", "élu", "élue", "reporterin",
    "journalistin", "anwalt", "anwältin", "kandidat", "kandidatin", "bürgermeister",
    "bürgermeisterin", "minister", "ministerin", "politiker", "politikerin", "forscher",
    "forscherin", "autor", "autorin", "richter", "richterin", "experte", "expertin",
    "especialista", "mandatario", "mandataria", "mandatário", "mandatária", "analista", "experto",
    "experta", "expert", "experte", "técnico", "técnica", "entrenador", "entrenadora", "treinador",
    "treinadora", "jugador", "jugadora", "jogador", "jogadora", "joueur", "joueuse", "entraîneur",
    "empresário", "empresária", "empresario", "empresaria", "secretário", "secretária", "secretario",
    "secretaria", "líder", "dirigente", "chanceler", "canciller", "premier", "trainer", "trainerin",
    "parlamentar", "parlamentario", "parlamentaria", "parlementaire", "abgeordnete", "abgeordneter",
    "spieler", "spielerin", "chef", "chefin", "kanzler", "kanzlerin", "präsident", "präsidentin",
    "analyst", "official", "executive", "ceo", "senadora", "actor", "actress", "singer", "artist",
    "filmmaker", "writer", "novelist", "player", "manager", "chairman", "chairwoman", "commissioner",
    "sheriff", "chief", "pastor", "priest", "bishop", "police", "officer", "detective", "inspector",
}
_DEFINITE = {"the", "der", "die", "das", "den", "dem", "le", "la", "les", "el", "los", "las", "o", "os", "il", "lo"}


# German nouns that name a person by their ending, after "der" (masculine: "der
# Franzose", "der Virologe", "der Polizist", "der Demonstrant") or "die" (feminine:
# "die Virologin", "die Französin"); the masculine nouns in -e that name no person
# ("der Name", "der Gedanke") are never the subject of a verb of saying.
_DE_PERSON_M = re.compile(r"[a-zäöüß]{3,}(?:e|ist|ant|ent)")
_DE_PERSON_F = re.compile(r"[a-zäöüß]{3,}in")
_DE_NOT_PERSON_F = {"medizin", "disziplin", "benzin", "termin", "vitamin", "kamin", "magazin"}


def _german_person_noun(det: str, noun: str) -> bool:
    """Whether ``der``/``die`` + ``noun`` names a person by the noun's ending."""
    lw = noun.lower().split("-")[-1]
    if not noun[:1].isupper() or re.search(r"sprecher(?:in)?$", lw):
        return False
    if det == "der":
        return _DE_PERSON_M.fullmatch(lw) is not None
    if det == "die":
        return _DE_PERSON_F.fullmatch(lw) is not None and lw not in _DE_NOT_PERSON_F
    return False


# Endings of nouns for people in the Romance languages and English, so that a role the
# lists do not hold still reads as a person: "il climatologo", "la gastro-entérologue",
# "la chercheuse", "il direttore", "the biologist", "le pharmacien". Only endings that
# seldom make a noun for a thing or a company ("-dor" does: "la aseguradora"; "-ier":
# "le quotidien", "le courrier"), and the nouns with them that name no person are left out.
_PERSON_ENDING = re.compile(
    r"[a-zà-ÿ]{2,}(?:ólog[oa]|olog[oa]|ologue|ista|iste|ist|eur|euse|trice|ien|ienne|tore|iere)s?$"
)
_NOT_PERSON_ENDING = {
    # -ista, -ist
    "revista", "lista", "pista", "vista", "entrevista", "conquista", "autopista", "arista",
    "revistas", "listas", "entrevistas", "twist",
    # -ien
    "quotidien", "lien", "bien", "soutien", "entretien", "maintien", "chien", "rien", "mien",
    # -eur: things, and companies described by what they do
    "secteur", "moteur", "intérieur", "extérieur", "valeur", "erreur", "meilleur", "supérieur",
    "inférieur", "majeur", "mineur", "malheur", "bonheur", "honneur", "couleur", "chaleur",
    "douleur", "peur", "fleur", "hauteur", "longueur", "largeur", "profondeur", "facteur",
    "capteur", "réacteur", "compteur", "ordinateur", "téléviseur", "serveur", "constructeur",
    "opérateur", "fournisseur", "assureur", "distributeur", "transporteur", "diffuseur",
    "régulateur", "moniteur", "vecteur", "indicateur", "radiateur", "détecteur", "ascenseur",
    "labeur", "vigueur", "rigueur", "humeur", "odeur", "saveur", "faveur", "ferveur", "lueur",
    "sueur", "vapeur", "docteur",
    # -tore, -iere
    "settore", "motore", "quartiere", "cantiere", "bicchiere", "mestiere", "paniere",
    # -trice
    "matrice", "cicatrice",
}


def _person_noun_ending(role: str) -> bool:
    """Whether ``role`` (lower case) ends as a noun for a person does (see above).

    >>> _person_noun_ending("climatologo"), _person_noun_ending("quotidien")
    (True, False)
    """
    return role not in _NOT_PERSON_ENDING and role.split("-")[-1] not in _NOT_PERSON_ENDING and (
        _PERSON_ENDING.fullmatch(role.split("-")[-1]) is not None)


def _is_role_noun(word: str) -> bool:
    """A noun for a person by its role, in the lists or by its ending."""
    return word in _PERSON_ROLES or word.split("-")[-1] in _PERSON_ROLES or _person_noun_ending(word)


def _is_role_description(speaker: str) -> bool:
    """A definite description of a person by role: "the former mayor", "o repórter",
    "la toxicologue", "der Franzose" (not "a reporter", not "the ministry", not "der
    Sprecher")."""
    # "o senador do Podemos", "the mayor of Springfield": the role before its of-phrase
    speaker = re.sub(r"^(\S+(?:\s+[\w\-]+){1,2}?)\s+(?:de|do|da|dos|das|del|du|of|vom|von|des|di|della|del)\s+\S.*$", r"\1", speaker)
    words = speaker.split()
    det0 = words[0].lower() if words else ""
    def named(w: str) -> bool:  # a capitalised word that is no German role noun
        lw = w.lower()
        if w is words[-1] and _german_person_noun(det0, w):
            return False
        return w[:1].isupper() and not (_TITLE_SUFFIX.search(lw) or lw.split("-")[-1] in _PERSON_ROLES)

    if not 2 <= len(words) <= 4 or any(named(w) for w in words[1:]):
        return False
    det = words[0].lower()
    role = words[-1].lower().rstrip(".,")
    if len(words) == 3 and words[2].islower() and not _is_role_noun(role) and _is_role_noun(words[1].lower()):
        role = words[1].lower()  # "el periodista ruso", "la ministra francesa": the adjective after the noun
    if det.startswith(("l'", "l’")) and len(words[0]) > 2:
        det, role = "l'", words[0][2:].lower() if len(words) == 1 else role
    if det == "a":
        # Portuguese "a prefeita" (the), English "a reporter" (someone not named)
        return role.endswith("a") and role in _PERSON_ROLES
    if re.fullmatch(r"\d{1,3}-(?:jährige[rn]?|year-old)", role):
        return det in ("der", "die", "the")  # "der 57-Jährige"
    if re.search(r"sprecher(?:in)?$|spokes(?:man|woman|person)$|porte-parole$|portavoz$|porta-voz$|vocero$|vocera$|portavoce$", role):
        return False  # a spokesman is not the person the story is about
    person = (
        role in _PERSON_ROLES
        or _person_noun_ending(role)
        or _german_person_noun(det, words[-1].rstrip(".,"))
        or role.split("-")[-1] in _PERSON_ROLES
        or _TITLE_SUFFIX.search(role) is not None  # "der SPD-Politiker"
        or re.fullmatch(r"[a-zà-ÿ]{3,}istas?", role) is not None  # "o petista", "el socialista"
    )
    return det in _DEFINITE | {"l'", "sa", "son", "su", "seu", "sua", "sein", "seine", "ihr", "ihre"} and person


# A sentence that opens with an adverbial phrase and a comma, then the verb: "Al respecto,
# explicó que “…”", "Sur ce point, a-t-il ajouté", "Por outro lado, afirmou que". Its
# subject is left unsaid (no capitalised word after the first).
_ADVERBIAL_OPENING = re.compile(r"\s*[^\W\d_][\w’'\-]*(?:\s+[a-zà-ÿ][\w’'\-]*){0,4}\s*,\s*(?:(?:a|ha|hat|ont|tem|han)\s+)?")


def find_quotes(text: str, language: str | None = None) -> list[dict]:
    """The quotations in ``text``, in order, with speaker and statement (see module doc).

    ``language`` (a code such as "it" or "pt-BR", or None when unknown) settles the few
    words that mean one thing in one language and another elsewhere ("il" is the French
    "he" and the Italian "the").
    """
    token = _LANGUAGE.set((language or "").split("-")[0].split("_")[0].lower())
    try:
        return _find_quotes(text)
    finally:
        _LANGUAGE.reset(token)


def _find_quotes(text: str) -> list[dict]:
    spans = _spans(text)
    out: list[dict] = []
    if not spans:
        return out
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(line_starts, pos) - 1

    last_named_at: tuple[int, str] | None = None
    names = _Names(text)
    mentions = _Mentions(text, spans, names)
    indirect = _indirect_speakers(text)
    # "he continued", "ele afirmou": the person the pronoun stands for speaks there too
    for pm in _PRONOUN_SAY.finditer(text):
        c = mentions.before(pm.start())
        if c:
            indirect.append((pm.start("verb"), c[1]))
    indirect.sort()
    titled = [(m.start(), _strip_not_name(m.group(0))) for m in _TITLED_NAME.finditer(text)]
    indirect_at = [pos for pos, _ in indirect]
    persons = _persons(text)
    persons_at = [pos for pos, _ in persons]
    titled_at = [pos for pos, _ in titled]
    statement = -1
    prev: dict | None = None
    prev_attr_end = -1  # where the attribution after the previous quote ended
    for n, sp in enumerate(spans):
        ln = line_of(sp.open)
        line_start = line_starts[ln]
        line_end = line_starts[ln + 1] - 1 if ln + 1 < len(line_starts) else len(text)
        quoted = text[sp.start : sp.end]
        prev_close = prev["_close"] if prev and prev["_line"] == ln else line_start
        head = _sentence_head(text, line_start, sp.open, prev_close)
        tail = text[sp.close : line_end]

        speaker: str | None = None
        continues = False
        if prev is not None and prev["_line"] == ln and prev_attr_end >= 0:
            between = text[prev_attr_end : sp.open]
            if re.fullmatch(r"[\s,.;:—–-]*", between) and not _OBJECT_BEFORE.search(text, prev["_close"], sp.open):
                # (not "…“, schreiben Berlin und Paris im „Aachener Vertrag“": a quotation
                # that is the object of a preposition or an article is no second part)
                continues = True
        elif prev is not None and prev["_line"] == ln and not prev["is_term"]:
            between = text[prev["_close"] : sp.open]
            # “…,” she said, “…” where the attribution came before the first part
            if re.fullmatch(r"\s*[,;:—–-]?\s*", between) and not _ends_sentence(prev["text"]):
                continues = True

        after_name, attr_end = (None, 0)
        can_attach_after = (
            not _ends_sentence(quoted)
            or quoted.rstrip("’'\"”").endswith(("?", "!", "…"))
            or re.match(r"^[\s]*[,—–]|^\s+[a-z]", tail) is not None
        )
        if can_attach_after:
            after_name, attr_end = _after_attribution(tail)
        before_tight = _before_attribution(head, tight=True)
        if continues and prev is not None:
            speaker = prev["speaker"]
        elif before_tight:
            speaker = before_tight
        elif after_name:
            speaker = after_name
        else:
            speaker = _before_attribution(head, tight=False)

        plural_unsaid = speaker == _PLURAL_UNSAID
        if plural_unsaid:
            speaker = None
        if speaker is None and not continues and not plural_unsaid:
            speaker = _inside_attribution(quoted) or _para_attribution(head)
        sentence_ctx = head + " " + text[sp.close : sp.close + (attr_end or 0)]
        if speaker is None and not continues:
            # the attribution may come after a following clause: “…” – the words of X
            sentence_ctx += tail[:120] if can_attach_after else ""
        is_term = speaker is None and not continues and _is_term(quoted, sentence_ctx)
        if is_term and len(quoted.split()) > 3 and not _is_title(quoted):
            # four words or more that someone is said to have said: a quotation
            # (RULES.md), even without a verb of saying in the sentence
            is_term = False
        if not continues and (_short_term(quoted, after_name is not None) or _is_title(quoted)):
            is_term = True

        if speaker is None and not continues and not plural_unsaid:
            speaker = (
                _arabic_attribution(head, tail)
                or _persian_attribution(head, tail)
                or _coordinated_subject(head, tail)
            )
        if speaker is None and not continues and not is_term and not plural_unsaid and _introduces(head):
            # "Jens Berger wies die Vorwürfe zurück: „…“", "Betancourt … y dijo: “…”",
            # "Er habe jetzt Zugang »…«": the subject of the sentence that brings the quote,
            # before its verb of saying if it has one
            # (the verb nearest the quotation: "se le preguntó … a Yurramendi, quien
            # señaló que “…”" is Yurramendi's)
            verb = None
            for verb in _SAY_RE.finditer(head):
                pass
            speaker = mentions.first_in(sp.open - len(head), sp.open - len(head) + (verb.start() if verb else len(head)))
            if speaker is None and _REPORTED_DE.search(head):
                # reported speech with no person in its sentence ("Aber das heiße nicht,
                # »…«"): the person the text is speaking of
                c = mentions.before(sp.open)
                speaker = c[1] if c else None
            elif speaker is None and verb and (all(
                w in _NOT_NAME or w.lower() in _OPENERS for w in head[: verb.start()].split()
            ) or _ADVERBIAL_OPENING.fullmatch(head[: verb.start()])):
                speaker = _UNSAID  # "Y agregó: “…”": a verb with its subject left unsaid
        if speaker and speaker.lower() in _PRONOUNS:
            # the last speaker named before this quote, in a quotation or in reported
            # speech; for "he"/"she" also the last person named by title ("Soon after
            # Ms. Price was elected, she said"), unless the title says the other gender
            pronoun = speaker.lower()
            def fits(name: str) -> bool:
                if pronoun in _PERSONAL and not _is_person(names.canonical(name, sp.open)):
                    return False  # "he" is a person, not "the ministry" or "Reuters Inc"
                return not (pronoun == "she" and name.startswith("Mr.")) and not (
                    pronoun == "he" and name.startswith(_FEMININE_TITLES))

            earlier = [c for c in (_last_before(indirect, indirect_at, sp.open, fits),) if c]
            if pronoun == _UNSAID:
                # a verb with no subject continues the last speaker of this paragraph or
                # the one before; failing that, the person the text named last
                near = line_starts[max(0, ln - 1)]
                if not any(pos >= near for pos, _ in earlier):
                    c = _last_before(persons, persons_at, sp.open, lambda name: True)
                    if c:
                        earlier.append(c)
            if last_named_at is not None and fits(last_named_at[1]):
                earlier.append(last_named_at)
            if pronoun in ("he", "she"):
                c = _last_before(titled, titled_at, sp.open, fits)
                if c:
                    earlier.append(c)
            if pronoun in _PERSONAL or pronoun in ("sie", _UNSAID):
                # the subject of the latest sentence that names a person ("Na saída,
                # Pacheco conversou … Ele destacou … “…”, disse.")
                c = mentions.before(sp.open)
                if c and fits(c[1]):
                    earlier.append(c)
            speaker = max(earlier)[1] if earlier else None
        # A paragraph that opens with a quotation continues the last speaker, also across
        # a paragraph about them ("He reiterated that …").
        if (
            speaker is None
            and not is_term
            and not continues
            and not plural_unsaid
            and prev is not None
            and prev["speaker"]
            and (ln - prev["_line"] <= 1 or (ln - prev["_line"] == 2 and _about(text, line_starts, ln - 1, prev["speaker"])))
            and not text[line_start : sp.open].strip()
            and len(quoted.split()) > 3
        ):
            speaker = prev["speaker"]
        # A whole sentence quoted with no attribution, in a paragraph where someone has
        # been said to speak ("Lawrence says she hopes … “But they don’t know …”"), or
        # has been quoted already ("said King … He said he was not deterred. “I don’t …”").
        if speaker is None and not is_term and not continues and not plural_unsaid and len(quoted.split()) > 3:
            cand = _last_before(indirect, indirect_at, sp.open, lambda name: True)
            if cand and cand[0] >= line_start:
                speaker = cand[1]
            elif prev is not None and prev["_line"] == ln and prev["speaker"]:
                speaker = prev["speaker"]
            elif not head.strip() and sp.open > line_start:
                # a quotation that opens a sentence right after one naming a person:
                # "… presentó el candidato Enrique Gómez. “El 66% de los muchachos …”"
                cand = _last_before(persons, persons_at, sp.open, lambda name: True)
                if cand and cand[0] >= line_start:
                    speaker = cand[1]
        if (speaker is None or _INDEFINITE_DOC.match(speaker)) and not is_term and not plural_unsaid and prev is not None \
                and prev["_line"] == ln and prev["speaker"] and not prev["is_term"] \
                and not _SENT_END.search(text, prev["_close"] + 1, sp.open):
            # a second quotation in the sentence of the first, with no speaker of its own
            # ("por «…», arguyendo que «…», según un comunicado"): the same speaker
            speaker = prev["speaker"]
        if speaker and _INDEFINITE_DOC.match(speaker):
            speaker = None  # "según un comunicado": a document of someone not named there
        if speaker:
            last_named_at = (sp.open, speaker)
        if not continues:
            statement += 1
        prev_attr_end = sp.close + attr_end if attr_end else -1
        item = {
            "n": n,
            "statement": statement,
            "text": quoted,
            "speaker": speaker,
            "is_term": is_term,
            "start": sp.start,
            "end": sp.end,
            **quote_selector(text, sp.start, sp.end),
            "_line": ln,
            "_close": sp.close,
        }
        out.append(item)
        prev = item
    _fill_forward(text, out, indirect, line_starts, mentions)
    for item in out:
        if item["speaker"]:
            raw = item["speaker"]
            names.role_at = -1
            item["speaker"] = names.canonical(raw, item["start"])
            if (
                names.role_at >= 0
                and text.count("\n", names.role_at, item["start"]) > 2
                and _is_role_description(raw)
            ):
                # "O senador criticou …": a senator named three paragraphs up may be
                # another one; the person the text is speaking of now is the better guess
                c = mentions.before(item["start"])
                if c and c[0] > names.role_at:
                    item["speaker"] = c[1]
            elif (
                " " not in item["speaker"] and _LANGUAGE.get() == "de" and _TITLE_SUFFIX.search(item["speaker"].lower())
                and not re.search(r"sprecher(?:in)?$", item["speaker"].lower())
            ):
                # "Der Vorstandschef räumte ein": the person the text names with that role
                # ("Vorstandschef Herbert Diess"), else the one it is speaking of
                person = names._by_role(item["speaker"], item["start"])
                if person is None:
                    m2 = mentions.before(item["start"])
                    person = m2[1] if m2 else None
                if person:
                    item["speaker"] = person
            elif _is_role_description(item["speaker"]):
                # "the former mayor argued", "acrescenta o repórter", "cuestionó el
                # corporado": the person the text is speaking of
                c = mentions.before(item["start"])
                if c:
                    item["speaker"] = c[1]
        del item["_line"], item["_close"]
    return out


# --- speakers named at their fullest ----------------------------------------------------

# every alternative of _NAME_TOKEN starts with a capital: the lookahead turns the other
# positions down at once
_NAME_RUN_ALL = re.compile(rf"(?=[{_UPPER}])(?<![\w’'\-]){_NAME_TOKEN}(?:[ \u00a0]+(?:{_NAME_PARTICLE}[ \u00a0]+)*{_NAME_TOKEN})*")
# Words in front of a name that are a title or a role, not part of the name. Compound
# titles of German end in these ("Bundesverkehrsminister", "Gesundheitsministerin").
_TITLE_WORDS = {
    "mr", "mrs", "ms", "dr", "prof", "sir", "dame", "lord", "lady", "president", "vice", "prime",
    "minister", "governor", "gov", "senator", "sen", "rep", "representative", "mayor", "judge",
    "justice", "chief", "director", "secretary", "commissioner", "supervisor", "sheriff",
    "inspector", "detective", "officer", "sergeant", "sgt", "captain", "capt", "lieutenant", "lt",
    "general", "gen", "colonel", "col", "admiral", "chancellor", "king", "queen", "prince",
    "princess", "pope", "rabbi", "father", "pastor", "reverend", "rev", "bishop", "cardinal",
    "ambassador", "leader", "chairman", "chairwoman", "chair", "ceo", "spokesman",
    "spokeswoman", "attorney", "councillor", "councilman", "councilwoman", "congressman",
    "congresswoman", "premier", "treasurer", "superintendent", "coach", "professor", "doctor",
    "dean", "deputy", "acting", "former", "herr", "frau", "m", "mme", "mlle", "sr", "sra",
    "señor", "señora", "don", "doña", "dom", "dona", "sig", "sig.ra", "dott", "avv", "on",
    "ministre", "président", "présidente", "ministro", "ministra", "presidente", "presidenta",
    "alcalde", "alcaldesa", "senador", "senadora", "diputado", "diputada", "deputado",
    "deputada", "fiscal", "juez", "jueza", "general", "doktor",
    # roles printed in capitals before a name: "Volunteer Coordinator Bonnie Young"
    "coordinator", "administrator", "organizer", "organiser", "curator", "editor", "founder",
    "owner", "volunteer", "veterinarian", "nurse", "manager", "principal", "teacher", "pilot",
    "constable", "commander", "counsel", "solicitor", "barrister", "economist", "analyst",
    "strategist", "activist", "spokesperson", "engineer", "scientist", "researcher", "trustee",
    "executive", "officer", "agent", "adviser", "advisor", "consultant", "historian", "author",
}
_TITLE_SUFFIX = re.compile(
    r"(?:minister|ministerin|präsident|präsidentin|chef|chefin|sprecher|sprecherin|leiter|"
    r"leiterin|kanzler|kanzlerin|direktor|direktorin|vorsitzende|vorsitzender|sekretär|"
    r"sekretärin|bürgermeister|bürgermeisterin|senator|senatorin|reporter|reporterin|"
    r"journalist|journalistin|experte|expertin|kollege|kollegin|dokumentar|politiker|"
    r"politikerin|abgeordnete|abgeordneter|vorstand|gründer|gründerin|inhaber|inhaberin|"
    r"anwalt|anwältin|richter|richterin|forscher|forscherin|ökonom|ökonomin|trainer|"
    r"trainerin|wissenschaftler|wissenschaftlerin|mediziner|medizinerin|virologe|virologin|"
    r"manager|managerin|führer|führerin|intendant|intendantin|dirigent|dirigentin)$"
)
_LOWER_WORD = re.compile(r"(?<![\w’'\-])[a-zà-ÿ][\w’'\-]*")
# Words that open a run of capitals without being part of the name in it ("Laut Scheuer").
_NAME_STOP_OPEN = {
    "laut", "según", "segundo", "selon", "pour", "para", "per", "für", "nach", "according",
    "d'après", "d’après", "conforme", "secondo", "gemäß", "mais", "aber", "doch", "dann",
    "auch", "pero", "mas", "porém", "ma", "et", "und", "y", "e", "als", "wie", "comme", "como",
}
_NAME_STOP = {"for", "of", "at", "from", "with", "de", "du", "des", "del", "di", "da", "von", "bei", "für", "in", "en", "em", "no", "na", "am", "im"}


# A run of three capitalised words or more after "of" ends a speaker's description.
_AFTER_OF = re.compile(rf"(?:^|\s)(?:of|for|at)\s+({_NAME_TOKEN}(?:[ \u00a0]+{_NAME_TOKEN}){{2,}})$")

_OF_BEFORE = re.compile(r"\b(?:of|for|at)\s+$")


# A document and the body it comes from: "the DOJ release", "o comunicado do STF", "a
# statement from the ministry", "la nota de la Alcaldía".
_DOCUMENT_OF = re.compile(
    r"^(?i:the|a|an|o|um|a|el|la|un|una|le|un|une|der|die|das|eine|ein)?\s*"
    r"(?:(?P<pre>[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*)*)\s+)?"
    r"(?:release|statement|report|note|letter|filing|communiqué|comunicado|nota|informe|relatório|"
    r"rapport|déclaration|declaración|declaração|Mitteilung|Erklärung|Bericht|Pressemitteilung|"
    r"Stellungnahme)"
    r"(?:\s+(?:of|from|by|do|da|dos|das|de|del|de la|des|du|de l['’]|der|des|von|vom)\s+"
    r"(?P<post>(?:the\s+|la\s+|el\s+|le\s+)?[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*)*))?$"
)


# Capitalised articles that open a run of capitals without being a name's particle ("La",
# "De", "Le" may be: "La Fontaine", "De Miranda", "Le Pen").
_RUN_ARTICLES = {"Der", "Die", "Das", "Den", "Dem", "Des", "Ein", "Eine", "Einer", "The", "A", "An",
                 "El", "Los", "Las", "Les", "Un", "Une", "Una", "O", "Os", "As", "Um", "Uma", "Il", "Gli"}


# Two roles joined by "and", then a name of two words or more: "der Publizist und
# Philosoph Richard David Precht", "le chercheur et médecin Paul Roux".
_CONJOINED_ROLES = re.compile(
    rf"^(?:(?:the|der|die|das|le|la|l['’]|el|o|a|il|lo)\s*)?[^\W\d_][\w\-]*\s+(?:und|and|et|y|e|ed)\s+[^\W\d_][\w\-]*\s+"
    rf"(?P<name>{_NAME_TOKEN}(?:[ \u00a0]+(?:{_NAME_PARTICLE}[ \u00a0]+)*{_NAME_TOKEN})+)$"
)


_AND_BEFORE = re.compile(r"(?<![\w’'\-])(?:und|and|et|y|e|ed)[ \u00a0]+$")


# German writes an article before a noun and never before a name: in "der Krieg Russlands",
# "dem Philosophen Richard David Precht", "Vom Innviertel" the first capitalised word is a
# noun (or the preposition), not the start of a name.
_DE_ARTICLE_BEFORE = re.compile(r"(?<![\w’'\-])(?:der|die|das|den|dem|des|ein|eine|einer|einem|einen|eines|vom|zum|zur|im|am|beim)[ \u00a0]+$")
_DE_RUN_OPENERS = {"Der", "Die", "Das", "Den", "Dem", "Des", "Ein", "Eine", "Einer", "Einem", "Einen", "Eines",
                   "Vom", "Zum", "Zur", "Im", "Am", "Beim"}


def _german_noun_cut(text: str, start: int, tokens: list[str]) -> list[str]:
    """``tokens`` of a run of capitals at ``start`` without the article and the noun that
    open it, in a German text (see above); unchanged in any other language."""
    if _LANGUAGE.get() != "de" or not tokens:
        return tokens
    if tokens[0] in _DE_RUN_OPENERS:
        tokens = tokens[2:] if len(tokens) > 1 and tokens[1].lower() not in _NAME_PARTICLES else tokens[1:]
    elif _DE_ARTICLE_BEFORE.search(text, max(0, start - 8), start):
        tokens = tokens[1:]
    else:
        return tokens
    while tokens and not tokens[0][:1].isupper():
        tokens = tokens[1:]  # "Innenstadt von Chicago": what follows the noun's "von" is no name
    return tokens


class _Names:
    """The names of people in a text, to name each speaker at their fullest.

    "Levy" and "Mr Levy" become "Joshua Levy" when the text names him so; titles and
    roles in front of a name are dropped ("Cambridge Police Commissioner Christine
    Elow" -> "Christine Elow", "la toxicologue Dominique Parent-Massin" ->
    "Dominique Parent-Massin"); an organisation or a description without a name
    ("the ministry", "the report") stays as written.
    """

    def __init__(self, text: str):
        self.text = text
        self._lower: set[str] | None = None
        self._by_last: dict[str, list[tuple[int, list[str]]]] | None = None
        self._counts: dict[str, int] = {}
        self._roles: dict[str, list[tuple[int, str]]] = {}
        self._firsts: dict[str, set[str]] | None = None
        self.role_at = -1  # where the last role looked up named its person

    def _is_title(self, word: str) -> bool:
        if re.match(r"[A-ZÄÖÜ0-9]{2,}-[^\W\d_]", word):
            return True  # "ATU-Organisator", "SPD-Politiker", "Readly-CEO": a role at a body
        if "-" in word and word.rsplit("-", 1)[1].lower() in _TITLE_WORDS:
            return True  # "Readly-CEO", "Vize-President"
        w = word.lower().rstrip(".")
        if w in _TITLE_WORDS or _TITLE_SUFFIX.search(w):
            return True  # ("CDU-Politiker" ends in a title too)
        if self._lower is None:
            self._lower = set(_LOWER_WORD.findall(self.text))
        # a capitalised word the text also writes in lower case is a common noun
        # ("Police Commissioner", "Opposition Leader"), not part of a name
        return w in self._lower

    def _strip(self, tokens: list[str], keep: int = 2) -> list[str]:
        """``tokens`` without the titles in front, leaving at least ``keep`` of them."""
        cut = 0
        for i, t in enumerate(tokens[:-keep] if len(tokens) > keep else []):
            if i == cut and t in _RUN_ARTICLES:
                # "Der Philosoph Michel Foucault": a sentence's article, then a role
                cut = i + 1
                if i + 1 < len(tokens) and sum(1 for w in tokens[i + 2 :] if w.lower() not in _NAME_PARTICLES) >= 2:
                    cut = i + 2
                continue
            if t.lower() in _NAME_PARTICLES:
                # "Luis de Miranda", "Ursula von der Leyen": one name after the particle
                # is a surname; two are a name of their own ("Backstube von Karsten Berning")
                if sum(1 for w in tokens[i + 1 :] if w.lower() not in _NAME_PARTICLES) >= 2:
                    cut = i + 1
                continue
            if i > 0 and len(t) == 2 and t.endswith("."):
                continue  # "Robert M. Danin": an initial inside the name
            if i == cut and t.lower() in _DETERMINERS:
                # "Die Stadträtin Anna Keller": an article, and the noun after it is a
                # role when a name of two words follows
                cut = i + 1
                if i + 1 < len(tokens) and sum(1 for w in tokens[i + 2 :] if w.lower() not in _NAME_PARTICLES) >= 2:
                    cut = i + 2
                continue
            if i >= cut and self._is_title(t):
                cut = i + 1
        return tokens[cut:]

    def _clean(self, tokens: list[str], keep: int = 2) -> list[str]:
        """``tokens`` of a name run without titles and without leading words that belong
        to something else: "Massachusetts Joshua Levy" (U.S. Attorney for Massachusetts
        …), "Super Value Debra Symonette" (the store's owner): a first word the text
        uses more often than the whole run is not part of the name."""
        tokens = self._strip(tokens, keep)
        while len(tokens) >= 3 and not tokens[1].endswith(".") and self._count(tokens[0]) > self._count(" ".join(tokens)):
            tokens = tokens[1:]
        return tokens

    def _count(self, words: str) -> int:
        if words not in self._counts:
            self._counts[words] = self.text.count(words)
        return self._counts[words]

    def _index(self) -> dict[str, list[tuple[int, list[str]]]]:
        if self._by_last is None:
            self._by_last = {}
            for m in _NAME_RUN_ALL.finditer(self.text):
                # titles dropped down to one word, so that "Bundesverkehrsminister
                # Scheuer" is no rival to "Andreas Scheuer" as the fullest naming
                tokens = _cut_at_body(m.group(0).split())
                tokens = _german_noun_cut(self.text, m.start(), tokens)
                tokens = self._clean(tokens, keep=1)
                if len(tokens) >= 3 and _OF_BEFORE.search(self.text, max(0, m.start() - 5), m.start()):
                    tokens = tokens[1:]  # "Ministry of Finance Brian Manning"
                elif len(tokens) >= 3 and _AND_BEFORE.search(self.text, max(0, m.start() - 6), m.start()):
                    tokens = tokens[1:]  # "der Publizist und Philosoph Richard David Precht"
                while tokens and (tokens[0].lower() in _NAME_STOP_OPEN or tokens[0] in _NOT_NAME):
                    tokens = tokens[1:]  # "Laut Scheuer", "D'après Anne Dubois", "Ahora Bustos"
                if len(tokens) >= 2 and not tokens[-1].endswith("."):
                    self._by_last.setdefault(tokens[-1], []).append((m.start(), tokens))
        return self._by_last

    def _by_first(self, first: str) -> str | None:
        """The one person named in full whose first name is ``first``, else None."""
        if self._firsts is None:
            self._firsts = {}
            for found in self._index().values():
                for _, tokens in found:
                    if 2 <= len(tokens) <= 4 and tokens[0] not in _RUN_ARTICLES and tokens[0].lower() not in _DETERMINERS:
                        self._firsts.setdefault(tokens[0], set()).add(" ".join(tokens))
        full = self._firsts.get(first, set())
        if len(full) != 1:
            return None
        name = next(iter(full))
        return name if _is_person(name) else None

    def _by_role(self, role: str, pos: int) -> str | None:
        """The person the text names right after ``role`` ("PAHO Director Carissa F.
        Etienne", "le porte-parole Jean Dupont"), the last such before ``pos``, else the
        first after: what "the Director" or "le porte-parole" later refers to."""
        if role not in self._roles:
            found = []
            pat = re.compile(rf"(?<![\w’'\-]){re.escape(role)}[ \u00a0]+(?=[{_UPPER}])", re.I)
            for m in pat.finditer(self.text):
                run = _NAME_RUN_ALL.match(self.text, m.end())
                if run is None:
                    continue
                tokens = self._clean(run.group(0).split(), keep=1)
                if len(tokens) >= 2 and not tokens[-1].endswith("."):
                    found.append((m.start(), " ".join(tokens)))
            self._roles[role] = found
        found = self._roles[role]
        before = [(at, name) for at, name in found if at < pos]
        if before:
            self.role_at = before[-1][0]
            return before[-1][1]
        self.role_at = found[0][0] if found else -1
        return found[0][1] if found else None

    def _described(self, speaker: str, pos: int) -> str | None:
        """The name behind a description: "the Director", "the former mayor", "der
        Sprecher", "o repórter" -- a determiner, maybe modifiers, and a role word that
        the text puts in front of a name elsewhere."""
        words = speaker.split()
        if not 2 <= len(words) <= 4 or words[0].lower() not in _DETERMINERS:
            return None
        role = words[-1].rstrip(".,")
        if not role or not (self._is_title(role) or role.lower() in _ROLE_NOUNS or role.lower() in _PERSON_ROLES):
            return None
        return self._by_role(role, pos)

    def canonical(self, speaker: str, pos: int) -> str:
        """``speaker`` named at its fullest (see the class doc)."""
        named = self._body(speaker, pos)
        if named != speaker:
            return named
        return self._canonical(speaker, pos)

    def _body(self, speaker: str, pos: int) -> str:
        """A body named at its fullest: the one behind its document ("the DOJ release",
        "o comunicado do STF" -> "DOJ", "STF"), an acronym the text spells out
        ("Supremo Tribunal Federal (STF)"), a short name the text gives in full ("la
        Alcaldía" -> "Alcaldía de Medellín", "o Supremo" -> "Supremo Tribunal Federal")."""
        doc = _DOCUMENT_OF.match(speaker)
        if doc and (doc.group("pre") or doc.group("post")) and doc.group("pre") not in _RUN_ARTICLES:
            speaker = doc.group("pre") or doc.group("post")
        bare = re.fullmatch(r"(?:(?:the|la|el|le|les|l['’]|o|a|il|lo|der|die|das)\s*)?([A-Z][A-Z&]{1,7})", speaker)
        if bare and re.search(rf"\({bare.group(1)}\)", self.text):
            speaker = bare.group(1)  # "la DGSA" -> "DGSA", spelled out in full below
        if re.fullmatch(r"[A-Z][A-Z&]{1,7}", speaker):
            spelled = re.search(rf"((?:[{_UPPER}][\w’'\-]*[ \u00a0]+(?:(?:of|for|and|the|de|do|da|dos|das|del|des|du|der|für|on|la|las|los|el|le|les|y|e|et|und)[ \u00a0]+)*)+)\({speaker}\)", self.text)
            if not spelled:
                return speaker
            full = spelled.group(1).split()
            return " ".join(full[1:] if len(full) > 2 and (full[0] in _RUN_ARTICLES or full[0] in ("La", "Le", "Lo")) else full)
        words = speaker.split()
        if 2 <= len(words) <= 3 and words[0].lower() in _ARTICLES and all(w[:1].isupper() for w in words[1:]):
            core = " ".join(words[1:])
            full = None
            for fm in re.finditer(rf"(?<![\w’'\-]){re.escape(core)}(?:[ \u00a0]+(?:(?:de|del|da|do|dos|das|of|for|des|du|der|von)[ \u00a0]+)?[{_UPPER}][\w’'\-]+)+", self.text):
                if full is None or fm.start() < pos and len(fm.group(0)) > len(full):
                    full = fm.group(0)
            if full and not _is_person(full):
                return full
        return speaker

    def _canonical(self, speaker: str, pos: int) -> str:
        both = _CONJOINED_ROLES.match(speaker)
        if both:
            # "der Publizist und Philosoph Richard David Precht", "el periodista y escritor
            # Juan Ruiz": two roles joined, then the name
            return self._canonical(both.group("name"), pos)
        m = None
        for cand in _NAME_RUN_ALL.finditer(speaker):
            m = cand
            break
        after_of = _AFTER_OF.search(speaker)
        if after_of and len(after_of.group(1).split()) >= 3:
            # "the Minister of Finance Brian Manning": the object of "of" opens the run
            # of capitals, the name is what follows it
            return self.canonical(" ".join(after_of.group(1).split()[1:]), pos)
        if speaker.split()[0].lower() in _DETERMINERS:
            named = self._described(speaker, pos)
            if named:
                return named
        if m is None:
            return speaker
        before = speaker[: m.start()].strip()
        words_before = before.lower().split()
        run = m.group(0).split()
        if before:
            # "la toxicologue Dominique Parent-Massin": lower-case words and no
            # preposition in front of a name of two or more words; "o técnico Tite",
            # "il ministro Salvini": a role noun right before one name
            one_after_role = (
                len(run) == 1 and before.islower() and len(words_before) <= 3
                and words_before[0] in _DETERMINERS and not any(w in _NAME_STOP for w in words_before)
                and (_is_role_noun(words_before[-1]) or words_before[-1] in _TITLE_WORDS)
                and not speaker[m.end() :].strip()
            )
            if one_after_role:
                return self._canonical(run[0], pos)
            if len(run) < 2 or any(w in _NAME_STOP for w in words_before) or not before.islower():
                return speaker
        tail = speaker[m.end() :].strip()
        if tail:
            first = tail.split()[0].lower()
            if tail[0] == "(" or first in ("and", "of", "for", "on", "und", "et", "y", "e", "&", "at", "from", "with"):
                # "The National Oceanic and Atmospheric Administration (NOAA)",
                # "Economists at Castle Bank": an organisation or a role, as written
                return speaker
            if len(run) == 1 and first not in _DETERMINERS:
                return speaker
        tokens = self._clean(run, keep=1)
        if tokens and tokens[0].lower() in _NAME_PARTICLES and len(tokens) < len(run):
            return speaker  # "ein Sprecher des Verkehrsministeriums": a role of a body, as written
        # "Mr Levy", "Levy", "Michael Bloomberg": the fullest naming in the text
        found = self._index().get(tokens[-1].rstrip("."), [])
        best = None
        for at, full in found:
            # ("De Miranda" at a sentence start is "Luis de Miranda")
            if len(full) > len(tokens) and [w.lower() for w in full[-len(tokens):]] == [w.lower() for w in tokens]:
                if best is None or len(full) > len(best[1]) or (at < pos and best[0] > pos):
                    best = (at, full)
        if best is not None:
            return " ".join(best[1])
        if len(tokens) == 1 and len(run) == 1 and not before:
            # "dice Taty", "ajoute Marie-Pierre": a first name alone, of one person the
            # text names in full
            named = self._by_first(tokens[0])
            if named:
                return named
        if len(tokens) == 1 and len(run) > 1:
            return " ".join(run)  # "Mr Hancock" with no first name anywhere
        return " ".join(tokens)


# --- who a pronoun or a role refers to ----------------------------------------------------

# Personal pronouns that can open a clause as its subject and stand for a person.
_SUBJECT_PRONOUNS = {"he", "she", "er", "sie", "il", "elle", "él", "ella", "ele", "ela"}
# A word right before a run of capitals that makes the run something other than a
# person's name: a preposition ("the Ministry of Finance", "candidato de Colombia
# Piensa", "die Angestellten von Gegenbauer") or a noun for a body, a work or a place
# ("del movimiento Salvación Nacional", "the newspaper El País").
_BEFORE_NOT_PERSON = {
    "of", "for", "at", "from", "with", "to", "by", "in", "on", "into", "against", "de", "del",
    "da", "do", "dos", "das", "du", "des", "della", "di", "von", "vom", "bei", "beim", "zum",
    "zur", "aus", "für", "mit", "gegen", "en", "em", "no", "na", "nos", "nas", "à", "au", "aux",
    "al", "dans", "sur", "chez", "par", "por", "pelo", "pela", "para", "con", "com", "avec",
    "contra", "contre", "nel", "nella", "sul", "dal", "dalla", "über", "unter", "an", "auf",
    "nach", "movimiento", "movimento", "mouvement", "partido", "party", "partei", "parti",
    "partito", "empresa", "company", "firm", "firma", "grupo", "group", "gruppe", "agencia",
    "agência", "agence", "agency", "diario", "periódico", "jornal", "journal", "newspaper",
    "zeitung", "revista", "magazine", "fundación", "fundação", "fondation", "foundation",
    "stiftung", "universidad", "universidade", "université", "university", "banco", "bank",
    "coalición", "coalition", "alianza", "aliança", "alliance", "sindicato", "union",
    "gewerkschaft", "programa", "program", "programme", "canal", "channel", "emisora", "radio",
    "rádio", "club", "clube", "verein", "verband", "unternehmen", "konzern", "initiative",
    "iniciativa", "plataforma", "platform", "website", "site", "sitio", "série", "serie",
    "series", "film", "filme", "película", "libro", "livro", "livre", "book", "buch", "hotel",
    "restaurant", "restaurante", "marca", "brand", "marque", "ciudad", "cidade", "city",
    "ville", "stadt", "país", "pays", "country", "river", "calle", "rua", "rue", "street",
    "avenida", "avenue",
}
# Capitalised words that open a sentence in the other languages without naming anyone.
_OPENERS = {
    "en", "el", "la", "los", "las", "un", "una", "por", "para", "con", "sin", "tras", "desde",
    "pero", "y", "al", "del", "le", "les", "une", "dans", "pour", "mais", "et", "o", "a", "os",
    "as", "um", "uma", "na", "no", "em", "mas", "e", "der", "die", "das", "ein", "eine", "im",
    "am", "in", "an", "auf", "aber", "doch", "dann", "auch", "und", "als", "wie", "nach", "vor",
    "seit", "bei", "mit", "für", "zum", "zur",
}
# A sentence that opens (after at most one connective: "Y", "E", "Und", "Ahora") with a
# definite article and up to three more words: the place a role standing for someone
# named before would take.
_ROLE_OPENING = re.compile(
    r"[\s\W]*(?:(?:Y|E|Und|Ahora|Agora|Aber|Pero|Mas|Also|Doch|Et|Ed)[ \u00a0,]+)?"
    r"(?P<np>(?:O|A|Os|As|El|La|Los|Las|Der|Die|Le|Il|Lo|The)[ \u00a0]+[^\W\d_][\w\-]*"
    r"(?:[ \u00a0]+[^\W\d_][\w\-]*){0,2})"
)
_PRONOUN_RE = re.compile(r"(?<![\w’'\-])(?:he|she|er|sie|il|elle|él|ella|ele|ela)(?![\w’'\-])")
# (in Italian "il" is the article, and "lui"/"lei" are the subject pronouns)
_PRONOUN_RE_IT = re.compile(r"(?<![\w’'\-])(?:lui|lei|Lui|Lei)(?![\w’'\-])")


def _cut_at_body(tokens: list[str]) -> list[str]:
    """A run of capitals up to a particle that opens a body or a place: "Aneta Afelt von
    der Universität Warschau" is the person "Aneta Afelt" (not "Ursula von der Leyen")."""
    for i in range(2, len(tokens) - 1):
        if tokens[i].lower() in _NAME_PARTICLES or tokens[i].lower() in ("vom", "von"):
            rest = " ".join(tokens[i:])
            if _ORG_WORDS.search(rest) or _PLACE_WORDS.search(rest):
                return tokens[:i]
    return tokens


_PREPOSITIONS_LONG = {"against", "contra", "contre", "dalla", "della", "gegen", "nella", "unter"}


# Words that make the name after them (within a few words) an object: "with", "about",
# "against", "beside", "between" in the languages the extractor reads.
_OBJECT_WORDS_BEFORE = re.compile(
    r"(?<![\w’'\-])(?:with|about|against|beside|between|sobre|com|con|avec|mit|gegen|über|contra|contre|"
    r"entre|lado|junto|frente|insieme|accanto|zusammen|neben)(?:[ \u00a0]+[^\W\d_][\w’'\-]*){0,3}[ \u00a0]+$",
    re.I,
)


def _object_before(text: str, a: int, b: int) -> bool:
    """Whether the name at ``b`` is the object of "with", "about", "beside" … : the word
    comes right before it or before an article and a role ("ao lado do coordenador")."""
    m = _OBJECT_WORDS_BEFORE.search(text, a, b)
    if not m:
        return False
    between = text[m.start() : b].split()[1:]
    return all(w.lower() in _DETERMINERS or w.lower() in _OF_WORDS or w.lower() in ("do", "da", "del", "al", "au", "ao")
               or _is_role_noun(w.lower()) or w.lower() in _TITLE_WORDS for w in between)


class _Mentions:
    """The people a text names, sentence by sentence, outside its quotations: whom a
    pronoun, a subject left unsaid or a role ("the former mayor", "o repórter") refers
    to, as a careful reader takes it -- the subject of the latest sentence that has one.

    A sentence's subject is the first person it names (two capitalised words or more
    that are no body, place or work, or the surname of such a person named elsewhere) or
    the first personal pronoun in it, which stands for the subject before it.
    """

    def __init__(self, text: str, spans: list[_Span], names: _Names):
        # the quotations blanked out (line breaks kept), a slice at a time
        masked, pos = [], 0
        for a, b in sorted((sp.start, sp.end) for sp in spans):
            a = max(a, pos)
            if a < b:
                masked += [text[pos:a], "\n".join(" " * len(part) for part in text[a:b].split("\n"))]
                pos = b
        masked.append(text[pos:])
        self.text = text
        self.masked = "".join(masked)
        self.names = names
        self._surnames: dict[str, str] | None = None
        # (sentence start, sentence end, paragraph); subjects are found when first asked
        self.sentences: list[tuple[int, int, int]] = []
        self._starts: list[int] = []
        self._subjects: dict[int, tuple[int, str | None]] = {}
        self._build()

    def _known(self) -> dict[str, str]:
        """Surname -> full name of the people named with two words or more."""
        if self._surnames is None:
            self._surnames = {}
            for last, found in self.names._index().items():
                for _, tokens in found:
                    while tokens and (tokens[0].lower() in _OPENERS or tokens[0] in _NOT_NAME):
                        tokens = tokens[1:]  # "Am Abend" names nobody
                    name = " ".join(tokens)
                    if len(tokens) >= 2 and _is_person(name):
                        self._surnames.setdefault(last, name)
                        break
        return self._surnames

    def _person(self, m: re.Match, single_ok: bool = False) -> str | None:
        """The person a run of capitals names, or None."""
        run = m.group(0)
        if run.endswith(("'", "’", "'s", "’s")):
            return None  # a possessive: "Relotius' engste Vertraute", "Netanyahu’s party"
        tokens = self.names._clean(_german_noun_cut(self.masked, m.start(), run.split()), keep=1)
        dropped = run.split()[: len(run.split()) - len(tokens)]
        if any(w.lower() in _BEFORE_NOT_PERSON and len(w) > 4 and w.lower() not in _PREPOSITIONS_LONG for w in dropped):
            return None  # "la Universidad Paulo Freire", "Fundación Ana Frank": a body named after someone
        while tokens and (tokens[0].lower() in _NAME_STOP_OPEN or tokens[0].lower() in _OPENERS or tokens[0] in _NOT_NAME):
            tokens = tokens[1:]
        if len(tokens) == 1 and tokens[0] in self._known() and single_ok and re.search(
            r"\b(?:de|da|do|di|of)[ \u00a0]+$", self.masked[max(0, m.start() - 5) : m.start()]
        ):
            return self._known()[tokens[0]]  # "a movimentação de Pacheco": a person, not a body
        if len(tokens) == len(run.split()) and _names_no_person(self.masked, m.start(), tokens):
            # ("the Israeli election" is no mention of someone surnamed Israeli)
            return None
        if len(tokens) >= 3 and _OF_BEFORE.search(self.masked, max(0, m.start() - 5), m.start()):
            tokens = tokens[1:]  # "Minister in the Ministry of Finance Brian Manning"
        if not tokens or tokens[-1].endswith("."):
            return None
        name = " ".join(tokens)
        if len(tokens) >= 2:
            if any(len(t) > 1 and t.isupper() for t in tokens):
                return None  # "Omicron BA", "Covid Task Force UK": an acronym names no person
            return name if _is_person(name) else None
        if single_ok and tokens[0] in self._known():
            return self._known()[tokens[0]]
        if single_ok and len(run.split()) == 1:
            # "O técnico Tite", "o presidente Lula": one name right after a role
            role = re.search(r"([^\W\d_][\w’'\-]*)[ \u00a0]+$", self.masked[max(0, m.start() - 30) : m.start()])
            if role and (role.group(1).lower() in _PERSON_ROLES or role.group(1).lower() in _TITLE_WORDS):
                return tokens[0]
        return None

    def _build(self) -> None:
        base = 0
        for ln, line in enumerate(self.text.split("\n")):
            start = 0
            ends = [m.end() for m in _SENT_END.finditer(line)] + [len(line)]
            for end in ends:
                if end <= start:
                    continue
                self.sentences.append((base + start, base + end, ln))
                self._starts.append(base + start)
                start = end
            base += len(line) + 1

    def _subject_of(self, k: int) -> tuple[int, str | None]:
        """(offset, resolved name) of sentence ``k``'s subject, found once."""
        if k not in self._subjects:
            a, b, _ = self.sentences[k]
            self._subjects[k] = (-1, None)  # (while it is being found)
            self._subjects[k] = self._subject(a, b)
        return self._subjects[k]

    def _subject(self, a: int, b: int) -> tuple[int, str | None]:
        """(offset, resolved name) of the first person or pronoun in the sentence a..b."""
        found: list[tuple[int, str | None, bool]] = []
        for m in _NAME_RUN_ALL.finditer(self.masked, a, b):
            word = m.group(0).split()[0]
            if word == "Il" and _LANGUAGE.get() == "it":
                continue  # "Il ministro Marco Gallo": the Italian article
            if word.lower() in _SUBJECT_PRONOUNS and " " not in m.group(0).strip():
                found.append((m.start(), None, True))
                break
            name = self._person(m, single_ok=True)
            if name and _object_before(self.masked, max(a, m.start() - 40), m.start()):
                # "Tite concedeu entrevista ao lado do coordenador Juninho Paulista",
                # "habló con el ministro Juan Pérez": someone the subject is with, against
                # or about, not the subject
                continue
            if name:
                found.append((m.start(), name, False))
                break
        p = (_PRONOUN_RE_IT if _LANGUAGE.get() == "it" else _PRONOUN_RE).search(self.masked, a, b)
        if p:
            found.append((p.start(), None, True))
        r = self._role_subject(a, b)
        if r >= 0:
            found.append((r, None, True))
        if not found:
            return -1, None
        pos, name, pronoun = min(found)
        if pronoun:
            # (the sentences before this one; a role reaches further back than a pronoun,
            # over sentences whose subject is left unsaid: "Señaló que …")
            prior = self.before(a, lines_back=4 if pos == r else 2)
            return pos, prior[1] if prior else None
        return pos, self.names.canonical(name, pos) if name else None

    def _role_subject(self, a: int, b: int) -> int:
        """Where a sentence opens with a role that stands for a person named before ("El
        investigador explicó …", "O parlamentar cobra …", "Der Virologe sagt …"), as a
        pronoun does; -1 if it does not. A role followed by a name ("O senador Lasier
        Martins", "El presidente de Chile, Gabriel Boric,") introduces that person."""
        m = _ROLE_OPENING.match(self.masked, a, b)
        if not m:
            return -1
        words = m.group("np").split()
        for k in range(len(words), 1, -1):
            if _is_role_description(" ".join(words[:k])):
                break
        else:
            return -1
        rest = self.masked[m.start("np") + len(" ".join(words[:k])) : b]
        rest = re.sub(rf"^(?:[ \u00a0]+(?:{_NAME_PARTICLE}|do|da|dos|das|del|des|vom|of)[ \u00a0]+[{_UPPER}][\w’'\-]*)+", "", rest)
        if re.match(rf"[ \u00a0]*(?:,[ \u00a0]*)?[{_UPPER}]", rest):
            return -1  # the role introduces the name after it
        return m.start("np")

    def before(self, pos: int, lines_back: int = 2) -> tuple[int, str] | None:
        """The subject of the latest sentence ending before ``pos`` that has one, in the
        paragraph of ``pos`` or the ``lines_back`` before it."""
        k = bisect.bisect_right(self._starts, pos) - 1
        if k < 0:
            return None
        line = self.sentences[k][2]
        while k >= 0:
            ln = self.sentences[k][2]
            if ln < line - lines_back:
                return None
            at, name = self._subject_of(k)
            if name and at < pos:
                return at, name
            k -= 1
        return None

    def sentence_end(self, pos: int) -> int:
        """Where the sentence holding ``pos`` ends."""
        k = bisect.bisect_right(self._starts, pos) - 1
        return self.sentences[k][1] if k >= 0 else pos

    def first_in(self, a: int, b: int) -> str | None:
        """The first person named (or pronoun, resolved) between ``a`` and ``b``."""
        at, name = self._subject(a, b)
        return name
