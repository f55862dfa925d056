"""Guest-facing texts in the four supported languages and the rule that picks one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SUPPORTED_LANGUAGES = ("de", "fr", "en", "it")
FALLBACK_LANGUAGE = "en"

# Every key must exist in every language (tests/unit/web/test_i18n.py checks it).
# Placeholders use str.format syntax and must be the same in all languages.
MESSAGES: dict[str, dict[str, str]] = {
    "de": {
        "punct.colon": ": ",
        "page.title": "{event} – Ihre Einladung",
        "page.skip": "Zum Inhalt springen",
        "page.language": "Sprache",
        "page.personal_hint": "Dieser Link ist persönlich. Bitte geben Sie ihn nicht weiter.",
        "greeting.named": "Guten Tag {name}",
        "greeting.anonymous": "Guten Tag",
        "event.when": "Datum und Zeit",
        "event.where": "Ort",
        "event.about": "Über den Anlass",
        "event.calendar": "In meinen Kalender eintragen (.ics)",
        "event.timezone": "Zeitzone: {timezone}",
        "status.label": "Ihr Status",
        "status.open": "Sie sind noch nicht angemeldet",
        "status.accessed": "Sie sind noch nicht angemeldet",
        "status.registered": "Sie sind angemeldet",
        "status.unregistered": "Sie haben abgesagt",
        "status.waitlisted": "Sie stehen auf der Warteliste",
        "status.attended": "Sie haben teilgenommen",
        "bookings.heading": "Ihre Buchungen",
        "booking.label": "Buchung vom {date}",
        "booking.status.confirmed": "Bestätigt",
        "booking.status.waitlisted": "Auf der Warteliste",
        "booking.status.cancelled": "Storniert",
        "booking.ticket_code": "Ticket-Code",
        "booking.qr_title": "QR-Code für den Check-in, Ticket-Code {code}",
        "booking.qr_hint": "Zeigen Sie diesen QR-Code beim Einlass.",
        "booking.checked_in": "Eingecheckt am {date}",
        "booking.cancel": "Buchung stornieren",
        "form.heading": "Anmeldung",
        "form.intro": "Bitte prüfen Sie Ihre Angaben und passen Sie sie bei Bedarf an.",
        "form.required": "Pflichtfeld",
        "form.submit": "Jetzt anmelden",
        "field.firstname": "Vorname",
        "field.lastname": "Nachname",
        "field.email": "E-Mail",
        "field.phone_mobile": "Mobiltelefon",
        "field.organization": "Organisation",
        "field.job_title": "Funktion",
        "decline.heading": "Sie können nicht teilnehmen?",
        "decline.submit": "Einladung absagen",
        "notice.booking_confirmed": "Vielen Dank! Ihre Anmeldung ist bestätigt.",
        "notice.booking_waitlisted": "Der Anlass ist ausgebucht. Sie stehen auf der Warteliste; wir melden uns, sobald ein Platz frei wird.",
        "notice.declined": "Schade, dass Sie nicht dabei sein können. Ihre Absage wurde gespeichert.",
        "notice.cancelled": "Ihre Buchung wurde storniert.",
        "notice.invalid_email": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
        "notice.invalid_phone": "Bitte geben Sie eine gültige Telefonnummer ein.",
        "notice.missing_field": "Bitte füllen Sie alle Pflichtfelder aus.",
        "notice.validation_error": "Bitte prüfen Sie Ihre Angaben.",
        "notice.already_registered": "Sie sind bereits angemeldet.",
        "notice.event_full": "Der Anlass ist leider ausgebucht.",
        "notice.self_cancellation_disabled": "Eine Stornierung ist für diesen Anlass nicht möglich. Bitte wenden Sie sich an die Organisatoren.",
        "notice.booking_not_found": "Diese Buchung wurde nicht gefunden.",
        "notice.not_allowed": "Diese Aktion ist nicht möglich.",
        "notice.booking_limit": "Sie haben bereits die maximale Anzahl Buchungen.",
        "notice.has_booking": "Bitte stornieren Sie zuerst Ihre Buchung, bevor Sie absagen.",
        "notice.busy": "Gerade sind viele Anfragen gleichzeitig eingegangen. Bitte versuchen Sie es erneut.",
        "notice.already_checked_in": "Diese Buchung wurde bereits eingecheckt und kann nicht mehr storniert werden.",
        "notice.invalid_field": "Ein Feld enthält einen ungültigen Wert. Bitte prüfen Sie Ihre Angaben.",
        "notice.unknown_language": "Diese Sprache wird für den Anlass nicht angeboten.",
        "notice.error": "Das hat leider nicht geklappt. Bitte versuchen Sie es erneut.",
        "calendar.personal_link": "Ihr persönlicher Link: {link}",
        "field.title": "Anrede",
        "field.function": "Funktion",
        "field.image": "Bild",
        "field.badge_info": "Badge-Information",
        "field.street": "Strasse",
        "field.zip": "PLZ",
        "field.city": "Ort",
        "page.invited_by": "Eingeladen von",
        "page.privacy": "Datenschutzerklärung",
        "page.favicon_label": "Einladung",
        "form.choose": "Bitte wählen",
        "notice.unknown_field": "Das Formular hat sich geändert. Bitte laden Sie die Seite neu.",
        "notice.invalid_option": "Bitte wählen Sie eine der angebotenen Möglichkeiten.",
        "notice.too_long": "Ein Feld ist zu lang. Bitte kürzen Sie Ihre Angabe.",
        "notice.join_not_open": "Der Zugang zur Online-Veranstaltung ist jetzt nicht offen.",
        "notice.rate_limited": "Zu viele Anmeldungen von Ihrer Verbindung. Bitte versuchen Sie es später erneut.",
        "notice.registration_received": "Danke! Wir haben Ihnen eine E-Mail mit Ihrem persönlichen Link geschickt.",
        "join.heading": "Online teilnehmen",
        "join.button": "Jetzt der Online-Veranstaltung beitreten",
        "join.opens": "Der Zugang öffnet am {date}.",
        "notfound.title": "Link nicht gefunden",
        "notfound.text": "Dieser Link ist nicht gültig. Bitte prüfen Sie ihn oder wenden Sie sich an die Organisatoren, die Sie eingeladen haben.",
        "public.heading": "Anmeldung",
        "public.intro": "Geben Sie Ihre E-Mail-Adresse an. Sie erhalten eine E-Mail mit Ihrem persönlichen Link.",
        "public.language": "Sprache",
        "public.submit": "Anmelden",
        "public.privacy_consent": "Ihre Angaben werden gemäss der {privacy} bearbeitet.",
    },
    "fr": {
        "punct.colon": "\u00a0: ",
        "page.title": "{event} – votre invitation",
        "page.skip": "Aller au contenu",
        "page.language": "Langue",
        "page.personal_hint": "Ce lien est personnel. Merci de ne pas le partager.",
        "greeting.named": "Bonjour {name}",
        "greeting.anonymous": "Bonjour",
        "event.when": "Date et heure",
        "event.where": "Lieu",
        "event.about": "À propos de l'événement",
        "event.calendar": "Ajouter à mon calendrier (.ics)",
        "event.timezone": "Fuseau horaire\u00a0: {timezone}",
        "status.label": "Votre statut",
        "status.open": "Vous n'êtes pas encore inscrit·e",
        "status.accessed": "Vous n'êtes pas encore inscrit·e",
        "status.registered": "Vous êtes inscrit·e",
        "status.unregistered": "Vous avez décliné",
        "status.waitlisted": "Vous êtes sur la liste d'attente",
        "status.attended": "Vous avez participé",
        "bookings.heading": "Vos réservations",
        "booking.label": "Réservation du {date}",
        "booking.status.confirmed": "Confirmée",
        "booking.status.waitlisted": "En liste d'attente",
        "booking.status.cancelled": "Annulée",
        "booking.ticket_code": "Code du billet",
        "booking.qr_title": "Code QR pour l'enregistrement, code du billet {code}",
        "booking.qr_hint": "Présentez ce code QR à l'entrée.",
        "booking.checked_in": "Enregistré le {date}",
        "booking.cancel": "Annuler la réservation",
        "form.heading": "Inscription",
        "form.intro": "Vérifiez vos données et modifiez-les si nécessaire.",
        "form.required": "obligatoire",
        "form.submit": "M'inscrire",
        "field.firstname": "Prénom",
        "field.lastname": "Nom",
        "field.email": "E-mail",
        "field.phone_mobile": "Téléphone mobile",
        "field.organization": "Organisation",
        "field.job_title": "Fonction",
        "decline.heading": "Vous ne pouvez pas participer\u00a0?",
        "decline.submit": "Décliner l'invitation",
        "notice.booking_confirmed": "Merci\u00a0! Votre inscription est confirmée.",
        "notice.booking_waitlisted": "L'événement est complet. Vous êtes sur la liste d'attente\u00a0; nous vous informerons dès qu'une place se libère.",
        "notice.declined": "Dommage que vous ne puissiez pas venir. Votre refus a été enregistré.",
        "notice.cancelled": "Votre réservation a été annulée.",
        "notice.invalid_email": "Veuillez saisir une adresse e-mail valide.",
        "notice.invalid_phone": "Veuillez saisir un numéro de téléphone valide.",
        "notice.missing_field": "Veuillez remplir tous les champs obligatoires.",
        "notice.validation_error": "Veuillez vérifier vos données.",
        "notice.already_registered": "Vous êtes déjà inscrit·e.",
        "notice.event_full": "L'événement est malheureusement complet.",
        "notice.self_cancellation_disabled": "L'annulation n'est pas possible pour cet événement. Veuillez contacter les organisateurs.",
        "notice.booking_not_found": "Cette réservation est introuvable.",
        "notice.not_allowed": "Cette action n'est pas possible.",
        "notice.booking_limit": "Vous avez déjà atteint le nombre maximal de réservations.",
        "notice.has_booking": "Veuillez d'abord annuler votre réservation avant de décliner.",
        "notice.busy": "Trop de demandes simultanées. Veuillez réessayer.",
        "notice.already_checked_in": "Cette réservation a déjà été enregistrée à l'entrée et ne peut plus être annulée.",
        "notice.invalid_field": "Un champ contient une valeur non valide. Veuillez vérifier vos données.",
        "notice.unknown_language": "Cette langue n'est pas proposée pour cet événement.",
        "notice.error": "Une erreur s'est produite. Veuillez réessayer.",
        "calendar.personal_link": "Votre lien personnel\u00a0: {link}",
        "field.title": "Titre",
        "field.function": "Fonction",
        "field.image": "Image",
        "field.badge_info": "Information du badge",
        "field.street": "Rue",
        "field.zip": "NPA",
        "field.city": "Localité",
        "page.invited_by": "Invitation de",
        "page.privacy": "Déclaration de protection des données",
        "page.favicon_label": "Invitation",
        "form.choose": "Veuillez choisir",
        "notice.unknown_field": "Le formulaire a changé. Veuillez recharger la page.",
        "notice.invalid_option": "Veuillez choisir une des options proposées.",
        "notice.too_long": "Un champ est trop long. Veuillez raccourcir votre saisie.",
        "notice.join_not_open": "L'accès à l'événement en ligne n'est pas ouvert maintenant.",
        "notice.rate_limited": "Trop d'inscriptions depuis votre connexion. Veuillez réessayer plus tard.",
        "notice.registration_received": "Merci ! Nous vous avons envoyé un e-mail avec votre lien personnel.",
        "join.heading": "Participer en ligne",
        "join.button": "Rejoindre l'événement en ligne",
        "join.opens": "L'accès ouvre le {date}.",
        "notfound.title": "Lien introuvable",
        "notfound.text": "Ce lien n'est pas valide. Veuillez le vérifier ou contacter les organisateurs qui vous ont invité·e.",
        "public.heading": "Inscription",
        "public.intro": "Indiquez votre adresse e-mail. Vous recevrez un e-mail avec votre lien personnel.",
        "public.language": "Langue",
        "public.submit": "M'inscrire",
        "public.privacy_consent": "Vos données sont traitées selon la {privacy}.",
    },
    "en": {
        "punct.colon": ": ",
        "page.title": "{event} – your invitation",
        "page.skip": "Skip to content",
        "page.language": "Language",
        "page.personal_hint": "This link is personal. Please do not share it.",
        "greeting.named": "Hello {name}",
        "greeting.anonymous": "Hello",
        "event.when": "Date and time",
        "event.where": "Venue",
        "event.about": "About the event",
        "event.calendar": "Add to my calendar (.ics)",
        "event.timezone": "Time zone: {timezone}",
        "status.label": "Your status",
        "status.open": "You have not registered yet",
        "status.accessed": "You have not registered yet",
        "status.registered": "You are registered",
        "status.unregistered": "You have declined",
        "status.waitlisted": "You are on the waiting list",
        "status.attended": "You took part",
        "bookings.heading": "Your bookings",
        "booking.label": "Booking of {date}",
        "booking.status.confirmed": "Confirmed",
        "booking.status.waitlisted": "On the waiting list",
        "booking.status.cancelled": "Cancelled",
        "booking.ticket_code": "Ticket code",
        "booking.qr_title": "Check-in QR code, ticket code {code}",
        "booking.qr_hint": "Show this QR code at the entrance.",
        "booking.checked_in": "Checked in on {date}",
        "booking.cancel": "Cancel booking",
        "form.heading": "Registration",
        "form.intro": "Please check your details and change them if needed.",
        "form.required": "required",
        "form.submit": "Register now",
        "field.firstname": "First name",
        "field.lastname": "Last name",
        "field.email": "Email",
        "field.phone_mobile": "Mobile phone",
        "field.organization": "Organisation",
        "field.job_title": "Job title",
        "decline.heading": "Can't make it?",
        "decline.submit": "Decline the invitation",
        "notice.booking_confirmed": "Thank you! Your registration is confirmed.",
        "notice.booking_waitlisted": "The event is full. You are on the waiting list; we will let you know as soon as a place becomes free.",
        "notice.declined": "Sorry you can't make it. Your reply has been saved.",
        "notice.cancelled": "Your booking has been cancelled.",
        "notice.invalid_email": "Please enter a valid email address.",
        "notice.invalid_phone": "Please enter a valid phone number.",
        "notice.missing_field": "Please fill in all required fields.",
        "notice.validation_error": "Please check your details.",
        "notice.already_registered": "You are already registered.",
        "notice.event_full": "Sorry, the event is full.",
        "notice.self_cancellation_disabled": "Cancelling is not possible for this event. Please contact the organisers.",
        "notice.booking_not_found": "This booking could not be found.",
        "notice.not_allowed": "This action is not possible.",
        "notice.booking_limit": "You already have the maximum number of bookings.",
        "notice.has_booking": "Please cancel your booking before declining.",
        "notice.busy": "Too many requests at the same time. Please try again.",
        "notice.already_checked_in": "This booking has already been checked in and can no longer be cancelled.",
        "notice.invalid_field": "A field contains an invalid value. Please check your details.",
        "notice.unknown_language": "This language is not offered for the event.",
        "notice.error": "Something went wrong. Please try again.",
        "calendar.personal_link": "Your personal link: {link}",
        "field.title": "Title",
        "field.function": "Function",
        "field.image": "Picture",
        "field.badge_info": "Badge information",
        "field.street": "Street",
        "field.zip": "Postcode",
        "field.city": "City",
        "page.invited_by": "Invited by",
        "page.privacy": "Privacy notice",
        "page.favicon_label": "Invitation",
        "form.choose": "Please choose",
        "notice.unknown_field": "The form has changed. Please reload the page.",
        "notice.invalid_option": "Please choose one of the options offered.",
        "notice.too_long": "A field is too long. Please shorten it.",
        "notice.join_not_open": "The online event cannot be joined right now.",
        "notice.rate_limited": "Too many registrations from your connection. Please try again later.",
        "notice.registration_received": "Thank you! We have sent you an email with your personal link.",
        "join.heading": "Join online",
        "join.button": "Join the online event now",
        "join.opens": "Joining opens on {date}.",
        "notfound.title": "Link not found",
        "notfound.text": "This link is not valid. Please check it, or contact the organisers who invited you.",
        "public.heading": "Registration",
        "public.intro": "Enter your email address. We will send you an email with your personal link.",
        "public.language": "Language",
        "public.submit": "Register",
        "public.privacy_consent": "Your details are handled as described in the {privacy}.",
    },
    "it": {
        "punct.colon": ": ",
        "page.title": "{event} – il suo invito",
        "page.skip": "Vai al contenuto",
        "page.language": "Lingua",
        "page.personal_hint": "Questo link è personale. La preghiamo di non condividerlo.",
        "greeting.named": "Buongiorno {name}",
        "greeting.anonymous": "Buongiorno",
        "event.when": "Data e ora",
        "event.where": "Luogo",
        "event.about": "Informazioni sull'evento",
        "event.calendar": "Aggiungi al mio calendario (.ics)",
        "event.timezone": "Fuso orario: {timezone}",
        "status.label": "Il suo stato",
        "status.open": "Non si è ancora iscritto",
        "status.accessed": "Non si è ancora iscritto",
        "status.registered": "È iscritto",
        "status.unregistered": "Ha declinato l'invito",
        "status.waitlisted": "È in lista d'attesa",
        "status.attended": "Ha partecipato",
        "bookings.heading": "Le sue prenotazioni",
        "booking.label": "Prenotazione del {date}",
        "booking.status.confirmed": "Confermata",
        "booking.status.waitlisted": "In lista d'attesa",
        "booking.status.cancelled": "Annullata",
        "booking.ticket_code": "Codice del biglietto",
        "booking.qr_title": "Codice QR per il check-in, codice del biglietto {code}",
        "booking.qr_hint": "Mostri questo codice QR all'ingresso.",
        "booking.checked_in": "Check-in effettuato il {date}",
        "booking.cancel": "Annulla la prenotazione",
        "form.heading": "Iscrizione",
        "form.intro": "Verifichi i suoi dati e li modifichi se necessario.",
        "form.required": "obbligatorio",
        "form.submit": "Iscriviti ora",
        "field.firstname": "Nome",
        "field.lastname": "Cognome",
        "field.email": "E-mail",
        "field.phone_mobile": "Cellulare",
        "field.organization": "Organizzazione",
        "field.job_title": "Funzione",
        "decline.heading": "Non può partecipare?",
        "decline.submit": "Declina l'invito",
        "notice.booking_confirmed": "Grazie! La sua iscrizione è confermata.",
        "notice.booking_waitlisted": "L'evento è al completo. È in lista d'attesa; la informeremo appena si libera un posto.",
        "notice.declined": "Peccato che non possa partecipare. La sua risposta è stata registrata.",
        "notice.cancelled": "La sua prenotazione è stata annullata.",
        "notice.invalid_email": "Inserisca un indirizzo e-mail valido.",
        "notice.invalid_phone": "Inserisca un numero di telefono valido.",
        "notice.missing_field": "Compili tutti i campi obbligatori.",
        "notice.validation_error": "Verifichi i suoi dati.",
        "notice.already_registered": "È già iscritto.",
        "notice.event_full": "Purtroppo l'evento è al completo.",
        "notice.self_cancellation_disabled": "L'annullamento non è possibile per questo evento. Contatti gli organizzatori.",
        "notice.booking_not_found": "Questa prenotazione non è stata trovata.",
        "notice.not_allowed": "Questa azione non è possibile.",
        "notice.booking_limit": "Ha già raggiunto il numero massimo di prenotazioni.",
        "notice.has_booking": "Annulli prima la sua prenotazione, poi declini l'invito.",
        "notice.busy": "Troppe richieste contemporanee. Riprovi.",
        "notice.already_checked_in": "Questa prenotazione ha già effettuato il check-in e non può più essere annullata.",
        "notice.invalid_field": "Un campo contiene un valore non valido. Verifichi i suoi dati.",
        "notice.unknown_language": "Questa lingua non è disponibile per l'evento.",
        "notice.error": "Qualcosa è andato storto. Riprovi.",
        "calendar.personal_link": "Il suo link personale: {link}",
        "field.title": "Titolo",
        "field.function": "Funzione",
        "field.image": "Immagine",
        "field.badge_info": "Informazioni badge",
        "field.street": "Via",
        "field.zip": "NPA",
        "field.city": "Località",
        "page.invited_by": "Invito di",
        "page.privacy": "Informativa sulla protezione dei dati",
        "page.favicon_label": "Invito",
        "form.choose": "Scelga",
        "notice.unknown_field": "Il modulo è cambiato. Ricarichi la pagina.",
        "notice.invalid_option": "Scelga una delle opzioni proposte.",
        "notice.too_long": "Un campo è troppo lungo. Lo accorci.",
        "notice.join_not_open": "L'accesso all'evento online non è aperto ora.",
        "notice.rate_limited": "Troppe iscrizioni dalla sua connessione. Riprovi più tardi.",
        "notice.registration_received": "Grazie! Le abbiamo inviato un'e-mail con il suo link personale.",
        "join.heading": "Partecipare online",
        "join.button": "Partecipa ora all'evento online",
        "join.opens": "L'accesso apre il {date}.",
        "notfound.title": "Link non trovato",
        "notfound.text": "Questo link non è valido. Lo verifichi o contatti gli organizzatori che l'hanno invitata.",
        "public.heading": "Iscrizione",
        "public.intro": "Indichi il suo indirizzo e-mail. Riceverà un'e-mail con il suo link personale.",
        "public.language": "Lingua",
        "public.submit": "Iscriviti",
        "public.privacy_consent": "I suoi dati sono trattati secondo l'{privacy}.",
    },
}

# Notices that report success; every other notice code is shown as an error.
SUCCESS_NOTICES = frozenset({"booking_confirmed", "declined", "cancelled", "registration_received"})
INFO_NOTICES = frozenset({"booking_waitlisted"})


def normalize_language(value: str | None) -> str | None:
    """`"fr-CH"`, `" FR "` -> `"fr"`; anything unsupported -> None."""
    if not value or not isinstance(value, str):
        return None
    primary = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in SUPPORTED_LANGUAGES else None


def _offered(event: Mapping[str, Any]) -> set[str]:
    languages: Iterable[Any] = event.get("languages") or SUPPORTED_LANGUAGES
    return {code for code in (normalize_language(lang) for lang in languages) if code}


def choose_language(query_lang: str | None, contact_lang: str | None, event: Mapping[str, Any]) -> str:
    """?lang= (if offered by the event), then the contact's language (same rule),
    then the event's default language, then English."""
    offered = _offered(event)
    for candidate in (query_lang, contact_lang):
        code = normalize_language(candidate)
        if code and code in offered:
            return code
    return normalize_language(event.get("default_language")) or FALLBACK_LANGUAGE


def translate(key: str, lang: str, **params: Any) -> str:
    """The text for `key` in `lang` (English if the language is unknown), formatted with params.

    Raises KeyError for a key that exists nowhere: a typo must fail in tests, not show up
    on a guest's page.
    """
    table = MESSAGES.get(normalize_language(lang) or FALLBACK_LANGUAGE, MESSAGES[FALLBACK_LANGUAGE])
    text = table.get(key)
    if text is None:
        text = MESSAGES[FALLBACK_LANGUAGE][key]
    return text.format(**params) if params else text


def notice_key(code: str) -> str:
    """The message key for a notice code; unknown codes get the generic error text."""
    key = f"notice.{code}"
    return key if key in MESSAGES[FALLBACK_LANGUAGE] else "notice.error"


def notice_kind(code: str) -> str:
    if code in SUCCESS_NOTICES:
        return "success"
    if code in INFO_NOTICES:
        return "info"
    return "error"


def language_from_header(accept_language: str | None) -> str | None:
    """The browser's preferred supported language from an Accept-Language header (q-values honoured)."""
    if not accept_language or not isinstance(accept_language, str):
        return None
    ranked = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = normalize_language(tag)
        if code and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None
