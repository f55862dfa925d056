from guestlist.web import SUPPORTED_LANGUAGES, choose_language

EVENT = {"languages": ["de", "fr", "en"], "default_language": "de"}


def test_supported_languages_are_the_four_national_and_english():
    assert SUPPORTED_LANGUAGES == ("de", "fr", "en", "it")


def test_query_language_wins_when_the_event_offers_it():
    assert choose_language("en", "fr", EVENT) == "en"


def test_query_language_not_offered_by_event_falls_through_to_contact():
    assert choose_language("it", "fr", EVENT) == "fr"


def test_unsupported_query_language_is_ignored():
    assert choose_language("es", "fr", EVENT) == "fr"
    assert choose_language("<script>", None, EVENT) == "de"


def test_contact_language_before_event_default():
    assert choose_language(None, "en", EVENT) == "en"


def test_region_and_case_are_ignored():
    assert choose_language("FR-ch", None, EVENT) == "fr"
    assert choose_language(None, "en_GB", EVENT) == "en"


def test_contact_language_not_offered_by_event_falls_to_default():
    assert choose_language(None, "it", EVENT) == "de"


def test_event_default_then_english():
    assert choose_language(None, None, EVENT) == "de"
    assert choose_language(None, None, {"languages": ["de"], "default_language": "xx"}) == "en"
    assert choose_language(None, None, {}) == "en"


def test_event_without_language_list_offers_all_supported():
    assert choose_language("it", None, {"default_language": "de"}) == "it"
