"""Indian states and union territories by their two-letter codes (as on vehicle plates and GSTINs).

STATES holds the English names: invoices and other stored documents print them as they were issued.
Pages show `state_name(code)`, the name in the reader's language.
"""

from market.core.i18n import language


def N_(text: str) -> str:  # the name gettext tools look for; defined here to keep imports one-way
    """Mark a name for the catalogue; state_name() translates it when shown."""
    return text


STATES = {
    "AN": N_("Andaman and Nicobar Islands"), "AP": N_("Andhra Pradesh"), "AR": N_("Arunachal Pradesh"),
    "AS": N_("Assam"), "BR": N_("Bihar"), "CH": N_("Chandigarh"), "CG": N_("Chhattisgarh"),
    "DH": N_("Dadra and Nagar Haveli and Daman and Diu"), "DL": N_("Delhi"), "GA": N_("Goa"), "GJ": N_("Gujarat"),
    "HR": N_("Haryana"), "HP": N_("Himachal Pradesh"), "JK": N_("Jammu and Kashmir"), "JH": N_("Jharkhand"),
    "KA": N_("Karnataka"), "KL": N_("Kerala"), "LA": N_("Ladakh"), "LD": N_("Lakshadweep"), "MP": N_("Madhya Pradesh"),
    "MH": N_("Maharashtra"), "MN": N_("Manipur"), "ML": N_("Meghalaya"), "MZ": N_("Mizoram"), "NL": N_("Nagaland"),
    "OD": N_("Odisha"), "PY": N_("Puducherry"), "PB": N_("Punjab"), "RJ": N_("Rajasthan"), "SK": N_("Sikkim"),
    "TN": N_("Tamil Nadu"), "TS": N_("Telangana"), "TR": N_("Tripura"), "UP": N_("Uttar Pradesh"),
    "UK": N_("Uttarakhand"), "WB": N_("West Bengal"),
}


def state_name(code: str) -> str:
    """The state's name in the reader's language for its code, or the code itself if unknown."""
    return language().translations.ugettext(STATES[code]) if code in STATES else code
