"""Speakers in German, French, Spanish, Portuguese and Italian: the general mechanisms,
each on sentences written here for the purpose (no sentence of a labelled page)."""

import pytest

from archive.text.quotes import find_quotes


def speakers(text, language=None):
    return [x["speaker"] for x in find_quotes(text, language) if not x["is_term"]]


@pytest.mark.parametrize("text, speaker", [
    # words that set the speaker against another stand between the verb and the name
    ("« Le projet est solide », résume quant à elle Claire Dubois, économiste.", "Claire Dubois"),
    ("« Nous attendons la décision », a répondu pour sa part Marc Lefèvre.", "Marc Lefèvre"),
    ("“Nadie nos escuchó”, lamentó por su parte Rosa Méndez.", "Rosa Méndez"),
    ("“Não vamos desistir”, afirmou por sua vez Joana Prado.", "Joana Prado"),
    ("«Non ci fermeremo», ha detto dal canto suo Paolo Rinaldi.", "Paolo Rinaldi"),
    ("„Wir bleiben dabei“, sagte hingegen Jörg Hansen.", "Jörg Hansen"),
])
def test_an_aside_between_the_inverted_verb_and_the_name(text, speaker):
    assert speakers(text) == [speaker]


def test_italian_il_after_a_verb_is_the_article_not_the_french_pronoun():
    text = "«Le temperature saliranno ancora nei prossimi giorni», spiega il meteorologo Luca Mercalli."
    assert speakers(text) == ["Luca Mercalli"]
    assert speakers(text, "it") == ["Luca Mercalli"]
    # the French pronoun after its verb still stands for the person named before
    text = "Luc Bernard est venu seul. « Personne ne nous aide à la Caisse nationale », ajoute-t-il."
    assert speakers(text, "fr") == ["Luc Bernard"]
    assert speakers("Luc Bernard est venu seul. « Personne ne nous aide ici », dit il.", "fr") == ["Luc Bernard"]


def test_italian_il_opening_a_sentence_is_the_article_and_lui_the_pronoun():
    text = ("Il ministro Marco Gallo ha visitato la fabbrica della Fiat. Lui ha detto: "
            "«L’azienda ha rispettato tutti gli impegni».")
    assert speakers(text, "it") == ["Marco Gallo"]
    text = ("Il ministro Marco Gallo ha visitato la fabbrica della Fiat. Ha detto: "
            "«L’azienda ha rispettato tutti gli impegni».")
    assert speakers(text, "it") == ["Marco Gallo"]
    # (in French "Il" is the pronoun: the person named before)
    text = "Le ministre Marc Gallo a visité l’usine. Il a dit : « L’entreprise a tenu tous ses engagements. »"
    assert speakers(text, "fr") == ["Marc Gallo"]


@pytest.mark.parametrize("text, language, speaker", [
    # a role whose noun ends as nouns for people do, not in any list: the person the
    # text is speaking of
    ("Marco Gallo ha parlato a Torino.\n«Le temperature saliranno ancora», avverte il climatologo.", "it",
     "Marco Gallo"),
    ("Francisca Joly-Gomez enseigne à Paris.\n« Les fibres nourrissent les bactéries », précise la "
     "gastro-entérologue.", "fr", "Francisca Joly-Gomez"),
    ("El presidente Alberto Fernández habló en Madrid. “Argentina necesita crecer con equidad”, remarcó el "
     "jefe de Estado.", "es", "Alberto Fernández"),
    ("O engenheiro Paulo Reis visitou a obra. “A ponte está segura para o tráfego”, garantiu o engenheiro.",
     "pt", "Paulo Reis"),
])
def test_a_role_by_its_ending_stands_for_the_person_spoken_of(text, language, speaker):
    assert speakers(text, language) == [speaker]


def test_a_ministry_is_no_person_by_its_ending():
    text = "Marco Gallo ha parlato a Torino.\n«Le regole non cambiano», ha detto il ministero."
    assert speakers(text, "it") == ["il ministero"]


