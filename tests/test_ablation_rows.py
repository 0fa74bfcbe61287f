"""Every ablation row switches off something that exists: a renamed function would
otherwise fail only in a long `eval.ablation` run."""

import importlib

import pytest

from eval.ablation import _variants


@pytest.mark.parametrize("row", list(_variants()))
def test_each_ablation_row_names_attributes_that_exist(row: str) -> None:
    for target, _ in _variants()[row]:
        module_name, attribute = target.rsplit(".", 1)
        module = importlib.import_module(module_name)
        assert hasattr(module, attribute), f"{row}: {target} does not exist"
