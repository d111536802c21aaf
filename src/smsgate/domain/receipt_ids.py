"""The forms under which a receipt's message id may have been recorded.

A receipt names its segment by the id the SMSC gave in `submit_sm_resp` (SMPP 3.4 §4.4.2),
but many SMSCs do not write it the same way twice. SMPP 3.4 Appendix B shows the receipt
text's `id:` as ten digits, so an SMSC whose submit_sm_resp ids are hex often prints them
in decimal there; others pad with zeros or change the case of hex digits. The store keeps
ids exactly as submit_sm_resp gave them, so a receipt is looked up under every form its id
may have had there, most likely first.

Formats, set per connector (`[smpp] receipt_id_format`):

- `exact`: the receipt's id is the submit_sm_resp id, character for character.
- `auto`: try the id as given, then in the other case and without leading zeros, then the
  same number written in the other base (hex of a decimal id, decimal of a hex id), also
  zero-padded to the receipt id's length.
- `receipt_decimal`: the receipt gives in decimal a number submit_sm_resp gave in hex.
- `receipt_hex`: the receipt gives in hex a number submit_sm_resp gave in decimal.

In the two base formats an id that is not a number in the stated base is looked up as is.
"""

from __future__ import annotations

import string
from typing import Literal

IdFormat = Literal["exact", "auto", "receipt_decimal", "receipt_hex"]

# submit_sm_resp's message_id is a C-Octet String of at most 65 octets with its NUL
# (SMPP 3.4 §4.4.2), so no stored id is longer and a longer receipt id is not converted.
MAX_ID_LENGTH = 64

_HEX = frozenset(string.hexdigits)


def candidate_ids(receipt_id: str, fmt: IdFormat) -> tuple[str, ...]:
    """The ids under which `receipt_id`'s submit_sm_resp id may be stored, most likely
    first, without repeats and none longer than MAX_ID_LENGTH (unless `receipt_id` itself
    is, which is then the only one). `exact` gives `(receipt_id,)` only."""
    if fmt == "exact" or len(receipt_id) > MAX_ID_LENGTH:
        return (receipt_id,)
    width = len(receipt_id)
    forms: list[str] = []
    if fmt == "auto":
        stripped = receipt_id.lstrip("0")
        forms += [receipt_id, receipt_id.lower(), receipt_id.upper()]
        forms += [stripped, stripped.lower(), stripped.upper()]
    if fmt in ("auto", "receipt_decimal") and receipt_id.isdecimal() and receipt_id.isascii():
        # Tried before the decimal of a hex id: an all-digit id is far more often decimal.
        number = int(receipt_id)
        for hex_id in (f"{number:x}", f"{number:X}"):
            forms += [hex_id, hex_id.zfill(width)]
    if fmt in ("auto", "receipt_hex") and receipt_id and _HEX.issuperset(receipt_id):
        decimal_id = str(int(receipt_id, 16))
        forms += [decimal_id, decimal_id.zfill(width)]
    # An empty form (the id "000" without its zeros) names nothing, and the decimal of a
    # long hex id may outgrow any id submit_sm_resp can carry.
    kept = (form for form in forms if 0 < len(form) <= MAX_ID_LENGTH)
    return tuple(dict.fromkeys(kept)) or (receipt_id,)
