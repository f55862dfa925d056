"""Transactional messages to guests (booking confirmed, waitlisted, promoted, cancelled, unregistered,
their personal link) in de/fr/en/it, as `guestlist.mail` messages.

A contact with an email gets a mail (text + HTML with the link as a button; a confirmed
booking carries its QR code and the calendar file); a contact with only a mobile number
gets a short SMS with the link; a contact with neither gets nothing (`compose` -> None).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from .mail import Attachment, Mail, Message, Sms

KINDS = ("booking_confirmed", "waitlisted", "promoted", "cancelled", "unregistered", "personal_link")

# Every kind has `subject`, `lead` and `sms` in every language (a unit test checks it).
TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "greeting.named": "Guten Tag {name}",
        "greeting.anonymous": "Guten Tag",
        "button": "Meine Einladung öffnen",
        "link": "Ihr persönlicher Link: {link}",
        "personal": "Dieser Link ist persönlich. Bitte geben Sie ihn nicht weiter.",
        "when": "Wann",
        "where": "Wo",
        "attachments": "Im Anhang: Ihr QR-Code für den Einlass und die Kalenderdatei.",
        "booking_confirmed.subject": "Anmeldung bestätigt: {event}",
        "booking_confirmed.lead": "Vielen Dank! Ihre Anmeldung für «{event}» ist bestätigt. Zeigen Sie beim Einlass den QR-Code.",
        "booking_confirmed.sms": "{event}: Ihre Anmeldung ist bestätigt. Ihr Ticket: {link}",
        "waitlisted.subject": "Warteliste: {event}",
        "waitlisted.lead": "Der Anlass «{event}» ist ausgebucht. Sie stehen auf der Warteliste; wir melden uns, sobald ein Platz frei wird.",
        "waitlisted.sms": "{event}: Sie stehen auf der Warteliste. {link}",
        "promoted.subject": "Ein Platz ist frei geworden: {event}",
        "promoted.lead": "Gute Nachricht: Für «{event}» ist ein Platz frei geworden. Ihre Anmeldung ist jetzt bestätigt.",
        "promoted.sms": "{event}: Ein Platz ist frei geworden, Ihre Anmeldung ist bestätigt. {link}",
        "cancelled.subject": "Buchung storniert: {event}",
        "cancelled.lead": "Ihre Buchung für «{event}» wurde storniert.",
        "cancelled.sms": "{event}: Ihre Buchung wurde storniert. {link}",
        "unregistered.subject": "Abmeldung: {event}",
        "unregistered.lead": "Die Organisatoren haben Sie von «{event}» abgemeldet. Bei Fragen wenden Sie sich bitte an sie.",
        "unregistered.sms": "{event}: Sie wurden abgemeldet. {link}",
        "personal_link.subject": "Ihr persönlicher Link: {event}",
        "personal_link.lead": "Hier ist Ihr persönlicher Link zu «{event}».",
        "personal_link.sms": "{event}: Ihr persönlicher Link {link}",
    },
    "fr": {
        "greeting.named": "Bonjour {name}",
        "greeting.anonymous": "Bonjour",
        "button": "Ouvrir mon invitation",
        "link": "Votre lien personnel\u00a0: {link}",
        "personal": "Ce lien est personnel. Merci de ne pas le transmettre.",
        "when": "Quand",
        "where": "Où",
        "attachments": "En pièces jointes\u00a0: votre code QR pour l'entrée et le fichier de calendrier.",
        "booking_confirmed.subject": "Inscription confirmée\u00a0: {event}",
        "booking_confirmed.lead": "Merci\u00a0! Votre inscription à «\u00a0{event}\u00a0» est confirmée. Présentez le code QR à l'entrée.",
        "booking_confirmed.sms": "{event}\u00a0: votre inscription est confirmée. Votre billet\u00a0: {link}",
        "waitlisted.subject": "Liste d'attente\u00a0: {event}",
        "waitlisted.lead": "L'événement «\u00a0{event}\u00a0» est complet. Vous êtes sur la liste d'attente\u00a0; nous vous écrirons dès qu'une place se libère.",
        "waitlisted.sms": "{event}\u00a0: vous êtes sur la liste d'attente. {link}",
        "promoted.subject": "Une place s'est libérée\u00a0: {event}",
        "promoted.lead": "Bonne nouvelle\u00a0: une place s'est libérée pour «\u00a0{event}\u00a0». Votre inscription est maintenant confirmée.",
        "promoted.sms": "{event}\u00a0: une place s'est libérée, votre inscription est confirmée. {link}",
        "cancelled.subject": "Réservation annulée\u00a0: {event}",
        "cancelled.lead": "Votre réservation pour «\u00a0{event}\u00a0» a été annulée.",
        "cancelled.sms": "{event}\u00a0: votre réservation a été annulée. {link}",
        "unregistered.subject": "Désinscription\u00a0: {event}",
        "unregistered.lead": "Les organisateurs vous ont désinscrit de «\u00a0{event}\u00a0». Pour toute question, adressez-vous à eux.",
        "unregistered.sms": "{event}\u00a0: vous avez été désinscrit. {link}",
        "personal_link.subject": "Votre lien personnel\u00a0: {event}",
        "personal_link.lead": "Voici votre lien personnel pour «\u00a0{event}\u00a0».",
        "personal_link.sms": "{event}\u00a0: votre lien personnel {link}",
    },
    "en": {
        "greeting.named": "Hello {name}",
        "greeting.anonymous": "Hello",
        "button": "Open my invitation",
        "link": "Your personal link: {link}",
        "personal": "This link is personal. Please do not forward it.",
        "when": "When",
        "where": "Where",
        "attachments": "Attached: your QR code for the entrance and the calendar file.",
        "booking_confirmed.subject": "Registration confirmed: {event}",
        "booking_confirmed.lead": "Thank you! Your registration for “{event}” is confirmed. Show the QR code at the entrance.",
        "booking_confirmed.sms": "{event}: your registration is confirmed. Your ticket: {link}",
        "waitlisted.subject": "Waiting list: {event}",
        "waitlisted.lead": "“{event}” is fully booked. You are on the waiting list; we will write as soon as a place becomes free.",
        "waitlisted.sms": "{event}: you are on the waiting list. {link}",
        "promoted.subject": "A place became free: {event}",
        "promoted.lead": "Good news: a place became free for “{event}”. Your registration is now confirmed.",
        "promoted.sms": "{event}: a place became free, your registration is confirmed. {link}",
        "cancelled.subject": "Booking cancelled: {event}",
        "cancelled.lead": "Your booking for “{event}” was cancelled.",
        "cancelled.sms": "{event}: your booking was cancelled. {link}",
        "unregistered.subject": "Unregistered: {event}",
        "unregistered.lead": "The organisers have unregistered you from “{event}”. Please contact them with any questions.",
        "unregistered.sms": "{event}: you have been unregistered. {link}",
        "personal_link.subject": "Your personal link: {event}",
        "personal_link.lead": "Here is your personal link to “{event}”.",
        "personal_link.sms": "{event}: your personal link {link}",
    },
    "it": {
        "greeting.named": "Buongiorno {name}",
        "greeting.anonymous": "Buongiorno",
        "button": "Apri il mio invito",
        "link": "Il suo link personale: {link}",
        "personal": "Questo link è personale. La preghiamo di non inoltrarlo.",
        "when": "Quando",
        "where": "Dove",
        "attachments": "In allegato: il suo codice QR per l'ingresso e il file del calendario.",
        "booking_confirmed.subject": "Iscrizione confermata: {event}",
        "booking_confirmed.lead": "Grazie! La sua iscrizione a «{event}» è confermata. Mostri il codice QR all'ingresso.",
        "booking_confirmed.sms": "{event}: la sua iscrizione è confermata. Il suo biglietto: {link}",
        "waitlisted.subject": "Lista d'attesa: {event}",
        "waitlisted.lead": "L'evento «{event}» è al completo. Lei è in lista d'attesa; le scriveremo appena si libera un posto.",
        "waitlisted.sms": "{event}: lei è in lista d'attesa. {link}",
        "promoted.subject": "Si è liberato un posto: {event}",
        "promoted.lead": "Buone notizie: si è liberato un posto per «{event}». La sua iscrizione è ora confermata.",
        "promoted.sms": "{event}: si è liberato un posto, la sua iscrizione è confermata. {link}",
        "cancelled.subject": "Prenotazione annullata: {event}",
        "cancelled.lead": "La sua prenotazione per «{event}» è stata annullata.",
        "cancelled.sms": "{event}: la sua prenotazione è stata annullata. {link}",
        "unregistered.subject": "Disiscrizione: {event}",
        "unregistered.lead": "Gli organizzatori l'hanno disiscritta da «{event}». Per domande si rivolga a loro.",
        "unregistered.sms": "{event}: è stato disiscritto. {link}",
        "personal_link.subject": "Il suo link personale: {event}",
        "personal_link.lead": "Ecco il suo link personale per «{event}».",
        "personal_link.sms": "{event}: il suo link personale {link}",
    },
}
_WITH_TICKET = ("booking_confirmed", "promoted")


def localised(value: Any, lang: str, default_lang: str | None = None) -> str:
    """An event text that is a string or `{lang: text}`: the language, else the default, else any."""
    if isinstance(value, Mapping):
        for code in (lang, default_lang, "en"):
            if code and value.get(code):
                return str(value[code])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def language_for(contact: Mapping, event: Mapping) -> str:
    """The contact's language when the event offers it (and we have texts), else the event's default."""
    from .web.i18n import choose_language

    lang = choose_language(None, contact.get("language"), event)
    return lang if lang in TEXTS else "en"


def text(key: str, lang: str, **params: Any) -> str:
    table = TEXTS.get(lang) or TEXTS["en"]
    return (table.get(key) or TEXTS["en"][key]).format(**params)


def display_name(contact: Mapping) -> str:
    return " ".join(str(contact[k]) for k in ("firstname", "lastname") if contact.get(k)).strip()


def when_text(event: Mapping, lang: str) -> str | None:
    """The event's span for the language, in the event's time zone (None without a start)."""
    if not event.get("start"):
        return None
    from .web.dates import format_range, zone

    return format_range(event["start"], event.get("end"), zone(event.get("timezone")), lang)


def button_html(url: str, label: str) -> str:
    """A bulletproof mail button: a styled link (no images, no script)."""
    return (f'<p style="margin:24px 0"><a href="{html.escape(url)}" style="background:#1a56db;color:#ffffff;'
            f'padding:12px 20px;border-radius:6px;text-decoration:none;font-weight:bold;display:inline-block">'
            f'{html.escape(label)}</a></p>')


def html_document(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{html.escape(title)}</title></head>'
            f'<body style="font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#111;'
            f'max-width:600px;margin:0 auto;padding:16px">{body}</body></html>')


def ticket_attachments(event: Mapping, link: str, lang: str, ticket_code: str | None) -> tuple[Attachment, ...]:
    """The booking's QR code (PNG, what mail clients show) and the calendar file with the link in it."""
    out: list[Attachment] = []
    if ticket_code:
        import io

        from .web.qr import qr_matrix_code

        png = io.BytesIO()
        qr_matrix_code(ticket_code).save(png, kind="png", scale=8, border=4)
        out.append(Attachment("ticket-qr.png", "image/png", png.getvalue()))
    if event.get("start") and event.get("event_id"):
        from .web.calendar import build_calendar

        named = {**event, "name": localised(event.get("name"), lang, event.get("default_language")),
                 "venue": localised(event.get("venue"), lang, event.get("default_language")) or None,
                 "description": localised(event.get("description"), lang, event.get("default_language")) or None}
        out.append(Attachment("event.ics", "text/calendar; method=PUBLISH", build_calendar(named, link, lang)))
    return tuple(out)


