"""Quotes found in small texts: marks, split statements, speakers, scare quotes."""

from archive.quotes import find_quotes


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
    assert q('"Fast," Governor Gavin Newsom told reporters.')[0][1] == "Governor Gavin Newsom"
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
    for x in find_quotes(text):
        assert text[x["start"]:x["end"]] == x["text"] == x["exact"]
        assert text[:x["start"]].endswith(x["prefix"])


def test_arabic_attribution():
    text = "وقال الوزير خالد المنصوري في مؤتمر صحفي: «هذا أعلى رقم»."
    assert q(text)[0][:2] == ("هذا أعلى رقم", "الوزير خالد المنصوري")
