"""Bad input gives a clear error naming the operation (or the argument) and the shapes or
values, and modifies nothing (no file, no model); NaN and inf are not errors: they
propagate as in numpy."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import Value, nn
from tinygrad_edu.nn import functional as F


@pytest.mark.parametrize("data", [
    "abc", None, object(), [1.0, "a"], [[1, 2], [3]], np.array([1, None], dtype=object), {"a": 1},
], ids=["str", "None", "object", "list-with-str", "ragged", "object-array", "dict"])
def test_non_numeric_data_raises_type_error_at_construction(data):
    with pytest.raises(TypeError, match="Value"):
        Value(data)


def test_string_data_with_a_float_dtype_raises_type_error():
    with pytest.raises(TypeError, match="str"):
        Value("1.5", dtype=np.float64)


@pytest.mark.parametrize("data", [3, [1, 2], True, np.array([1, 2], dtype=np.int32)])
def test_requires_grad_on_integer_or_bool_data_raises_type_error(data):
    with pytest.raises(TypeError, match="floating"):
        Value(data, requires_grad=True)


def test_requires_grad_on_an_integer_factory_raises_type_error():
    with pytest.raises(TypeError, match="floating"):
        tg.arange(3, requires_grad=True)


@pytest.mark.parametrize("operation, name", [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"),
    (lambda a, b: a * b, "mul"), (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow"),
])
def test_elementwise_shape_mismatch_raises_value_error_naming_op_and_both_shapes(operation, name):
    a, b = Value(np.ones((2, 3)), requires_grad=True), Value(np.ones((4,)))
    with pytest.raises(ValueError, match=rf"^{name}\b.*\(2, 3\).*\(4,\)"):
        operation(a, b)


def test_matmul_shape_mismatch_raises_value_error_naming_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"^matmul\b.*\(2, 3\).*\(2, 3\)"):
        Value(np.ones((2, 3))) @ Value(np.ones((2, 3)))


def test_failed_operation_leaves_its_inputs_untouched():
    a = Value(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError):
        a + Value(np.ones(4))
    np.testing.assert_array_equal(a.data, np.ones((2, 3)))
    assert a.grad is None and a.is_leaf


def test_reduction_over_an_axis_out_of_range_raises_value_error():
    with pytest.raises(ValueError, match=r"^sum\b.*axis 2"):
        Value(np.ones((2, 3))).sum(axis=2)


@pytest.mark.parametrize("method", ["exp", "log", "relu", "sigmoid", "tanh", "sum", "mean", "softmax"])
def test_nan_propagates_as_in_numpy(method):
    x = Value([np.nan, 1.0], dtype=np.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        y = getattr(x, method)()
        y.sum().backward()
    assert np.isnan(y.data).any()
    assert x.grad.shape == (2,)


def test_inf_propagates_as_in_numpy():
    x = Value([np.inf, -np.inf, 1.0], dtype=np.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        y = x * 2 + 1
        y.sum().backward()
        np.testing.assert_array_equal(y.data, np.array([np.inf, -np.inf, 1.0]) * 2 + 1)
        np.testing.assert_array_equal((x.exp()).data, np.exp(x.data))
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_log_of_zero_and_negative_gives_minus_inf_and_nan_like_numpy():
    x = Value([0.0, -1.0], dtype=np.float64)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(x.log().data, np.log(x.data))


def test_division_by_zero_gives_inf_like_numpy():
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal((Value([1.0, -1.0]) / 0.0).data, [np.inf, -np.inf])


# ---------------------------------------------------------------- the library: losses, summary, files, models
# Each row: the call, the exception it must raise, and a regex that names the argument and what was expected.

def logits() -> Value:
    return Value(np.zeros((2, 3)), requires_grad=True)


LOSS_ROWS = {
    "ce target None": (lambda: nn.CrossEntropyLoss()(logits(), None), TypeError,
                       r"^CrossEntropyLoss: target must be numbers.*got NoneType None"),
    "ce target str": (lambda: nn.CrossEntropyLoss()(logits(), "ab"), TypeError,
                      r"^CrossEntropyLoss: target must be numbers.*got str 'ab'"),
    "ce target ragged": (lambda: nn.CrossEntropyLoss()(logits(), [[1, 2], [3]]), TypeError,
                         r"^CrossEntropyLoss: target must be numbers.*ragged"),
    "ce target floats of the wrong shape": (lambda: nn.CrossEntropyLoss()(logits(), [1.5, 2.0]), ValueError,
                                            r"^CrossEntropyLoss: a target of shape \(2,\).*fits neither"),
    "nll target None": (lambda: nn.NLLLoss()(logits(), None), TypeError, r"^NLLLoss: target must be numbers"),
    "mse target None": (lambda: nn.MSELoss()(logits(), None), TypeError, r"^MSELoss: target must be numbers"),
    "mse target ragged": (lambda: nn.MSELoss()(logits(), [[1, 2], [3]]), TypeError,
                          r"^MSELoss: target must be numbers.*ragged"),
    "bce target str": (lambda: nn.BCELoss()(logits(), "x"), TypeError, r"^BCELoss: target must be numbers"),
    "bce-logits target None": (lambda: nn.BCEWithLogitsLoss()(logits(), None), TypeError,
                               r"^BCEWithLogitsLoss: target must be numbers"),
    "ce input None": (lambda: nn.CrossEntropyLoss()(None, [0, 1]), TypeError,
                      r"^CrossEntropyLoss: input must be a floating-point Value"),
    "ignore_index str": (lambda: nn.CrossEntropyLoss(ignore_index="a"), TypeError,
                         r"^CrossEntropyLoss: ignore_index must be an int.*'a'"),
    "ignore_index float": (lambda: nn.NLLLoss(ignore_index=1.5), TypeError, r"^NLLLoss: ignore_index must be an int"),
    "ignore_index bool": (lambda: nn.CrossEntropyLoss(ignore_index=True), TypeError,
                          r"^CrossEntropyLoss: ignore_index must be an int"),
    "F.cross_entropy ignore_index": (lambda: F.cross_entropy(logits(), [0, 1], ignore_index="a"), TypeError,
                                     r"^CrossEntropyLoss: ignore_index must be an int"),
    "reduction avg": (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError,
                      r"^CrossEntropyLoss: reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    "reduction None": (lambda: nn.MSELoss(reduction=None), ValueError, r"^MSELoss: reduction must be one of"),
    "F.mse_loss reduction": (lambda: F.mse_loss(logits(), np.zeros((2, 3)), reduction="avg"), ValueError,
                             r"^MSELoss: reduction must be one of"),
    "weight 2-D": (lambda: nn.CrossEntropyLoss(weight=[[1.0, 2.0]]), ValueError,
                   r"^CrossEntropyLoss: weight must be None or one number per class.*shape \(1, 2\)"),
    "weight str": (lambda: nn.NLLLoss(weight="abc"), ValueError, r"^NLLLoss: weight must be None or one number"),
    "weight of the wrong length": (lambda: nn.CrossEntropyLoss(weight=[1.0, 2.0])(logits(), [0, 1]), ValueError,
                                   r"^CrossEntropyLoss: weight must hold one number per class, shape \(3,\)"),
    "target class out of range": (lambda: nn.CrossEntropyLoss()(logits(), [0, 3]), IndexError,
                                  r"^CrossEntropyLoss: target class index 3 is out of range"),
    "summary None": (lambda: tg.summary(None, (2,)), TypeError, r"^summary: model must be an nn\.Module, got NoneType"),
    "summary input_size": (lambda: tg.summary(nn.Linear(2, 1), (-2,)), TypeError, r"^summary: input_size must be"),
    "summary batch_size": (lambda: tg.summary(nn.Linear(2, 1), (2,), batch_size="2"), TypeError,
                           r"^summary: batch_size must be an int"),
}


@pytest.mark.parametrize("call, error, message", LOSS_ROWS.values(), ids=LOSS_ROWS.keys())
def test_bad_loss_and_summary_arguments_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def small_model() -> nn.Sequential:
    tg.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))


def good_state() -> dict:
    return {name: array + 1 for name, array in small_model().state_dict().items()}


def state_with(**changes) -> dict:
    """A loadable state dict (every value differs from the model's), with ``changes`` ("0_bias" is "0.bias")."""
    state = good_state()
    for key, value in changes.items():
        key = key.replace("_", ".")
        if value is None:
            del state[key]
        else:
            state[key] = value
    return state


MODEL_ROWS = {
    "not a dict": (lambda m: m.load_state_dict([np.zeros(3)]), TypeError,
                   r"^Sequential\.load_state_dict: state_dict must be a dict.*got list"),
    "missing key": (lambda m: m.load_state_dict(state_with(**{"0_bias": None})), RuntimeError,
                    r'Missing key\(s\) in state_dict: "0\.bias"'),
    "unexpected key": (lambda m: m.load_state_dict({**good_state(), "3.weight": np.zeros(1)}), RuntimeError,
                       r'Unexpected key\(s\) in state_dict: "3\.weight"'),
    "wrong shape": (lambda m: m.load_state_dict(state_with(**{"2_weight": np.zeros((3, 1))})), RuntimeError,
                    r"size mismatch for 2\.weight: copying a param with shape \(3, 1\)"),
    "wrong shape, not strict": (lambda m: m.load_state_dict(state_with(**{"2_bias": np.zeros(2)}), strict=False),
                                RuntimeError, r"size mismatch for 2\.bias"),
    "object array": (lambda m: m.load_state_dict(state_with(**{"2_bias": np.array([None], dtype=object)})), TypeError,
                     r"^load_state_dict: state_dict\['2\.bias'\] must be an array of real numbers.*dtype object"),
    "complex array": (lambda m: m.load_state_dict(state_with(**{"0_bias": np.ones(3) * 1j})), TypeError,
                      r"^load_state_dict: state_dict\['0\.bias'\] must be an array of real numbers.*complex128"),
    "string": (lambda m: m.load_state_dict(state_with(**{"0_bias": "abc"})), TypeError,
               r"state_dict\['0\.bias'\] must be an array of real numbers.*<U3"),
    "ragged list": (lambda m: m.load_state_dict(state_with(**{"0_weight": [[1.0, 2.0], [3.0]]})), TypeError,
                    r"state_dict\['0\.weight'\] must be an array of real numbers.*ragged"),
}


@pytest.mark.parametrize("call, error, message", MODEL_ROWS.values(), ids=MODEL_ROWS.keys())
def test_bad_load_state_dict_names_the_key_and_changes_nothing(call, error, message):
    model = small_model()
    before = model.state_dict()
    versions = [p._version for p in model.parameters()]
    with pytest.raises(error, match=message):
        call(model)
    after = model.state_dict()
    assert after.keys() == before.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert [p._version for p in model.parameters()] == versions


def test_load_state_dict_writes_in_place_and_bumps_each_parameters_version():
    model = small_model()
    arrays = {name: p.data for name, p in model.named_parameters()}
    model.load_state_dict(good_state())
    for name, p in model.named_parameters():
        assert p.data is arrays[name], f"{name} was replaced, not written in place"
        assert p._version == 1, name
        np.testing.assert_array_equal(p.data, good_state()[name])


def test_load_state_dict_into_a_read_only_parameter_still_loads_every_parameter():
    model = small_model()
    model[2].bias.data = np.broadcast_to(np.float32(5.0), (1,))  # read-only
    model.load_state_dict(good_state())
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, good_state()[name], err_msg=name)


