"""Quotes found in small texts: marks, split statements, speakers, scare quotes."""

from archive.text.quotes import find_quotes


def q(text):
    return [(x["text"], x["speaker"], x["statement"], x["is_term"]) for x in find_quotes(text)]


def test_split_quote_is_one_statement():
    assert q("“We will rebuild,” adds the ministry. “But it will take years.”") == [
        ("We will rebuild", "the ministry", 0, False),
        ("But it will take years.", "the ministry", 0, False),
    ]


def test_speaker_forms():
    assert q('"Ready," officials said.')[0][1] == "officials"
    assert q("According to the ministry, “roads are closed until further notice.”")[0][1] == "the ministry"
    assert q("“It is bad,” writes the newspaper.")[0][1] == "the newspaper"
    assert q('The mayor was quoted as saying "we are not prepared".')[0][1] == "The mayor"
    assert q('"Fast," Governor Gavin Newsom told reporters.')[0][1] == "Gavin Newsom"
    assert q("Maria Lopez, 34, a nurse, said: “I have never seen anything like it.”")[0][1] == "Maria Lopez"


def test_pronoun_refers_to_last_named_speaker():
    text = "Sarah Mills said the water rose fast. ‘We lost everything,’ she said."
    assert q(text)[0][:2] == ("We lost everything", "Sarah Mills")


def test_single_inside_double_and_apostrophes():
    assert q('"He told me \'run\' and I ran," said Tom Ford. The players’ hotbars don’t work.') == [
        ("He told me 'run' and I ran", "Tom Ford", 0, False)]


def test_scare_quotes_are_terms():
    assert q("Officials called it a “managed retreat” from the coast.") == [
        ("managed retreat", None, 0, True)]


def test_offsets_and_selectors():
    text = "She said: “Yes.” Then “no” followed."
    found = find_quotes(text)
    assert [x["text"] for x in found] == ["Yes.", "no"]
    for x in found:
        assert text[x["start"]:x["end"]] == x["text"] == x["exact"]
        assert text[:x["start"]].endswith(x["prefix"])


def test_arabic_attribution():
    text = "وقال الوزير خالد المنصوري في مؤتمر صحفي: «هذا أعلى رقم»."
    assert q(text)[0][:2] == ("هذا أعلى رقم", "الوزير خالد المنصوري")


def test_title_abbreviations_do_not_end_the_attribution():
    assert q("“We will appeal,” said Dr. Jane Okafor. Nothing else.")[0][1] == "Jane Okafor"
    assert q("Gov. Gavin Newsom said: “We are ready.”")[0][1] == "Gavin Newsom"
    assert q("Sen. Ann Bell told reporters: “No deal.”")[0][1] == "Ann Bell"


def test_pronoun_refers_to_person_named_by_title():
    text = "Soon after Ms. Price was elected, she said she would “remove all 41 cases.” She also said her “term will bring change.”"
    assert [x[1] for x in q(text)] == ["Ms. Price", "Ms. Price"]
    # the title tells "she" from "he"
    text = "Mr. Hall met Ms. Lee. Later she said the deal was “not done yet, not at all.”"
    assert q(text)[0][1] == "Ms. Lee"
    text = "Ms. Lee met Mr. Hall. Later he said the deal was “not done yet, not at all.”"
    assert q(text)[0][1] == "Mr. Hall"


def test_role_phrases_are_kept_whole():
    assert q("“The ground is saturated,” a spokesman for the agency said.")[0][1] == "a spokesman for the agency"
    assert q("Economists at Castle Bank warned that the “tight” market would not last.")[0][1] == "Economists at Castle Bank"
    assert q("“No comment,” senior officials at the ministry said.")[0][1] == "senior officials at the ministry"
    # a capitalised word inside a sentence is a name, not a role
    # the bank said it: naming it is right, naming nobody is honest, the person is wrong
    assert q("He met Director Smith at Castle Bank, which said “we are fine.”")[0][1] in (None, "Castle Bank")


def test_organisation_names_with_adverb_and_acronym():
    text = "The National Oceanic and Atmospheric Administration (NOAA) recently stated to “Expect hot years soon.”"
    assert q(text)[0][1] == "The National Oceanic and Atmospheric Administration (NOAA)"
    assert q("The Bank of England said: “Rates stay.”")[0][1] == "The Bank of England"
    assert q("Netanyahu strongly warned against a “bad deal” with Iran.")[0][1] == "Netanyahu"


