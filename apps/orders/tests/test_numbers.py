import pytest

from apps.orders import numbers


@pytest.mark.parametrize("order_id", [1, 31, 32, 118910061358837760, 2**63 - 1])
def test_an_order_number_reads_back_to_its_id(order_id):
    assert numbers.decode(numbers.encode(order_id)) == order_id


def test_order_numbers_read_aloud_forgive_case_dashes_and_look_alikes():
    number = numbers.encode(118910061358837760)
    spoken = "-".join([number[:4], number[4:8], number[8:]]).lower().replace("0", "o")

    assert numbers.decode(spoken) == 118910061358837760


def test_a_mistyped_character_is_caught_by_the_check_symbol():
    number = numbers.encode(118910061358837760)
    typo = number[:3] + ("Z" if number[3] != "Z" else "Y") + number[4:]

    assert numbers.decode(typo) is None