@pytest.mark.parametrize("text, speaker", [
    ("„Die Arbeit bleibt“, sagt der Publizist und Philosoph Hans Peter Krause im Radio.", "Hans Peter Krause"),
    ("„Die Lage ist ernst“, sagte die Ärztin und Forscherin Anna Schulte.", "Anna Schulte"),
    ("« La mer monte », explique le chercheur et médecin Paul Roux.", "Paul Roux"),
    ("“El agua no alcanza”, dijo el periodista y escritor Juan Ruiz.", "Juan Ruiz"),
])
def test_two_roles_joined_before_the_name(text, speaker):
    assert speakers(text) == [speaker]


@pytest.mark.parametrize("text, speaker", [
    ("“Vamos a exigir justicia”, dice Taty Almeida, de Madres de Plaza de Mayo.\nLa marcha salió a las "
     "cinco.\n“Tenemos que demostrarlo otra vez”, dice Taty.", "Taty Almeida"),
    ("« Nous sommes prêts », dit Marie-Pierre Dausse, professeure.\nLe cours a repris.\n« C’est une "
     "expérience rare », ajoute Marie-Pierre.", "Marie-Pierre Dausse"),
    ("„Wir sind bereit“, sagt Jonas Albrecht.\nDer Kurs läuft.\n„Es ist eine seltene Erfahrung“, sagt Jonas.",
     "Jonas Albrecht"),
])
def test_a_first_name_alone_is_the_person_named_in_full(text, speaker):
    assert speakers(text)[-1] == speaker


def test_a_first_name_shared_by_two_people_stays_as_written():
    text = ("„Wir sind bereit“, sagt Jonas Albrecht.\n„Wir auch“, sagt Jonas Berger.\n"
            "„Es ist eine seltene Erfahrung“, sagt Jonas.")
    assert speakers(text)[-1] == "Jonas"


def test_so_and_the_speaker_before_a_colon():
    text = ("Die Politik reagiere falsch, von Donald Trump bis Martin Schulz, so Precht: „Wir regeln den "
            "Arbeitsmarkt von gestern.“\nRichard David Precht lebt in Köln.")
    assert speakers(text) == ["Richard David Precht"]


def test_language_is_passed_from_the_extractor():
    from archive.text.extract import extract

    page = ('<html lang="it"><head><title>Caldo</title></head><body><article><p>Il ministro Marco Gallo ha '
            'visitato la fabbrica della Fiat a Torino nella giornata di ieri, insieme ai sindacati.</p><p>Lui ha '
            'detto: «L’azienda ha rispettato tutti gli impegni presi con i lavoratori».</p></article></body></html>')
    a = extract(page.encode(), "text/html")
    assert a.language == "it"
    assert [x["speaker"] for x in a.quotes] == ["Marco Gallo"]


@pytest.mark.parametrize("text, speaker", [
    ("“No hay acuerdo”, admitió el diputado socialista e integrante de la comisión de hacienda, Pablo Rivas.",
     "Pablo Rivas"),
    ("« Il faut agir », affirme le maire de la commune et président du syndicat des eaux, Jean Morel.",
     "Jean Morel"),
    ("“Está tudo parado”, disse o presidente do sindicato dos trabalhadores portuários, Carlos Mota.",
     "Carlos Mota"),
])
def test_an_inverted_verb_a_role_of_any_length_and_the_name_after_a_comma(text, speaker):
    assert speakers(text) == [speaker]