CHECKPOINT = {"0.weight": np.arange(6.0).reshape(3, 2), "0.bias": np.ones(3)}


def write_files(folder):
    """A checkpoint to overwrite, and files that are not state dicts."""
    tg.save(CHECKPOINT, folder / "model.npz")
    np.save(folder / "array.npy", np.ones(3))
    (folder / "notes.txt").write_text("not a checkpoint\n")
    (folder / "empty.npz").write_bytes(b"")
    with zipfile.ZipFile(folder / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")


FILE_ROWS = {
    "save a list": (lambda d: tg.save([np.ones(2)], d / "model.npz"), TypeError,
                    r"^save: state_dict must be a dict of name → array.*got list"),
    "save an array": (lambda d: tg.save(np.ones(2), d / "model.npz"), TypeError, r"^save: state_dict must be a dict"),
    "save a bad object": (lambda d: tg.save({"0.weight": np.ones(2), "0.bias": object()}, d / "model.npz"),
                          TypeError, r"^save: state_dict\['0\.bias'\] must be a numeric array.*got dtype object"),
    "save a ragged list": (lambda d: tg.save({"w": [[1.0], [2.0, 3.0]]}, d / "model.npz"), TypeError,
                           r"^save: state_dict\['w'\] must be a numeric array.*ragged"),
    "save a string": (lambda d: tg.save({"w": "abc"}, d / "model.npz"), TypeError,
                      r"^save: state_dict\['w'\] must be a numeric array.*<U3"),
    "save a non-str key": (lambda d: tg.save({1: np.ones(2)}, d / "model.npz"), TypeError,
                           r"^save: state_dict keys must be strings, got 1"),
    "save to None": (lambda d: tg.save(CHECKPOINT, None), TypeError, r"^save: path must be a str or os\.PathLike"),
    "save to ''": (lambda d: tg.save(CHECKPOINT, ""), ValueError, r"^save: path must name a file"),
    "save into a missing folder": (lambda d: tg.save(CHECKPOINT, d / "nowhere" / "model.npz"), FileNotFoundError,
                                   r"^save: the folder of '.*model\.npz' does not exist"),
    "save over a folder": (lambda d: tg.save(CHECKPOINT, d), IsADirectoryError,
                           r"^save: '.*' is a folder; path must name a file"),
    "load a .npy": (lambda d: tg.load(d / "array.npy"), ValueError,
                    r"^load: '.*array\.npy' is not a state dict written by save.*numpy\.save's \.npy"),
    "load a text file": (lambda d: tg.load(d / "notes.txt"), ValueError,
                         r"^load: '.*notes\.txt' is not a state dict.*not a zip archive"),
    "load an empty file": (lambda d: tg.load(d / "empty.npz"), ValueError, r"^load: '.*empty\.npz'.*file is empty"),
    "load another zip": (lambda d: tg.load(d / "other.zip"), ValueError,
                         r"^load: '.*other\.zip' is not a state dict.*'readme\.txt' is not a \.npy array"),
    "load a missing file": (lambda d: tg.load(d / "missing.npz"), FileNotFoundError, r"missing\.npz"),
    "load None": (lambda d: tg.load(None), TypeError, r"^load: path must be a str or os\.PathLike"),
}


def snapshot(folder) -> dict:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.parametrize("call, error, message", FILE_ROWS.values(), ids=FILE_ROWS.keys())
def test_bad_save_and_load_name_the_argument_and_leave_the_files_as_they_were(tmp_path, call, error, message):
    write_files(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(error, match=message):
        call(tmp_path)
    assert snapshot(tmp_path) == before  # the old checkpoint byte for byte, and no temporary file left


def test_a_save_that_fails_midway_leaves_the_old_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    write_files(tmp_path)
    before = snapshot(tmp_path)
    write_array, written = np.lib.format.write_array, []

    def disk_full_at_the_second_array(*args, **kwargs):
        if written:
            raise OSError(28, "No space left on device")
        written.append(write_array(*args, **kwargs))

    monkeypatch.setattr(np.lib.format, "write_array", disk_full_at_the_second_array)
    with pytest.raises(OSError, match="No space left"):
        tg.save({"0.weight": np.zeros((3, 2)), "0.bias": np.zeros(3)}, tmp_path / "model.npz")
    assert written and snapshot(tmp_path) == before
    np.testing.assert_array_equal(tg.load(tmp_path / "model.npz")["0.weight"], CHECKPOINT["0.weight"])


def test_a_save_replaces_the_old_checkpoint_keeping_its_permissions(tmp_path):
    path = tmp_path / "model.npz"
    tg.save(CHECKPOINT, path)
    path.chmod(0o640)
    tg.save({"w": np.zeros(2)}, path)
    assert list(tg.load(path)) == ["w"] and (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
