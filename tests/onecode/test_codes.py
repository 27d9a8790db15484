"""The code itself: short, unguessable, self-checking."""
import pytest

from qr.codes import ALPHABET, LENGTH, check_char, is_well_formed, new_code


def test_codes_are_ten_characters_without_look_alikes():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == LENGTH and is_well_formed(c) for c in codes)
    assert not set("01ILO") & set("".join(codes))


@pytest.mark.parametrize("seed", range(20))
def test_any_single_mistyped_character_or_swap_is_caught(seed):
    code = new_code()
    for i in range(LENGTH):
        for ch in ALPHABET:
            typo = code[:i] + ch + code[i + 1:]
            assert typo == code or not is_well_formed(typo)
    for i in range(LENGTH - 1):
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
        assert swapped == code or not is_well_formed(swapped)


def test_the_check_character_is_the_weighted_sum_modulo_31():
    body = "23456789A"
    assert check_char(body) == ALPHABET[sum((i + 1) * ALPHABET.index(c) for i, c in enumerate(body)) % 31]
