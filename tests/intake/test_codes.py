"""The whole-column credit-code check agrees with the registry's one-at-a-time check."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hizone.errors import RegistryError
from hizone.intake.codes import CodeProblem, credit_code_problems
from hizone.registry import check_character, validate_credit_code
from hizone.registry.credit_code import ALPHABET


def test_known_codes() -> None:
    good = "91110108" + "000000001"
    good += check_character(good)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    problems, expected = credit_code_problems([good, wrong_check, "123", "9111010800000000IO", "0" + good[1:]])
    assert problems.tolist() == [CodeProblem.OK, CodeProblem.CHECK, CodeProblem.LENGTH, CodeProblem.CHARACTER,
                                 CodeProblem.SHAPE]
    assert expected[1] == good[17]


codes = st.one_of(
    st.text(alphabet=ALPHABET, min_size=17, max_size=17).map(lambda s: s + check_character(s)),
    st.text(alphabet=ALPHABET + "IOSVZ-中", min_size=16, max_size=19))


@settings(max_examples=400)
@given(st.lists(codes, min_size=1, max_size=40))
def test_vectorised_check_matches_the_registry(batch: list[str]) -> None:
    problems, _ = credit_code_problems(np.asarray(batch))
    for code, problem in zip(batch, problems.tolist(), strict=True):
        try:
            validate_credit_code(code)
            valid = True
        except RegistryError:
            valid = False
        assert valid == (problem == CodeProblem.OK), code


def test_identifying_cells_are_trimmed_half_width_text_and_whole_numbers_read_as_digits() -> None:
    import pyarrow as pa

    from hizone.intake.validate import identity_text

    texts = pa.chunked_array([pa.array(["  ９１１ａｂ\u3000", None, "z1101\t", "甲乙"])])
    assert identity_text(texts, upper=True).tolist() == ["911AB", "", "Z1101", "甲乙"]
    assert identity_text(texts, upper=False).tolist()[0] == "911ab"
    numbers = pa.chunked_array([pa.array([2021.0, 2021.5, None])])
    assert identity_text(numbers, upper=False).tolist() == ["2021", "2021.5", ""]
