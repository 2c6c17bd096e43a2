"""Overrides of Django's Simplified Chinese formats; everything not set here is Django's.

Django groups Chinese numbers by four digits with no separator (17451). Statistical
reports and party rosters write figures in groups of three with a comma (17,451), which
`intcomma` then gives."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