def test_persian_attribution_and_pronoun():
    text = ("محمد شریفی، مدیرعامل شرکت آب، روز دوشنبه در نشست خبری گفت: «بارندگی‌ها ۴۵ درصد کمتر بوده است.»\n"
            "او افزود: «اگر مصرف کاهش پیدا نکند، تابستان سختی خواهیم داشت.»\n"
            "«اصلاح الگوی مصرف ارزان‌ترین راه عبور از این بحران است»، مهدی کریمی، استاد دانشگاه، گفت.")
    assert [x[1] for x in q(text)] == ["محمد شریفی", "محمد شریفی", "مهدی کریمی"]


def test_titles_and_short_terms_are_not_quotations_but_fragments_are():
    text = ("He wrote “The Wit and Wisdom of Michael Bloomberg.” Critics called the firm “high-end” "
            "and “well-connected,” Levy said. She had a “plan to fix the whole system” all along.")
    got = {x[0]: x[3] for x in q(text)}
    assert got["The Wit and Wisdom of Michael Bloomberg."] and got["high-end"] and got["well-connected"]
    assert got["plan to fix the whole system"] is False


def test_attributions_in_other_languages():
    de = find_quotes("Der Reporter Claas Relotius schrieb viel. Relotius schreibt: »Drückt uns die Daumen.«")
    assert [(x["text"], x["speaker"]) for x in de] == [("Drückt uns die Daumen.", "Claas Relotius")]
    fr = find_quotes("Laurent Fabius était à Paris. «Pour certains d’entre eux on est très interrogatif», a ajouté Laurent Fabius.")
    assert fr[0]["speaker"] == "Laurent Fabius"
    es = find_quotes("El candidato Sergio Fajardo habló. “Tenemos que avanzar en la paz”, dijo Fajardo. “Es urgente”, señaló.")
    assert [x["speaker"] for x in es] == ["Sergio Fajardo", "Sergio Fajardo"]
    pt = find_quotes('"Pode haver acontecimentos pontuais", declarou o delegado Odair Carneiro.')
    assert pt[0]["speaker"] == "Odair Carneiro"


def test_speaker_named_at_fullest_and_pronoun_is_a_person():
    text = ("Acting U.S. Attorney for Massachusetts Joshua Levy spoke in Massachusetts on Monday. "
            "“This ring was built on secrecy,” Levy said. The Justice Department said it would act. "
            "“We will find them all,” he said.")
    assert [x["speaker"] for x in find_quotes(text)] == ["Joshua Levy", "Joshua Levy"]


def test_speaker_described_by_role_or_title_is_the_person_the_text_named_so():
    # "the Director" is the person named "Director Carissa F. Etienne" earlier
    en = find_quotes("Health Organization Director Carissa F. Etienne warned on Monday. "
                     "The Director noted that “the infection dynamics are mirrored here a few weeks later.”")
    assert en[0]["speaker"] == "Carissa F. Etienne"
    # a compound German title in front of the surname names the same person in full
    de = find_quotes("Bundesverkehrsminister Andreas Scheuer (CSU) versprach viel. "
                     "Vom \"größten Projekt im Eisenbahnbereich seit der Bahnreform\" sprach Bundesverkehrsminister Scheuer.")
    assert de[0]["speaker"] == "Andreas Scheuer"
    # particles and initials stay inside a name; a name after "von" is a name of its own
    texts = ["Luis de Miranda wrote a book. “Neon lights were everywhere in the cities,” Miranda said.",
             "Robert M. Danin spoke. “Both sides will want to calm it,” Danin said.",
             "Die Backstube von Karsten Berning liefert. „Es darf sich nicht die ganze Herde infizieren“, sagt Berning."]
    assert [find_quotes(t)[0]["speaker"] for t in texts] == ["Luis de Miranda", "Robert M. Danin", "Karsten Berning"]


def test_more_verbs_of_saying_outside_english():
    fr = find_quotes("Ana Sofia Cardenal a étudié les tweets. « Lutter contre les fausses informations est très difficile », détaille Mme Cardenal.")
    assert fr[0]["speaker"] == "Ana Sofia Cardenal"
    es = find_quotes("“El contrato firmado tiene vigencia hasta diciembre”, detalló Daniel Duque.")
    assert es[0]["speaker"] == "Daniel Duque"
    pt = find_quotes("\"As Forças Armadas enviaram questionamentos ao tribunal\", reforçou Wesley Galzo.")
    assert pt[0]["speaker"] == "Wesley Galzo"