@pytest.mark.parametrize("text, speaker", [
    # an adverbial phrase and a comma open the sentence; the verb's subject is unsaid
    ("Rosa Díaz visitó el lugar. Al respecto, explicó que “conversé con víctimas durante toda la semana”.",
     "Rosa Díaz"),
    ("Ana Prado visitou a obra. Por outro lado, afirmou que “a ponte ainda não está pronta para o tráfego”.",
     "Ana Prado"),
    # the quotation's sentence goes on, then the verb with no subject
    ("Rosa Díaz visitó el lugar.\n“Tenemos conocimiento de que existen más casos”, entre ellos el robo de "
     "motores, añadió.", "Rosa Díaz"),
])
def test_a_verb_with_its_subject_left_unsaid_continues_the_person_spoken_of(text, speaker):
    assert speakers(text) == [speaker]


def test_a_spanish_question_is_a_whole_utterance_and_asking_is_saying():
    text = ("El juicio siguió en la Cámara Federal de Casación Penal.\n“¿Qué justicia tenemos?”, se pregunta "
            "Iris Avellaneda. “No tenemos ni un cuarto de los culpables condenados”, agrega.")
    assert speakers(text) == ["Iris Avellaneda", "Iris Avellaneda"]
    assert speakers("« Pourquoi attendre encore ? », s’interroge Luc Bernard.") == ["Luc Bernard"]
    assert speakers("“Quem vai pagar a conta?”, perguntou Ana Prado.") == ["Ana Prado"]
    assert speakers("«Chi pagherà il conto?», si chiede Paolo Rinaldi.") == ["Paolo Rinaldi"]
    # asking with the subject left unsaid, in a paragraph of its own
    assert speakers("Iris Avellaneda habló.\n“¿Dónde están los culpables de todo esto?”, preguntó.") == [
        "Iris Avellaneda"]
    assert speakers("Iris Avellaneda habló.\n“No tenemos ni un cuarto de los culpables”, se pregunta.") == [
        "Iris Avellaneda"]


@pytest.mark.parametrize("text, speaker", [
    # forms of the lexicon's verbs that no hand-written list held: present, imperfect,
    # simple past, "ha" + participle
    ("“El plan no está cerrado”, aclara Rosa Méndez.", "Rosa Méndez"),
    ("“El plan no está cerrado”, matizaba Rosa Méndez.", "Rosa Méndez"),
    ("« Mangez de tout, mais pas trop », conseille Olivier Blanc, nutritionniste.", "Olivier Blanc"),
    ("« Rien n’est joué », nuançait Olivier Blanc.", "Olivier Blanc"),
    ("“O projeto ainda está em análise”, pondera Ana Prado.", "Ana Prado"),
    ("“O projeto ainda está em análise”, rebateu Ana Prado.", "Ana Prado"),
    ("«Il progetto è ancora aperto», rileva Paolo Rinaldi.", "Paolo Rinaldi"),
    ("«Il progetto è ancora aperto», ha puntualizzato Paolo Rinaldi.", "Paolo Rinaldi"),
])
def test_the_verb_lexicon_knows_every_reported_form(text, speaker):
    assert speakers(text) == [speaker]


def test_the_lexicon_is_read_next_to_a_quotation_only():
    # "la Policía responde cuando puede" says nothing: the unsaid subject of "agregó" is
    # still the person the text is speaking of, not the police
    text = ("Laura Vidal vive en la zona desde hace años. Vidal afirmó que la Policía “responde cuando tiene "
            "posibilidades”. A propósito, señaló que “en las zonas rurales no tienen vehículos disponibles”, "
            "agregó.")
    assert speakers(text) == ["Laura Vidal", "Laura Vidal"]


def test_the_lexicon_comes_from_verbecc_and_keeps_no_noun():
    from archive.text.say_verbs import FORMS

    assert {"aclara", "aclaró", "aclaraba", "aclararon"} <= set(FORMS["es"])  # "aclara" is Portuguese too
    assert {"conseille", "conseilla", "conseillé"} <= set(FORMS["fr"])
    assert {"ponderou", "ponderaram"} <= set(FORMS["pt"])
    assert {"rilevò", "rileva", "puntualizzato"} <= set(FORMS["it"])
    # nouns and words of another language are left out
    assert "comunicado" not in FORMS["pt"] and "cuenta" not in FORMS["es"] and "nota" not in FORMS["it"]
    assert "dice" not in FORMS["es"]  # an English word too


