"""Language choice: the account's, else the remembered cookie, else the browser's, else Indian English.

Also the translation of WTForms' own messages ("Not a valid choice.") through Haat's catalogue: WTForms ships
Tamil among its languages but not Hindi, Marathi, Telugu, Kannada or Bengali.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from babel import Locale, support
from flask import g, has_request_context, request
from flask_babel import get_locale, get_translations, lazy_ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, FileStorage, MultiDict
from wtforms import FileField
from wtforms.i18n import messages_path

from market.core.config import LOCALES


def N_(text: str) -> str:  # the name gettext tools look for
    """Mark text for the catalogue without translating it here: the caller translates it when shown."""
    return text


def select_locale() -> str:
    """The locale for this request (Indian English outside a request: CLI, workers)."""
    if not has_request_context():
        return "en_IN"
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    cookie = request.cookies.get("lang")
    if cookie in LOCALES:
        return cookie
    return request.accept_languages.best_match(list(LOCALES)) or "en_IN"


@dataclass(frozen=True, slots=True)
class Language:
    """A request's language: Babel's locale, its code ("hi", "en_IN") and its catalogue of translations."""

    locale: Locale | None
    code: str
    translations: support.NullTranslations


OUTSIDE_REQUESTS = Language(None, "en_IN", support.NullTranslations())
_KEPT_AS = "haat_language"  # the attribute of flask.g holding this request's Language


def language() -> Language:
    """This request's language, worked out once per request and kept on flask.g.

    Flask-Babel keeps the locale it chose for the request, but every gettext asks for it again through three
    context lookups, twice, and writes it out as text each time (~20 µs); a page of 24 cards translates and
    formats ~90 times. Here a page pays for that once. The Language is kept beside the locale object it was
    made for: under flask_babel.force_locale (an SMS in its reader's language) it is made again."""
    try:
        here = g._get_current_object()
    except RuntimeError:  # no app context: the CLI before its app, a plain script
        return OUTSIDE_REQUESTS
    kept = getattr(here, _KEPT_AS, None)
    # Flask-Babel's own per-request namespace holds the locale it chose (flask_babel.get_locale): read it in
    # place, as get_locale would after its three lookups. Were it ever elsewhere, get_locale() below answers.
    chosen = getattr(getattr(here, "_flask_babel", None), "babel_locale", None)
    if kept is not None and chosen is not None and kept.locale is chosen:
        return kept
    locale = get_locale()
    kept = Language(locale, str(locale) if locale else "en_IN", get_translations())
    setattr(here, _KEPT_AS, kept)
    return kept


def locale_code() -> str:
    """The code of this request's locale ("hi", "en_IN"), for formatting money and numbers."""
    return language().code


def install_template_gettext(env) -> None:
    """Templates' _(), gettext() and ngettext() read this request's catalogue once (see language()), in place
    of Flask-Babel's callables, which look the locale up again at every call. The i18n extension around them
    (newstyle: %(name)s filled in, autoescaped) is Jinja's, as Flask-Babel installs it."""
    env.install_gettext_callables(
        gettext=lambda s: language().translations.ugettext(s),
        ngettext=lambda s, p, n: language().translations.ungettext(s, p, n),
        pgettext=lambda c, s: language().translations.upgettext(c, s),
        npgettext=lambda c, s, p, n: language().translations.unpgettext(c, s, p, n),
        newstyle=True)


# The messages WTForms itself writes for the fields and validators Haat's forms use, listed so that the
# extractor puts them in Haat's catalogue. Their English is WTForms' own, byte for byte: it is the msgid.
WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Not a valid choice."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid date value."),
    N_("Invalid input."),
    N_("Invalid Choice: could not coerce."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be exactly %(max)d character long.",
                  "Field must be exactly %(max)d characters long.", 1),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
)


@cache
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    """WTForms' own catalogue for a locale, read once per process (Flask-WTF would read it on every request)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class FormTranslations:
    """WTForms' messages from Haat's catalogue when it has them, else from WTForms' own catalogues.

    The raw catalogue lookups are used, not flask_babel.gettext: WTForms fills in `%(max)d` itself afterwards.
    """

    def gettext(self, string: str) -> str:
        here = language()
        ours = here.translations.ugettext(string)
        return ours if ours != string else _wtforms_catalogue(here.code).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        here = language()
        ours = here.translations.ungettext(singular, plural, n)
        return ours if ours not in (singular, plural) \
            else _wtforms_catalogue(here.code).ungettext(singular, plural, n)


FORM_TRANSLATIONS = FormTranslations()


class TranslatedMeta:
    """Form Meta for every Haat form (`class Meta(TranslatedMeta)`): WTForms' messages in the reader's language."""

    def get_translations(self, form):
        return FORM_TRANSLATIONS


class HaatForm(FlaskForm):
    """The base of Haat's forms: a FlaskForm whose WTForms messages are translated like the rest of the page."""

    class Meta(TranslatedMeta):
        def wrap_formdata(self, form, formdata):
            """Uploads reach the form's file fields only: a file posted under a text field's name would reach
            code that expects text (len(), .strip()) and fail there."""
            # WTForms puts DefaultMeta after this class when it builds the form's Meta: super() has wrap_formdata.
            wrapped = super().wrap_formdata(form, formdata)  # type: ignore[misc]
            if not isinstance(wrapped, CombinedMultiDict):
                return wrapped
            files = {name for name, field in form._fields.items() if isinstance(field, FileField)}
            return CombinedMultiDict([MultiDict([(k, v) for k, v in part.items(multi=True)
                                                 if k in files or not isinstance(v, FileStorage)])
                                      for part in wrapped.dicts])
