"""First contact with a real PowerClerk: ``doctor`` (each check the vendor's troubleshooting list
names, through the api layer's client), ``support`` (a ticket text with every secret redacted) and
``recording`` (``doctor --record``: redacted answers that ``pcnb sandbox --replay`` serves).

It sits above ``pcnb.api`` and below the commands; nothing in ``api`` imports it.
"""