def test_name_after_of_is_not_run_into_the_office():
    text = ('Before the vote, Minister in the Ministry of Finance Brian Manning said, "The issue is a simple one." '
            'Manning said the government "will not devalue the currency any time soon."')
    assert [x["speaker"] for x in find_quotes(text)] == ["Brian Manning", "Brian Manning"]


def speakers(text):
    return [x["speaker"] for x in find_quotes(text) if not x["is_term"]]


def test_german_attribution_forms():
    # "so X" after a quotation, a separable verb, "X zufolge", a title compound, an article
    assert speakers("„Wir sind bereit für den Winter“, so Anna Keller.") == ["Anna Keller"]
    assert speakers("„Der Täter ist gefasst“, teilte die Polizei mit.") == ["die Polizei"]
    assert speakers("Die Polizei teilte mit: „Der Täter ist gefasst.“") == ["Die Polizei"]
    assert speakers("Brandt zufolge ist „die Lage in der Stadt sehr ernst“.") == ["Brandt"]
    assert speakers("„Das ist völlig falsch und unfair“, sagte der CDU-Politiker Jens Berger.") == ["Jens Berger"]
    assert speakers("„Das Geld fehlt“, betonte der Vorsitzende des Vereins, Peter Brandt.") == ["Peter Brandt"]
    # impersonal "heißt es": the body named after it, else nobody
    assert speakers("„Die Lage ist ernst“, heißt es in einer Mitteilung des Innenministeriums.") == ["Innenministerium"]
    assert speakers("„Die Lage ist ernst und bleibt es“, heißt es.") == [None]


def test_german_subject_of_the_sentence_that_brings_the_quote():
    # a colon after a sentence whose subject is a person; "sie" is the woman named before
    assert speakers("Jens Berger wies die Vorwürfe zurück: „Das ist völlig falsch.“") == ["Jens Berger"]
    text = ("Die Stadträtin Anna Keller ist zufrieden. Am Abend schickt sie dem Bürgermeister eine Nachricht: "
            "„Wir sind bereit für den Winter.“")
    assert speakers(text) == ["Anna Keller"]
    assert speakers("Die Stadträtin Anna Keller ist zufrieden. „Wir sind bereit“, sagte sie.") == ["Anna Keller"]
    # reported speech (the present subjunctive) quotes the person the text is speaking of
    text = ("Der Reporter Tom Kranz hat Zweifel. Er hält die Zahlen für falsch. "
            "Aber das heiße nicht, »dass wir die ganze Recherche einfach wegwerfen«.")
    assert speakers(text) == ["Tom Kranz"]


def test_spanish_attribution_forms():
    assert speakers("“Estamos listos”, sostuvo el ministro de Salud, Pedro Ruiz.") == ["Pedro Ruiz"]
    assert speakers("“Hay que esperar al juicio”, corroboró el abogado Javier Soto.") == ["Javier Soto"]
    text = ("La candidata Marta Gil llegó tarde. En el foro, Gil criticó al alcalde Pedro Ruiz y dijo: "
            "“Tenemos la oportunidad de cambiar todo.”")
    assert speakers(text) == ["Marta Gil"]
    # a subject left unsaid is the person the sentences before are about, not a party
    text = ("Por su parte, Luis Vera, candidato de Nueva Fuerza Popular, habló de vías. "
            "“Vamos a construir mil kilómetros de carreteras”, dijo al auditorio.")
    assert speakers(text) == ["Luis Vera"]


def test_french_attribution_forms():
    assert speakers("Anne Dubois a déclaré : « Nous sommes prêts pour l'hiver. »") == ["Anne Dubois"]
    assert speakers("D'après Anne Dubois, « nous sommes prêts pour l'hiver et la neige ».") == ["Anne Dubois"]
    got = speakers("« Nous sommes prêts », a indiqué le ministère de l'Intérieur dans un communiqué.")
    assert got == ["le ministère de l'Intérieur"]
    # "Pour la toxicologue, « … »": the person the text names with that role
    text = ("« Le danger n'est pas le risque », précise la toxicologue Claire Morel.\n"
            "Pour la toxicologue, « interdire un produit pour son danger est absurde. »")
    assert speakers(text) == ["Claire Morel", "Claire Morel"]