def compose(kind: str, *, event: Mapping, contact: Mapping, link: str, ticket_code: str | None = None,
            sender: str | None = None) -> Message | None:
    """The message `kind` owes this contact, by mail when it has an email, else by SMS, else None."""
    if kind not in KINDS:
        raise ValueError(f"unknown transactional kind {kind!r}")
    lang = language_for(contact, event)
    name = localised(event.get("name"), lang, event.get("default_language"))
    if contact.get("email"):
        return _mail(kind, lang, name, event, contact, link, ticket_code, sender)
    if contact.get("phone_mobile"):
        return Sms(to=str(contact["phone_mobile"]), text=text(f"{kind}.sms", lang, event=name, link=link))
    return None


def _mail(kind: str, lang: str, name: str, event: Mapping, contact: Mapping, link: str,
          ticket_code: str | None, sender: str | None) -> Mail:
    person = display_name(contact)
    greeting = text("greeting.named", lang, name=person) if person else text("greeting.anonymous", lang)
    lead = text(f"{kind}.lead", lang, event=name)
    given = [(text("when", lang), when_text(event, lang)),
             (text("where", lang), localised(event.get("venue"), lang, event.get("default_language")) or None)]
    facts = [(label, value) for label, value in given if value]
    attachments = ticket_attachments(event, link, lang, ticket_code) if kind in _WITH_TICKET else ()
    extra = [text("attachments", lang)] if attachments else []
    plain = "\n\n".join([f"{greeting},", lead, *[f"{label}: {value}" for label, value in facts], *extra,
                         text("link", lang, link=link), text("personal", lang)]) + "\n"
    body = (f"<p>{html.escape(greeting)},</p><p>{html.escape(lead)}</p>"
            + "".join(f"<p><strong>{html.escape(label)}:</strong> {html.escape(value)}</p>" for label, value in facts)
            + button_html(link, text("button", lang))
            + "".join(f"<p>{html.escape(line)}</p>" for line in extra)
            + f'<p style="color:#555;font-size:13px">{html.escape(text("personal", lang))}</p>')
    subject = text(f"{kind}.subject", lang, event=name)
    return Mail(to=str(contact["email"]), subject=subject, text=plain, html=html_document(lang, subject, body),
                attachments=attachments, sender=sender)
