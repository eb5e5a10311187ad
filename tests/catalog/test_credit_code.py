"""统一社会信用代码 (GB 32100-2015) check characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.credit_code import (
    ALPHABET,
    credit_code_check_char,
    make_credit_code,
    make_organization_code,
    organization_code_check_char,
    valid_credit_code,
)

# Codes printed on the business licences of well-known companies (published on their websites
# and in the national enterprise credit information system).  Their check characters were also
# verified with the algorithm, and their positions 9-17 carry valid GB 11714 organization codes.
REAL_CODES = {
    "914403001922038216": "华为技术有限公司",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "91110108551385082Q": "北京小米科技有限责任公司",
    "91110000802100433B": "北京百度网讯科技有限公司",
}


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_real_published_codes_are_valid(code: str) -> None:
    assert valid_credit_code(code)
    assert make_credit_code(code[:17]) == code
    assert organization_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_a_changed_check_character_is_invalid(code: str) -> None:
    for char in ALPHABET:
        if char != code[17]:
            assert not valid_credit_code(code[:17] + char)


@pytest.mark.parametrize("code", [
    "",
    "91440300708461136",        # 17 characters
    "91440300708461136TT",      # 19 characters
    "91440300708461136t",       # lower case check character
    "91440300708461I36T",       # I is not in the alphabet
    "9144O300708461136T",       # O in the region code
    "91A40300708461136T",       # region code must be digits
    None,
    914403001922038216,
])
def test_malformed_codes_are_invalid(code: object) -> None:
    assert not valid_credit_code(code)


def test_check_character_zero_when_the_sum_is_a_multiple_of_31() -> None:
    # all zeros sums to 0, so 31 - 0 = 31, written as 0
    assert credit_code_check_char("0" * 17) == "0"
    assert valid_credit_code("0" * 18)


def test_make_credit_code_rejects_bad_prefixes() -> None:
    with pytest.raises(ValueError):
        make_credit_code("1134000000300101")          # 16 characters
    with pytest.raises(ValueError):
        make_credit_code("11340000003001O1X")          # O not allowed


def test_organization_code_check_character() -> None:
    assert make_organization_code("19220382") == "192203821"   # 华为
    assert organization_code_check_char("71092546") == "2"
    # 11 - (sum mod 11) == 10 is written X, == 11 is written 0
    assert {organization_code_check_char(f"{n:08d}") for n in range(200)} >= {"X", "0"}
    with pytest.raises(ValueError):
        organization_code_check_char("1922038")


_prefixes = st.tuples(
    st.sampled_from("159ABCDEFGHNY"), st.sampled_from("1239"),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(_prefixes)
def test_made_codes_are_valid_and_any_single_change_breaks_them(prefix: str) -> None:
    code = make_credit_code(prefix)
    assert valid_credit_code(code)
    position = sum(map(ord, prefix)) % 17
    replacement = next(c for c in ALPHABET if c != code[position]
                       and (position not in range(2, 8) or c.isdigit()))
    changed = code[:position] + replacement + code[position + 1:]
    assert not valid_credit_code(changed)
