import string

import pytest

from guestlist.web import SUPPORTED_LANGUAGES, translate
from guestlist.web.i18n import MESSAGES, notice_key


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_key():
    assert set(MESSAGES) == set(SUPPORTED_LANGUAGES)
    keys = set().union(*(set(table) for table in MESSAGES.values()))
    for lang, table in MESSAGES.items():
        assert set(table) == keys, f"{lang} misses {sorted(keys - set(table))}"


def test_every_text_is_non_empty_and_uses_the_same_placeholders():
    for key, english in MESSAGES["en"].items():
        for lang in SUPPORTED_LANGUAGES:
            text = MESSAGES[lang][key]
            assert text.strip(), (lang, key)
            assert _placeholders(text) == _placeholders(english), (lang, key)


def test_guests_read_sentences_written_for_them_not_the_organisers_list_words():
    assert translate("status.registered", "en") == "You are registered"
    assert translate("status.waitlisted", "de") == "Sie stehen auf der Warteliste"
    organiser_words = {"Ouvert", "Accédé", "Inscrit", "Désinscrit", "En attente", "Participé", "Offen", "Aufgerufen"}
    for lang in SUPPORTED_LANGUAGES:
        for status in ("open", "accessed", "registered", "unregistered", "waitlisted", "attended"):
            assert translate(f"status.{status}", lang) not in organiser_words


@pytest.mark.parametrize("lang", SUPPORTED_LANGUAGES)
def test_statuses_a_guest_can_tell_apart_have_distinct_sentences(lang):
    # open and accessed are one thing to a guest: not registered yet
    names = {translate(f"status.{s}", lang) for s in
             ("open", "registered", "unregistered", "waitlisted", "attended")}
    assert len(names) == 5


def test_translate_formats_parameters():
    assert translate("greeting.named", "de", name="Anna") == "Guten Tag Anna"


def test_unknown_language_falls_back_to_english():
    assert translate("form.submit", "xx") == MESSAGES["en"]["form.submit"]


def test_unknown_key_raises():
    with pytest.raises(KeyError):
        translate("no.such.key", "en")


def test_unknown_notice_codes_map_to_the_generic_error():
    assert notice_key("booking_confirmed") == "notice.booking_confirmed"
    assert notice_key("something_new") == "notice.error"