@pytest.mark.parametrize("text, speaker", [
    ("La denuncia llegó a la Dirección Nacional de Servicios Agrícolas (DGSA) del Ministerio.\nSegún "
     "informó la DGSA a la prensa, se constató “la aplicación donde no se respetó la distancia de 300 metros”.",
     "Dirección Nacional de Servicios Agrícolas"),
    ("O caso foi registrado ontem. Segundo explicou o delegado Paulo Reis, “a vítima foi encontrada em casa "
     "e passa bem”.", "Paulo Reis"),
    ("Rosa Díaz habló ayer. Como dijo el ministro Juan Pérez, “no hay dinero para todos los proyectos”.",
     "Juan Pérez"),
])
def test_according_as_said_by_the_verb_first_and_a_body_by_its_acronym(text, speaker):
    assert speakers(text) == [speaker]


def test_a_role_ending_like_a_person_that_names_a_newspaper_is_no_person():
    text = ("Jean Morel est soupçonné de fraude. Cette fois-ci, le député est soupçonné de « détournement de "
            "fonds publics et de recel », peut-on lire dans le quotidien du soir.")
    assert speakers(text) == ["le quotidien du soir"]


def test_an_impersonal_verb_has_no_subject():
    text = ("En la presentación que hizo Siches ante la instancia se detalla que se ingresarán enmiendas a los "
            "proyectos “sobre fortalecimiento de la persecución penal del tráfico”.")
    assert speakers(text) == [None]


def test_the_verb_nearest_the_quotation_brings_it():
    text = ("Gerardo Amarilla afirmó el año pasado que hay conflictos. También se le preguntó sobre los juicios "
            "a José Yurramendi, quien señaló que “están en etapa de negociación con el Ministerio”.")
    assert speakers(text)[-1] == "José Yurramendi"


def test_a_body_named_after_a_person_is_no_person_spoken_of():
    # not the person a university is named after, in the paragraph between
    text = ("El rumbo de la educación “es preocupante”, valora el universitario Elthon Rivera. Ninguna universidad "
            "pública lo aceptó.\n"
            "Primero fue expulsado de la UNAN-Managua, y tras el cierre de la Universidad Paulo Freire se quedó "
            "sin carrera.\n"
            "“Han intentado extirpar cualquier pensamiento crítico de los universitarios”, detalla.")
    assert speakers(text)[-1] == "Elthon Rivera"


def test_a_body_by_its_acronym_is_spelled_out_without_its_article():
    text = ("La Contraloría General de la República (CGR) auditó a Hacienda.\n“Esto pone en riesgo la "
            "confidencialidad de la información”, dijo la CGR en el informe.")
    assert speakers(text) == ["Contraloría General de la República"]


@pytest.mark.parametrize("text, speaker", [
    ("Antonio Gutierrez wartet ab.\n»Das treibt auch Nichtlinke in Richtung Kapitalismuskritik«, sagt "
     "ATU-Organisator Gutierrez gegenüber der Zeitung.", "Antonio Gutierrez"),
    ("„Neben den Einnahmen aus digitalen Zeitschriften zählt das“, so Readly-CEO Maria Hedengrens.",
     "Maria Hedengrens"),
])
def test_a_role_at_a_body_joined_by_a_hyphen_is_no_part_of_the_name(text, speaker):
    assert speakers(text, "de") == [speaker]