def test_portuguese_attribution_forms():
    assert speakers('"Estamos prontos", disse ao jornal a prefeita Ana Souza.') == ["Ana Souza"]
    assert speakers('Para o ministro Pedro Lima, "a situação está sob controle desde ontem".') == ["Pedro Lima"]
    # "o repórter" is the journalist named before; "disse." continues the subject
    text = ('"Os militares enviaram cinco ofícios", informa o jornalista Rui Costa, no jornal.\n'
            '"As suspeitas não têm base nenhuma", acrescenta o repórter.')
    assert speakers(text) == ["Rui Costa", "Rui Costa"]
    text = ("O presidente Carlos Mota disse que não vai recuar.\n"
            "O senador Luís Prado esteve no tribunal. Na saída, Prado conversou com os jornalistas. Ele destacou "
            'o papel do Legislativo. "Pode haver acontecimentos pontuais, mas não uma crise", disse.')
    assert speakers(text) == ["Luís Prado"]


def test_english_pronouns_and_roles_refer_to_the_subject_before():
    # "has pointed out": an auxiliary between subject and verb; "on" inside a body's name
    text = "As the Committee on Energy and Water has pointed out, it would be used “to find a journalist’s sources”."
    assert speakers(text) == ["the Committee on Energy and Water"] or speakers(text) == ["Committee on Energy and Water"]
    # "he" after a minister of a ministry is the minister, not the person quoted before
    text = ('Senator Ann Kerr spoke first. "We object," Kerr said.\n'
            'Later, Minister in the Ministry of Finance Carl Moss said, "The issue is simple." '
            'He added this is "a situation that will be brought to equilibrium over time."')
    assert speakers(text)[-1] == "Carl Moss"
    # the person a reporter asked is the one who replies
    text = ("Governor Paul Reed named her to the court.\n"
            "At a press conference, a reporter asked Rosa Montez, “What is the biggest problem?”\n"
            "“Getting people to see their own biases is the hardest part,” she replied.")
    assert speakers(text)[-1] == "Rosa Montez"
    # "the former mayor" is the person the text is speaking of
    text = ("Bloomberg has tried to apologize for the policy.\n"
            "In the speech, the former mayor argued that most of the “victims and suspects were young men.”")
    assert speakers("Michael Bloomberg ran New York.\n" + text) == ["Michael Bloomberg"]
    # an inverted "says X" is a speaker that "she" refers to
    text = ("Spitler is cautious, says Zhang Wei. The array is growing fast, says Nora Quinn. "
            "“That’s where the telescope is really going to shine,” she says.")
    assert speakers(text) == ["Nora Quinn"]


def test_unattributed_quote_takes_the_speaker_named_after_it_in_its_paragraph():
    # a fragment, then the same person's words "added" in the same paragraph (French)
    text = ("Deux Français ont été blessés au Pérou, a déclaré lundi le ministre de l'Intérieur. "
            "Les secours cherchent toujours «plus de trente randonneurs» disparus. "
            "«Nous ne lâcherons rien», a ajouté Paul Girard.")
    assert speakers(text) == ["Paul Girard", "Paul Girard"]
    # a quote that opens a paragraph whose next sentence names its speaker
    text = ('"We want to cut the demand for imported goods in the luxury sectors." '
            "Moss reminded senators that the tax on luxury food had been raised.")
    assert speakers("Finance minister Carl Moss spoke on Monday.\n" + text) == ["Carl Moss"]
    # a quote in the next paragraph that names nobody continues the speaker before
    text = ("Director Rosa Lind warned that “the next wave will come from the south.”\n"
            "However, with two million people yet to get a first dose, the gaps “will keep the region at risk.”")
    assert speakers(text) == ["Rosa Lind", "Rosa Lind"]
    # but a sentence where someone else is said to speak keeps its quote unattributed
    text = "Critics called the plan “a reckless gamble with our money”. “We disagree,” said Mayor Tom Hale."
    assert speakers(text)[0] != "Tom Hale"


