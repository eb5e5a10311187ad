"""统一社会信用代码 (GB 32100-2015) and 组织机构代码 (GB 11714-1997) check characters.

A unified social credit code has 18 characters::

    1      登记管理部门码 (1 = 机构编制, 5 = 民政, 9 = 工商, Y = 其他 ...)
    2      机构类别码 (for 机构编制: 1 = 机关, 2 = 事业单位 ...)
    3-8    登记管理机关行政区划码 (GB/T 2260, digits)
    9-17   主体标识码 (the 9-character organization code of GB 11714)
    18     校验码

The check character is ``31 - (sum(value(c_i) * w_i) mod 31)`` over the first 17 characters,
with the weights ``3^(i-1) mod 31`` and the 31-character alphabet below (no I, O, S, V, Z);
a result of 31 is written as ``0``.
"""

from __future__ import annotations

from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {char: index for index, char in enumerate(ALPHABET)}

# GB 11714-1997: eight body characters (digits or capital letters) and one check character
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def credit_code_check_char(prefix17: str) -> str:
    """The 18th character (校验码) for the first 17 characters of a credit code."""
    if len(prefix17) != 17:
        raise ValueError(f"expected 17 characters, got {len(prefix17)}: {prefix17!r}")
    try:
        total = sum(_VALUE[char] * weight for char, weight in zip(prefix17, WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in a credit code") from None
    return ALPHABET[(31 - total % 31) % 31]


def make_credit_code(prefix17: str) -> str:
    """Append the check character to the first 17 characters of a credit code."""
    return prefix17 + credit_code_check_char(prefix17)


def valid_credit_code(code: object) -> bool:
    """Whether ``code`` is a well-formed 18-character credit code with a correct check character.

    Upper case only, as printed on licences; the region code (positions 3-8) must be digits.
    """
    return isinstance(code, str) and len(code) == 18 and _valid(code)


@lru_cache(maxsize=8192)   # a harvest checks the same few hundred publishers' codes again
def _valid(code: str) -> bool:
    if any(char not in _VALUE for char in code) or not code[2:8].isdigit():
        return False
    return credit_code_check_char(code[:17]) == code[17]


def organization_code_check_char(body8: str) -> str:
    """The 9th character of a GB 11714 organization code (``X`` stands for 10)."""
    if len(body8) != 8 or any(char not in _ORG_CODE_CHARS for char in body8):
        raise ValueError(f"expected 8 digits or capital letters, got {body8!r}")
    total = sum(_ORG_CODE_CHARS.index(char) * weight
                for char, weight in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_organization_code(body8: str) -> str:
    """Append the check character to the first 8 characters of an organization code."""
    return body8 + organization_code_check_char(body8)
