"""guestlist.models: every name is declared in one submodule, listed once for the lazy import and once for
mypy, and resolves to the submodule's own object; a name loads its submodule and no unrelated one (cold
start, DESIGN.md s9), checked in fresh interpreters as a Lambda container starts."""

import ast
import importlib
from pathlib import Path

import pytest
from pynamodb.attributes import MapAttribute
from pynamodb.indexes import Index
from pynamodb.models import Model

import guestlist.models as models
from support.interpreter import fresh

PACKAGE = Path(models.__file__).parent


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    return {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names}


def _declared() -> dict[str, str]:
    """Every public name a submodule declares itself (its models, indexes, map attributes, key helpers)."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"guestlist.models.{path.stem}")
        for name, value in vars(module).items():
            declared_here = getattr(value, "__module__", None) == module.__name__
            if name.startswith("_") or not (declared_here or (path.stem == "base" and name.isupper())):
                continue
            assert name not in found, f"{name} declared in {found.get(name)} and {path.stem}"
            found[name] = path.stem
    return found


def test_the_lazy_map_the_type_checking_imports_and_the_submodules_name_the_same_names():
    assert _type_checking_imports() == models._SUBMODULE
    assert _declared() == models._SUBMODULE
    assert sorted(models.__all__) == sorted(models._SUBMODULE)


def test_every_name_resolves_to_its_submodules_object():
    for name, submodule in models._SUBMODULE.items():
        value = getattr(models, name)
        assert value is getattr(importlib.import_module(f"guestlist.models.{submodule}"), name), name
        assert name in dir(models)
        if isinstance(value, type):
            assert issubclass(value, (Model, Index, MapAttribute)), name


def test_an_unknown_name_is_an_attribute_error():
    assert not hasattr(models, "NoSuchModel")
    with pytest.raises(ImportError, match="NoSuchModel"):
        from guestlist.models import NoSuchModel  # noqa: F401


def test_a_name_loads_its_submodule_only_and_pynamodb_gets_the_shared_session():
    found = fresh("""
import json, sys
loaded = lambda: sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("guestlist.models."))
import guestlist.models
nothing = loaded()
from guestlist.models import KeyModel
after_key = loaded()
from guestlist.models import ContactModel, contact_pk
after_contact = loaded()
from pynamodb.connection import base
from guestlist.aws import shared_session
import guestlist.models.access as access
print(json.dumps({"nothing": nothing, "after_key": after_key, "after_contact": after_contact,
                  "bound": "KeyModel" in vars(guestlist.models) and "EventModel" not in vars(guestlist.models),
                  "same": KeyModel is access.KeyModel and contact_pk("e", "i") == "C#e#i",
                  "session": base.get_session() is shared_session}))
""")
    assert found == {"nothing": [], "after_key": ["access", "base"], "after_contact": ["access", "base", "contacts"],
                     "bound": True, "same": True, "session": True}


def test_the_authorizer_and_the_history_function_load_only_the_models_they_use():
    """What the split is for: a handler's import pays for its own models (each ~2 M instructions)."""
    functions = PACKAGE.parents[2] / "functions"
    code = """
import importlib.util, json, sys
sys.path.insert(0, {folder!r})
spec = importlib.util.spec_from_file_location("app", {folder!r} + "/app.py")
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("guestlist.models."))))
"""
    loaded = {name: fresh(code.format(folder=str(functions / name))) for name in ("authorizer", "history")}
    assert loaded == {"authorizer": ["access", "base"], "history": ["accounts", "base", "history"]}