def test_bodies_named_at_their_fullest():
    text = ("Ontem o Supremo Tribunal Federal (STF) recebeu o ministro. "
            'Por meio de nota, o Supremo afirmou que as tropas estão "comprometidas com a democracia do país". '
            '"O encontro foi cordial e produtivo", diz o comunicado do STF.')
    assert speakers(text) == ["Supremo Tribunal Federal", "Supremo Tribunal Federal"]
    text = ("El diario consultó a la Alcaldía de Soacha sobre el caso. "
            "“El contrato se cumple sin ninguna irregularidad”, escribió la Alcaldía.")
    assert speakers(text) == ["Alcaldía de Soacha"]
    assert speakers("Buyers included “doctors, lawyers and officers of every rank”, the FBI release states.") == ["FBI"]


def test_names_and_roles_after_a_quotation():
    # a particle inside the name; a name and its role with the verb left out
    assert speakers("“We are ready,” said Anne des Roches, the museum’s director.") == ["Anne des Roches"]
    assert speakers("“Our agents will keep watch on the coast,” Mario Diaz, Director of the Marine Branch.") == ["Mario Diaz"]
    # Spanish "llamó a X “…”": the subject of the verb that names it
    assert speakers("El jurista Pablo Nieto llamó a la ciudad “un lugar al margen de la ley”.") == ["Pablo Nieto"]


def test_subjects_of_participles_roles_and_parenthetical_pronouns():
    # "accused X of arguing “…”": the subject of the sentence said it was argued
    text = "Sen. Ann Bell of Ohio quickly accused Hale of arguing “the city would be better off without any buses.”"
    assert speakers(text) == ["Ann Bell"]
    # "Pour la toxicologue, « … »" inside a paragraph: the person named with that role
    text = ("« Le risque n'est pas le danger », précise la toxicologue Claire Morel.\nLe pilote Marc Roux vole "
            "depuis vingt ans. Pour la toxicologue, « interdire un produit pour son danger est absurde. »")
    assert speakers(text) == ["Claire Morel", "Claire Morel"]
    # "he continued," in the sentence before a quotation that names nobody
    text = ('Finance minister Carl Moss spoke last.\nAt the same time, he continued, taxes on bread were cut. '
            '"That is one way we can ease the strain on families without raising every price."')
    assert speakers(text) == ["Carl Moss"]
    # "the Israeli election" is no mention of a person, even when "Arab Israeli" looks like a name
    text = ("Ben Shaw warned the voters. The first comments on the Israeli election came from the party, "
            "which said that Arab Israeli voters were “coming out in droves to the polls.”")
    assert speakers(text) != ["Arab Israeli"]


def test_more_attribution_forms_in_each_language():
    # a role then the name after a comma, with a title in lower case (pt)
    text = '"Não há crise entre os Poderes", afirmou o presidente do tribunal, ministro Davi Fonseca.'
    assert speakers(text) == ["Davi Fonseca"]
    # roles that refer to the person named before (pt, es); an age as a role (de)
    assert speakers('A advogada Júlia Mendes falou. Para a especialista, "a lei é clara sobre o tema".') == ["Júlia Mendes"]
    text = "El presidente Tomás Vidal habló el lunes. El mandatario aseguró que “no habrá más impuestos este año”."
    assert speakers(text) == ["Tomás Vidal"]
    assert speakers("Der Trainer Hans Wolf war zufrieden. „Wir haben gut gespielt“, meinte der 57-Jährige.") == ["Hans Wolf"]
    # a verb with no subject, then where it was said: no radio station speaks (es)
    text = "El senador Luis Mora criticó el plan. “Es un error histórico”, sostuvo en diálogo con Radio Sur."
    assert speakers(text) == ["Luis Mora"]
    # German: the passive "wird X zitiert", "Wie X am Montag sagte", a spokesman of a body
    assert speakers("„Die Brücke wird bis Mai fertig“, wird Roth in der Mitteilung zitiert.") == ["Roth"]
    assert speakers("Wie Roth am Montag sagte, sei „die Brücke bis Mai fertig“.") == ["Roth"]
    text = "„Die Brücke wird bis Mai fertig“, sagte ein Sprecher des Verkehrsministeriums der Deutschen Presse-Agentur."
    assert speakers(text) == ["ein Sprecher des Verkehrsministeriums"]
    # an inverted subject is the verb's own, not a word far after it (es)
    text = ("En materia de seguridad, Juan Soto, candidato de Fuerza Libre, enfatizó en la importancia de "
            "recuperar la inteligencia del Estado. “No hay seguridad sin inteligencia”, recalcó.")
    assert speakers(text) == ["Juan Soto"]


