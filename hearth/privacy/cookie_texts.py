# ruff: noqa: E501  (the texts as written in data/cookies.toml)
"""The texts of data/cookies.toml, marked for translation (makemessages reads only code).

A test checks that this list holds every name, description and purpose of the file, so the
cookie page is whole in each language.
"""

from django.utils.translation import gettext_noop

TEXTS = [
    gettext_noop("Strictly necessary"),
    gettext_noop(
        "Needed for what you asked for: your basket, checkout, signing in, forms and your language. They cannot be turned off, and they hold no information about who you are."
    ),
    gettext_noop("Functional"),
    gettext_noop(
        "Remember small things between visits so you need not repeat them. Refusing them blocks nothing; you may be shown the same notice again."
    ),
    gettext_noop("Statistics"),
    gettext_noop(
        "Count visits to the site in aggregate only (pages, referring sites, browser families), without any cookie and without ever storing your address or your browser's details. Refusing them means your visits are not counted at all."
    ),
    gettext_noop(
        "Keeps your basket, your progress through checkout and your sign-in from one page to the next. It holds only a random key; what it points to stays on our server."
    ),
    gettext_noop(
        "Proves that a form you send was sent from this site and not forged by another. It holds only a random value."
    ),
    gettext_noop(
        "Carries a short confirmation (for example “Added to your basket”) to the next page you see."
    ),
    gettext_noop(
        "Remembers the language you chose with the language switch, until you close your browser."
    ),
    gettext_noop(
        "Remembers your cookie choice (which categories you accepted or refused) and the version of this list. Nothing else."
    ),
    gettext_noop(
        "Remembers which privacy policy, terms or licence versions you have acknowledged, so the notice about them is not shown again. It holds only the version names."
    ),
]
