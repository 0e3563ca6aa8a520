"""Writing text people typed into files that spreadsheet programs open."""

# A cell starting with one of these is read as a formula by Excel and WPS (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as text a spreadsheet shows as text: a leading apostrophe before anything that would start a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
