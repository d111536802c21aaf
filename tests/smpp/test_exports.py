from __future__ import annotations

import smsgate.smpp


def test_all_is_sorted_and_importable() -> None:
    """`__all__` is the package's public surface: keep it honest (and isort-sorted)."""
    names = smsgate.smpp.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in names:
        assert hasattr(smsgate.smpp, name), name