def test_epithets_possessive_roles_and_single_names_after_a_role():
    # "der SPD-Politiker", "o petista", "o treinador": the person the text is speaking of
    text = "Bundeskanzler Olaf Brandt hat die Pläne verteidigt. „Wir stehen zu unserem Wort“, sagte der SPD-Politiker."
    assert speakers(text) == ["Olaf Brandt"]
    assert speakers('O presidente Lula falou nesta terça. "Não vamos aceitar chantagem", disse o petista.') == ["Lula"]
    assert speakers('O técnico Tite comentou a derrota. "Faltou concentração", lamentou o treinador.') == ["Tite"]
    # a possessive before the role, then the name (fr)
    text = "Le syndicat appelle à la grève. « La mobilisation va continuer », prévient sa secrétaire générale, Sophie Binet."
    assert speakers(text) == ["Sophie Binet"]
    # a spokesman is not the person the paragraph is about; a noun after an article is no person
    text = ("Die Firma Hahn lässt Masken nähen, damit die Verbreitung des Virus gebremst wird. "
            "„Das Tragen muss aber auch erklärt werden“, sagt der Sprecher.")
    assert speakers(text) == ["der Sprecher"]


def test_german_so_between_parts_in_the_words_of_and_documents():
    # „…“, so X, „…“: the second part is X's; the article and the role before the name go
    text = "Der Philosoph Michel Roux schrieb viel. „Es war“, so Roux, „nichts geringeres als eine neue Zeit.“"
    assert [x["speaker"] for x in find_quotes(text)][-1] == "Michel Roux"
    assert speakers("„Wir sind fest davon überzeugt“, sagt Dormagens Handball-Geschäftsführer Björn Barth.") == ["Björn Barth"]
    # "in den Worten von X", "in the words of X"
    assert speakers("Die Firma hat, in den Worten von Kira Marx, „eine beispiellose Wandlung hinter sich“.") == ["Kira Marx"]
    # "heißt es in der Einleitung des Entwurfs": a part of a document is no body; a report stays itself
    assert speakers("„Das Gesetz ist nötig, um die Netze zu zwingen“, heißt es in der Einleitung des Entwurfs.") == [None]
    assert speakers("„Die Österreicher trinken zu viel und zu oft Alkohol“, schreibt Der Bericht.") == ["Der Bericht"]


def test_to_whom_phrases_conjunctions_and_sources_read_in():
    # "dijo a la red X": to whom, the subject is left unsaid (es); "a los senadores" too
    text = "El investigador Hugo Peña habló. “Yo diría que el 90% los tiene la policía”, dijo a la red Erbol."
    assert speakers(text) == ["Hugo Peña"]
    assert speakers("“Sabemos que han pasado bandas”, advirtió la ministra Ana Soto a los senadores.") == ["Ana Soto"]
    # a capitalised conjunction or adverb opens the sentence, it names nobody (es, pt)
    text = "El presidente Gabriel Ríos habló. Y agregó: “Nosotros estamos evaluando a las autoridades”."
    assert speakers(text) == ["Gabriel Ríos"]
    text = "El chileno Hugo Peña investigó. Ahora Peña dice que “habría causado un escándalo mayor”."
    assert speakers(text) == ["Hugo Peña"]
    text = ('O senador Rui Lopes falou. Ele disse que não, mas defendeu "critérios" para conter um '
            '"sentimento de impunidade entre os políticos".')
    assert speakers(text)[-1] == "Rui Lopes"
    # "peut-on lire dans X" (fr); a body of law is no person a pronoun stands for
    text = "« Au total, une douzaine de responsables ont été mis en examen », peut-on lire dans Les Échos."
    assert speakers(text) == ["Les Échos"]


