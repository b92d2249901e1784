"""format_array's shortcut for one number (a 0-d array) prints exactly what the general path prints."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu.printing import format_array

special = st.sampled_from([0.0, -0.0, 1.0, -3.0, 1e-5, 1e-4, 1e8, 1.5e9, float("nan"), float("inf"), -float("inf")])


@given(value=st.floats(width=32) | special, dtype=st.sampled_from([np.float32, np.float64]),
       precision=st.integers(1, 8))
def test_scalar_prints_as_the_only_element_of_a_one_element_array(value, dtype, precision):
    with np.errstate(over="ignore"):
        scalar = np.asarray(value, dtype=dtype)
    assert "[" + format_array(scalar, precision=precision) + "]" == format_array(scalar.reshape(1), precision=precision)