def test_a_german_noun_after_its_article_opens_no_name():
    # "der Krieg Russlands" names nobody; the quotation is the person's spoken of before
    text = ("Robert Machtlinger leitet den Zulieferer seit Jahren. Der Krieg Russlands gegen die Ukraine mischt "
            "die Karten neu.\n„Die Lieferantenketten werden sich nachhaltig verändern“, sagte der Konzernchef.")
    assert speakers(text, "de") == ["Robert Machtlinger"]
    text = ("Richard David Precht spricht im Radio. Es sei eine Frage der Zeit, sagt dem Philosophen Richard David "
            "Precht zufolge niemand.\n„Die Arbeit bleibt“, sagt Precht.")
    assert speakers(text, "de") == ["Richard David Precht"]


def test_a_run_with_a_digit_names_no_person():
    text = ("Rosa Díaz habló ayer.\nEl Plan Covid-19 Santiago fue aprobado por el concejo.\n“No hay dinero para "
            "todos los proyectos del año”, dijo.")
    assert speakers(text) == ["Rosa Díaz"]


@pytest.mark.parametrize("text, language, speaker", [
    ("O técnico Tite anunciou a lista.\nNa avaliação do técnico, “o grupo está maduro para a Copa”.", "pt", "Tite"),
    ("El ministro Juan Pérez habló.\nEn opinión del ministro, “la economía va a crecer este año”.", "es",
     "Juan Pérez"),
    ("Le maire Jean Morel a parlé.\nDe l’avis du maire, « la ville doit investir davantage ».", "fr",
     "Jean Morel"),
    ("Il sindaco Paolo Rossi ha parlato.\nA giudizio del sindaco, «la città deve investire di più».", "it",
     "Paolo Rossi"),
])
def test_in_the_view_of_with_of_and_the_article_fused(text, language, speaker):
    assert speakers(text, language) == [speaker]


@pytest.mark.parametrize("text", [
    "O técnico Tite anunciou a lista.\nTite ainda comentou sobre Neymar: “Ele está bem fisicamente e mentalmente”.",
    "El técnico Tite anunció la lista.\nTite también comentó sobre Neymar: “Está bien física y mentalmente”.",
])
def test_an_adverb_between_the_subject_and_its_verb(text):
    assert speakers(text) == ["Tite"]


def test_a_plural_verb_with_its_subject_unsaid_is_nobody_in_particular():
    text = "Pablo Toloza habló de las normas.\n“El Congreso tendrá que actuar dentro de sus competencias”, agregaron."
    assert speakers(text) == [None]
    text = "Daniel Pérez defendió al expresidente.\n“La fianza se está preparando en Israel”, respondieron."
    assert speakers(text) == [None]
    # (with the subject after a to-whom phrase: that subject)
    text = ("Daniel Pérez defendió al expresidente.\n“La fianza se está preparando en Israel”, respondieron a EL "
            "HERALDO los abogados del expresidente.")
    assert speakers(text) == ["los abogados del expresidente"]
    # the singular still continues the person spoken of
    text = "Pablo Toloza habló de las normas.\n“El Congreso tendrá que actuar dentro de sus competencias”, agregó."
    assert speakers(text) == ["Pablo Toloza"]


def test_a_role_noun_with_its_adjective_after_it():
    text = ("Dmitri Muratov, premio Nobel de la Paz, subastó su medalla. “Quiero que el dinero vaya a los niños”, "
            "dijo el periodista ruso.")
    assert speakers(text) == ["Dmitri Muratov"]


def test_a_german_role_alone_is_the_person_named_with_it_or_spoken_of():
    text = "Armin Papperger führt Rheinmetall. Der Vorstandschef sagte: „Wir liefern, was bestellt wurde.“"
    assert speakers(text, "de") == ["Armin Papperger"]
    text = ("Vorstandschef Herbert Diess sprach vor der Belegschaft. Betriebsratschefin Daniela Cavallo hatte ihn "
            "kritisiert. Der Vorstandschef räumte ein: „Wir müssen miteinander reden.“")
    assert speakers(text, "de") == ["Herbert Diess"]


def test_reacting_is_saying():
    text = "Les compagnies ont augmenté les prix.\n« C’est inacceptable », a réagi Jean Morel, ministre du Commerce."
    assert speakers(text) == ["Jean Morel"]