def test_quote_continues_the_last_speaker_when_nobody_else_is_named_since():
    text = ("Governor Tom Rankin made the announcement this afternoon. He said: “The premier was detained.”\n"
            "“I have no further information at this time,” the governor added.\n"
            "Amidst this news, the governor called for “calm at this time”.\n"
            "“I realise this will be shocking news for people in the territory.”")
    assert speakers(text)[-1] == "Tom Rankin"
    # but not when someone else has been named in between
    text = ("“We are ready,” said Mayor Ann Bell.\n"
            "The council's Tom Hale disagreed with the plan and voted against it.\n"
            "“Nobody has asked the residents what they want.”")
    assert speakers(text)[-1] != "Ann Bell"
    # a role in capitals before the name is no part of it
    assert speakers("“Thank you to all our donors,” says Volunteer Coordinator Bonnie Young.") == ["Bonnie Young"]


def test_a_role_named_far_above_yields_to_the_person_spoken_of_since_and_places_are_no_people():
    # "O senador" three paragraphs after another senator was named: the senator the text
    # is speaking of now ("a movimentação de Pacheco" mentions him)
    text = ("O pré-candidato ao Senado é o senador Alexandre Souto.\nO presidente do Senado, Rodrigo Pacheco, "
            "viajou a Minas.\nEm Minas, o PSD negocia apoio.\nO que diz Pacheco\nA movimentação de Pacheco "
            'começou no domingo. O senador criticou os pedidos no que considerou como "manifestações '
            'ilegítimas e antidemocráticas".')
    assert speakers(text) == ["Rodrigo Pacheco"]
    # "East Asia" and "Omicron BA" are no persons a role or a pronoun refers to
    text = ("Director Rosa Lind spoke first.\nCases are rising.\nMore cases.\n"
            "Cases are surging in Europe and East Asia due to Omicron BA.2, and the Director noted that "
            "“we now know what it takes to protect our people.”")
    assert speakers(text) == ["Rosa Lind"]


def test_nouns_that_look_like_verbs_of_saying_and_collective_subjects():
    # "The report" is a noun, "found that" brings what it found; "According to police,"
    text = "The report, released Monday by the Pew Research Center, found that “most Americans distrust the media.”"
    assert speakers(text) == ["The report"]
    assert speakers("According to police, the suspect “fled on foot before officers arrived.”") == ["police"]


def test_a_role_opening_a_sentence_stands_for_the_person_before_it():
    # "El investigador explicó …": the role is the subject of its sentence and stands for
    # the person named before, back over sentences whose subject is left unsaid
    text = ("Ahora Hugo Bustos asegura que no mostró todo el material.\nSeñaló que detectó 112 motorizados.\n"
            "Dijo que el 90% están en manos de autoridades.\nEl investigador explicó que existen tres dificultades.\n"
            "El segundo es el más común. “Si el vehículo está en poder de la Policía, no se pueden "
            "autodenunciar”, aseguró a la red Unitel.")
    assert speakers(text) == ["Hugo Bustos"]
    # "O senador do Podemos pondera …": a role with its of-phrase, not the party "Podemos"
    text = ("O senador Lasier Martins (Podemos-RS) acha que não há espaço.\nPara Martins, um dos senadores "
            "críticos a Pacheco, a articulação é uma manobra.\nO senador do Podemos pondera que não há ameaça "
            'nas ações entre Pacheco e o STF. "É um alarde que o Supremo está fazendo", afirmou.')
    assert speakers(text) == ["Lasier Martins"]


def test_german_roles_by_the_noun_and_nouns_that_are_no_names():
    # "der Franzose", "die Virologin": a person by the noun's ending; "der offenen Grenze
    # Spuren" is an article, an adjective and two nouns, not a person
    text = ("„Das waren bedauerliche Einzelfälle“, sagt Stéphane Mazzucotelli.\nWird die einseitige "
            "Aufkündigung der offenen Grenze Spuren hinterlassen? „Ich glaube nicht, dass die Freundschaft "
            "darunter leidet“, sagt der Franzose.")
    assert speakers(text) == ["Stéphane Mazzucotelli", "Stéphane Mazzucotelli"]
    text = "Die Forscherin Ana Weber leitet die Studie.\n„Die Dunkelziffer ist enorm“, sagt die Virologin."
    assert speakers(text) == ["Ana Weber"]
    # a number word opens a count, not a name
    text = "Zwei Kilometer weiter stehen Beamte. „Ich muss jetzt weitergehen, wir haben viel zu tun.“"
    assert speakers(text) == [None]


