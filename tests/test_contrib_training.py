"""``tf.contrib.training.HParams`` against TF 1.15's documented behaviour (contrib/training/python/
training/hparam.py: parsing, type checks and the errors it raises). TF 2 has no contrib, so there is
no live peer to compare with."""
from __future__ import annotations

import json

import pytest

import graphflow as gf

HParams = gf.contrib.training.HParams


def _hp() -> HParams:
    return HParams(lr=0.1, units=100, act="relu", dims=[1, 2], flag=False, rates=[0.5, 0.25])


def test_constructor_values_and_attribute_access() -> None:
    hp = _hp()
    assert (hp.lr, hp.units, hp.act, hp.dims, hp.flag) == (0.1, 100, "relu", [1, 2], False)
    assert hp.values() == {"lr": 0.1, "units": 100, "act": "relu", "dims": [1, 2], "flag": False,
                           "rates": [0.5, 0.25]}
    assert "lr" in hp and "nope" not in hp
    assert str(HParams(a=1, b="x")) == "a=1,b=x"
    assert repr(HParams(b=2, a=1)) == "HParams([('a', 1), ('b', 2)])"


def test_parse_overrides_with_the_declared_types() -> None:
    hp = _hp().parse("lr=0.3,units=7,act=tanh,dims=[4, 5,6],flag=true,rates=[1]")
    assert hp.values() == {"lr": 0.3, "units": 7, "act": "tanh", "dims": [4, 5, 6], "flag": True,
                           "rates": [1.0]}
    assert type(hp.lr) is float and type(hp.rates[0]) is float
    assert _hp().parse("lr=2").lr == 2.0 and type(_hp().parse("lr=2").lr) is float
    assert _hp().parse("flag=1").flag is True and _hp().parse("flag=False").flag is False
    assert _hp().parse("").values() == _hp().values()


@pytest.mark.parametrize("text, message", [
    ("units=1.5", "Could not parse hparam 'units' of type 'int' with value '1.5'"),
    ("lr=fast", "Could not parse hparam 'lr' of type 'float'"),
    ("flag=maybe", "Could not parse hparam 'flag' of type 'bool'"),
    ("nope=1", "Unknown hyperparameter type for nope"),
    ("units=1,units=2", "Multiple assignments to variable 'units'"),
    ("=3", "Malformed hyperparameter value: =3"),
    ("units=[1,2]", "Must not pass a list for single-valued parameter: units"),
    ("dims=3", "Must pass a list for multi-valued parameter: dims."),
    ("dims[0]=[1]", "Assignment of a list to a list index."),
])
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace(".", r"\.")):
        _hp().parse(text)


def test_parse_values_module_function() -> None:
    parse = gf.contrib.training.parse_values
    assert parse("x=5,L=[1,2],arr[1]=3", {"x": int, "L": int, "arr": int}) == {"x": 5, "L": [1, 2], "arr": {1: 3}}
    assert parse("x=5,y=2", {"x": int}, ignore_unknown=True) == {"x": 5}
    with pytest.raises(ValueError, match=r"arr\[1\]"):
        parse("arr[1]=3,arr[1]=4", {"arr": int})


def test_add_set_del_hparam() -> None:
    hp = _hp()
    hp.add_hparam("depth", 3)
    assert hp.depth == 3 and "depth" in hp
    with pytest.raises(ValueError, match="Hyperparameter name is reserved: depth"):
        hp.add_hparam("depth", 4)
    with pytest.raises(ValueError, match="reserved: values"):
        hp.add_hparam("values", 1)
    with pytest.raises(ValueError, match="cannot be empty: empty"):
        hp.add_hparam("empty", [])
    hp.set_hparam("lr", 1)  # an int into a float hparam is cast
    assert hp.lr == 1.0 and type(hp.lr) is float
    hp.set_hparam("dims", [7])
    assert hp.dims == [7]
    for name, value in (("units", 1.5), ("units", True), ("act", 3), ("flag", 1), ("lr", "x")):
        with pytest.raises(ValueError, match=f"Could not cast hparam '{name}'"):
            hp.set_hparam(name, value)
    with pytest.raises(KeyError):
        hp.set_hparam("missing", 1)
    hp.del_hparam("depth")
    hp.del_hparam("never_there")
    assert "depth" not in hp and not hasattr(hp, "depth")


def test_override_from_dict_json_and_set_from_map() -> None:
    hp = _hp().override_from_dict({"units": 5, "dims": [3]})
    assert (hp.units, hp.dims) == (5, [3])
    assert hp.set_from_map({"act": "elu"}) is hp and hp.act == "elu"
    text = hp.to_json(sort_keys=True)
    assert json.loads(text) == hp.values()
    assert list(json.loads(text)) == sorted(hp.values())
    other = _hp().parse_json(text)
    assert other.values() == hp.values()
    with pytest.raises(KeyError):
        _hp().parse_json('{"missing": 1}')
    with pytest.raises(ValueError, match="Must pass a list"):
        _hp().parse_json('{"dims": 1}')


def test_get_checks_the_default_against_the_type() -> None:
    hp = _hp()
    assert hp.get("units") == 100 and hp.get("missing", 3) == 3 and hp.get("missing") is None
    assert hp.get("units", 7) == 100 and hp.get("lr", 1) == 0.1 and hp.get("dims", [0]) == [1, 2]
    with pytest.raises(ValueError, match="Hparam 'units' of type .* is incompatible with default=x"):
        hp.get("units", "x")
    with pytest.raises(ValueError, match="incompatible with default=3"):
        hp.get("dims", 3)


def test_module_paths() -> None:
    import graphflow.contrib.training as training

    assert training.HParams is HParams
    assert gf.contrib.training.checkpoints_iterator is gf.train.checkpoints_iterator


def test_create_train_op_transforms_the_gradients() -> None:
    training = gf.contrib.training
    assert gf.contrib.slim.learning.clip_gradient_norms is training.clip_gradient_norms
    with gf.Graph().as_default():
        w = gf.Variable([1.0, 2.0], name="w")
        seen = []

        def halve(grads: list) -> list:
            seen.append(len(grads))
            return [(g * 0.5, v) for g, v in grads]
        op = training.create_train_op(gf.reduce_sum(w * w), gf.train.GradientDescentOptimizer(1.0),
                                      transform_grads_fn=halve)
        with gf.Session() as s:
            s.run(gf.global_variables_initializer())
            assert s.run(op) == 5.0  # the loss before the update
            assert s.run(w).tolist() == [0.0, 0.0]  # w - 1.0 * (2w / 2)
            assert s.run(gf.train.get_global_step()) == 1
    assert seen == [1]