@pytest.mark.parametrize("text, speaker", [
    ("Joe Biden viajó a Florida.\nConsultado por un periodista sobre la declaración de Rick Scott, Biden sonrió y "
     "dijo: “Creo que el hombre tiene un problema”.", "Joe Biden"),
    ("Tite anunciou a lista.\nQuestionado sobre a ausência de Marcelo Costa, Tite respondeu: “Foi uma escolha "
     "técnica, nada mais”.", "Tite"),
])
def test_a_participle_about_being_asked_opens_no_name(text, speaker):
    assert speakers(text) == [speaker]


def test_french_verb_and_pronoun_joined_inside_and_after_the_quotation():
    text = ("Le ministre Roman Prymula a été limogé.\n« Je n’ai rien à me reprocher, estime-t-il. Les règles "
            "étaient claires. »")
    assert speakers(text, "fr") == ["Roman Prymula"]
    text = "Le ministre Roman Prymula a été limogé.\n« Je n’ai rien à me reprocher », a-t-il ajouté, « rien. »"
    assert speakers(text, "fr")[0] == "Roman Prymula"
    text = ("Les compagnies pétrolières ont réagi.\n« Nous ne pouvons plus importer de carburant sans garanties », "
            "ont-elles indiqué dans une note.")
    assert speakers(text, "fr") == [None]  # "elles": the companies, no one named


@pytest.mark.parametrize("text, language", [
    ("Le ministre Roman Prymula a été limogé.\nPour lui, « les règles étaient claires pour tout le monde ».", "fr"),
    ("El ministro Roman Prymula fue destituido.\nPara él, “las reglas eran claras para todo el mundo”.", "es"),
    ("O ministro Roman Prymula foi demitido.\nPara ele, “as regras eram claras para todo mundo”.", "pt"),
])
def test_for_him_is_according_to_the_person_spoken_of(text, language):
    assert speakers(text, language) == ["Roman Prymula"]


@pytest.mark.parametrize("text, speaker", [
    ("“Não tem nada definido ainda”, afirmou o técnico Tite, em entrevista coletiva.", "Tite"),
    ("“Não há alternativas para o país”, disse o presidente Lula.", "Lula"),
    ("«Non ci sono alternative per il paese», ha detto il ministro Salvini.", "Salvini"),
])
def test_a_role_noun_then_one_name_is_that_name(text, speaker):
    assert speakers(text) == [speaker]


@pytest.mark.parametrize("text, language, expected", [
    # someone the subject is with is not the person spoken of
    ("Tite concedeu entrevista ao lado do coordenador Juninho Paulista.\n“Não tem nada definido ainda. Vamos "
     "ver”, disse o treinador.", "pt", "o treinador"),
    # but a name after "against" that opens a relative clause is its subject
    ("Gerardo Amarilla habló en mayo. También se le preguntó sobre los juicios contra el Estado a José "
     "Yurramendi, quien señaló que “están en etapa de negociación con el Ministerio”.", "es", "José Yurramendi"),
])
def test_a_name_after_with_or_about_is_no_subject(text, language, expected):
    assert speakers(text, language)[-1] == expected


@pytest.mark.parametrize("text", [
    "Secondo l’esperto Luca Mercalli «le temperature saliranno fino a 40 gradi».",
    "Per il climatologo Luca Mercalli «le temperature saliranno fino a 40 gradi».",
    "Lo ha spiegato Luca Mercalli: «Le temperature saliranno fino a 40 gradi».",
])
def test_italian_according_to_without_a_comma_and_an_object_pronoun_first(text):
    assert speakers(text, "it") == ["Luca Mercalli"]


def test_para_without_a_comma_and_no_name_is_no_attribution():
    text = "Para o governo do estado a solução é “investir mais em escolas e hospitais públicos”."
    assert speakers(text, "pt") == [None]