def test_portuguese_present_tense_verbs_after_a_quotation():
    assert speakers('"Em 2019, dei entrada na PEC 72 que limita o indulto", justifica o senador Eduardo Girão.') == [
        "Eduardo Girão"]
    assert speakers('"Ele só vai conseguir isso conciliando", critica a deputada Ana Reis.') == ["Ana Reis"]


def test_a_role_whose_of_phrase_lists_several_names_then_the_person():
    text = ("“La directriz va dirigida a las instituciones del sector público”, mencionó la ministra de "
            "Ciencia, Innovación, Tecnología y Telecomunicaciones, Paola Vega.")
    assert speakers(text) == ["Paola Vega"]


def test_attribution_between_spaced_hyphens_inside_the_quotation():
    # Italian writes the verb inside the marks, between " - " as between dashes
    text = ('"L\'importanza delle femmine emerge con chiarezza - dichiara il Presidente Cannata - '
            'L\'orso potrà uscire dal rischio di estinzione".')
    assert speakers(text) == ["Presidente Cannata"]
    assert speakers("«Il lupo è tornato nel parco - spiega la biologa Anna Neri - e resterà».") == ["Anna Neri"]


def test_a_team_around_a_person_and_runs_cut_at_a_body_or_a_sentence_end():
    # "Forscher um Aneta Afelt von der Universität Warschau": Aneta Afelt, not the
    # university; "… Microbiology. Darin warnen sie" names nobody called "Microbiology"
    text = ("«Das biologische Problem hat sich nicht fundamental verändert», schreiben Forscher um Aneta "
            "Afelt von der Universität Warschau in einer Studie in Frontiers in Microbiology. Darin warnen "
            "sie vor dem Aufkommen.\n«In so einem Fall ist das Risiko sehr hoch», schreiben die Forscher um Afelt.")
    assert speakers(text) == ["Aneta Afelt", "Aneta Afelt"]
    # a German adverb opening a sentence is no name either
    text = "Die Studie erschien in Frontiers in Microbiology. Darin warnen sie vor Viren.\n„Das Risiko ist hoch“, sagte sie."
    assert speakers(text) == [None]


def test_second_verb_of_a_subject_and_quotations_sharing_a_sentence():
    # "Gazprom, …, acusó recibo … y destacó …": the subject of both verbs; the quotations
    # after the first one in the sentence are Gazprom's too
    text = ("Por su parte Gazprom, la proveedora rusa del combustible acusó recibo de la notificación y destacó "
            "en un comunicado cómo “los especialistas ucranianos han estado trabajando tranquilamente” que “el "
            "tránsito a través de Sojranovka se proporcionó en su totalidad”.")
    assert speakers(text) == ["Gazprom", "Gazprom"]
    # the subject of both verbs is the name, not a word before it ("Opposition leader")
    text = ("Opposition leader Eva Lindqvist called the result a “historic shift” and said her party would "
            "seek talks with smaller parties. “We are ready to govern,” she said.")
    assert speakers(text) == ["Eva Lindqvist"]


def test_a_body_described_in_words_is_named_by_its_acronym_and_an_unnamed_document_is_nobody():
    text = ("La operadora de la red de transmisión de gas de Ucrania (Gtsou) anunció que interrumpirá el "
            "tránsito por «causas de fuerza mayor», arguyendo que «las acciones de los ocupantes llevaron a "
            "la interrupción del tránsito», según un comunicado.")
    assert speakers(text) == ["Gtsou", "Gtsou"]
    assert speakers("«Las acciones de los ocupantes llevaron a la interrupción», según un comunicado.") == [None]


def test_two_subjects_of_one_verb_and_a_quoted_object_after_the_attribution():
    # "schreiben Berlin und Paris": both; "im „Aachener Vertrag“" is the object of "im",
    # a quoted name, not a second part of the quotation
    text = ("„Beide Regierungen beabsichtigen, in Grenzregionen die Beseitigung von Hindernissen zu erleichtern“, "
            "schreiben Berlin und Paris im „Aachener Vertrag“, der erst vergangenes Jahr in Kraft getreten ist.")
    assert q(text) == [
        ("Beide Regierungen beabsichtigen, in Grenzregionen die Beseitigung von Hindernissen zu erleichtern",
         "Berlin und Paris", 0, False),
        ("Aachener Vertrag", "Berlin und Paris", 1, True),
    ]
