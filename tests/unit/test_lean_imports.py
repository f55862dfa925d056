"""guestlist.lean_imports: Powertools' packages load only what a handler names, and nothing else changes.

Run in fresh interpreters (as a Lambda container starts): the test process itself has long
imported the full packages, where lean_package rightly does nothing.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.interpreter import HANDLER_ENV, fresh

ROOT = Path(__file__).resolve().parents[2]


def test_a_reexported_name_loads_its_submodule_only_and_is_the_same_object():
    found = fresh("""
import json, sys
import guestlist.lean_imports
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.utilities.data_classes import SQSEvent, event_source
lean = {"asyncio": "asyncio" in sys.modules,
        "appsync": "aws_lambda_powertools.event_handler.appsync" in sys.modules,
        "alarm_event": "aws_lambda_powertools.utilities.data_classes.cloud_watch_alarm_event" in sys.modules,
        "event_source_is_function": callable(event_source) and not isinstance(event_source, type(sys))}
from aws_lambda_powertools.event_handler import api_gateway
from aws_lambda_powertools.event_handler import *  # every name of __all__ still resolves
import aws_lambda_powertools.event_handler as handler_package
import aws_lambda_powertools.utilities.data_classes as classes_package
from aws_lambda_powertools.utilities.data_classes import event_source as again
print(json.dumps(lean | {
    "same_class": APIGatewayHttpResolver is api_gateway.APIGatewayHttpResolver,
    "all_names": all(hasattr(handler_package, name) for name in handler_package.__all__),
    "appsync_on_use": handler_package.AppSyncResolver.__name__ == "AppSyncResolver",
    "event_source_stays_function": again is event_source and classes_package.event_source is event_source,
    "unknown_name": not hasattr(handler_package, "NoSuchResolver"),
}))
""")
    assert found == {"asyncio": False, "appsync": False, "alarm_event": False, "event_source_is_function": True,
                     "same_class": True, "all_names": True, "appsync_on_use": True,
                     "event_source_stays_function": True, "unknown_name": True}


def test_a_package_already_imported_is_left_alone():
    found = fresh("""
import json, sys
import aws_lambda_powertools.event_handler as full
import guestlist.lean_imports
print(json.dumps({"same": sys.modules["aws_lambda_powertools.event_handler"] is full,
                  "has_names": "AppSyncResolver" in vars(full)}))
""")
    assert found == {"same": True, "has_names": True}


def _busy_package(tmp_path: Path, name: str) -> str:
    """A package whose `__init__` re-exports VALUE (41) from `part` and also computes SIDE_EFFECT (42);
    the start of a fresh interpreter's code that finds it."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("from .part import VALUE\nSIDE_EFFECT = VALUE + 1\n")
    (package / "part.py").write_text("VALUE = 41\n")
    return f"import json, sys\nsys.path.insert(0, {str(tmp_path)!r})\nfrom guestlist.lean_imports import lean_package\n"


def test_an_init_doing_more_than_reexporting_is_imported_normally(tmp_path):
    code = _busy_package(tmp_path, "busy_pkg") + """
lean_package("busy_pkg")
import busy_pkg
print(json.dumps({"side_effect": busy_pkg.SIDE_EFFECT}))
"""
    assert fresh(code) == {"side_effect": 42}


def test_every_handler_imports_lean_packages_first_and_loads_in_a_fresh_interpreter():
    """As in Lambda, each handler's first import is guestlist.lean_imports; then all of them load (one
    interpreter, as the local stack does: their router modules have distinct names) and no AppSync
    resolver (asyncio) was imported on the way."""
    apps = sorted((ROOT / "functions").glob("*/app.py"))
    for app in apps:
        first_import = next(line for line in app.read_text().splitlines() if line.startswith(("import ", "from ")))
        assert first_import.startswith("import guestlist.lean_imports"), app
    found = fresh(f"""
import importlib.util, json, sys
loaded = {{}}
for path in {[str(app) for app in apps]!r}:
    sys.path.insert(0, path.rsplit("/", 1)[0])
    spec = importlib.util.spec_from_file_location("fn_" + path.split("/")[-2], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.path.pop(0)
    loaded[path.split("/")[-2]] = callable(getattr(module, "lambda_handler", None))
lean = [sys.modules[name] for name in ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")]
print(json.dumps({{"loaded": loaded, "appsync": "aws_lambda_powertools.event_handler.appsync" in sys.modules,
                  "parsed": ["__all__" in vars(package) for package in lean]}}))
""")
    # no handler asks a name outside KNOWN_EXPORTS (which would parse the `__init__`, setting `__all__`)
    assert found == {"loaded": {app.parent.name: True for app in apps}, "appsync": False, "parsed": [False, False]}


def test_on_first_use_imports_when_a_name_is_used_and_writes_reach_the_module():
    found = fresh("""
import json, sys
from guestlist.lean_imports import on_first_use
mail = on_first_use("guestlist.mail")
before = "guestlist.mail" in sys.modules
limit = mail.SMS_MAX_CHARS
import guestlist.mail as real
same_value = limit == real.SMS_MAX_CHARS
mail.SMS_MAX_CHARS = 7
patched = real.SMS_MAX_CHARS
del mail.SMS_MAX_CHARS
print(json.dumps({"before": before, "after": "guestlist.mail" in sys.modules, "limit": same_value,
                  "patched": patched, "deleted": not hasattr(real, "SMS_MAX_CHARS"),
                  "same_function": mail.build_mime is real.build_mime}))
""")
    assert found == {"before": False, "after": True, "limit": True, "patched": 7, "deleted": True, "same_function": True}


def test_msgspec_inspect_yaml_toml_run_on_first_use_and_then_are_the_real_modules():
    found = fresh("""
import json, sys
import guestlist.lean_imports
import msgspec, msgspec.json
idle = {name: "__getattr__" in vars(sys.modules["msgspec." + name]) for name in ("inspect", "yaml", "toml")}
class Thing(msgspec.Struct):
    size: int
schema = msgspec.json.schema(Thing)  # runs msgspec.inspect
info = msgspec.inspect.type_info(Thing)
try:
    msgspec.inspect.no_such_name
    missing = "found"
except AttributeError:
    missing = "AttributeError"
print(json.dumps({"idle": idle, "schema": schema["$defs"]["Thing"]["required"], "info": type(info).__name__,
                  "inspect_ran": "__getattr__" not in vars(msgspec.inspect), "missing": missing,
                  "yaml": callable(msgspec.yaml.encode), "same": msgspec.inspect is sys.modules["msgspec.inspect"]}))
""")
    assert found == {"idle": {"inspect": True, "yaml": True, "toml": True}, "schema": ["size"], "info": "StructType",
                     "inspect_ran": True, "missing": "AttributeError", "yaml": True, "same": True}


def test_the_known_exports_agree_with_the_installed_packages():
    """KNOWN_EXPORTS spares parsing an `__init__`: each entry must be what that `__init__` says, and every name
    that is also its submodule's name (bound at registration) must be in it."""
    import importlib.util

    from guestlist.lean_imports import KNOWN_EXPORTS, LEAN_PACKAGES, _reexports

    assert set(KNOWN_EXPORTS) <= set(LEAN_PACKAGES)
    for package, known in KNOWN_EXPORTS.items():
        found = _reexports(package, Path(importlib.util.find_spec(package).origin).read_bytes())
        assert found is not None, f"{package}'s __init__ no longer only re-exports"
        exports, _public = found
        for name, submodule in known.items():
            if submodule is None:
                assert name not in exports and importlib.util.find_spec(f"{package}.{name}") is not None, name
            else:
                assert exports.get(name) == (f"{package}.{submodule}", name), name
        shadowing = {name for name, (submodule, _) in exports.items() if submodule == f"{package}.{name}"}
        assert shadowing <= {name for name, submodule in known.items() if submodule}, shadowing


def test_with_known_names_an_init_doing_more_runs_when_another_name_is_asked(tmp_path):
    code = _busy_package(tmp_path, "busy_known") + """
lean_package("busy_known", {"VALUE": "part"})
import busy_known
value = busy_known.VALUE
ran_before = "SIDE_EFFECT" in vars(busy_known)
print(json.dumps({"value": value, "ran_before": ran_before, "side_effect": busy_known.SIDE_EFFECT}))
"""
    assert fresh(code) == {"value": 41, "ran_before": False, "side_effect": 42}


@pytest.mark.skipif(shutil.which("strace") is None, reason="counts system calls with strace")
@pytest.mark.parametrize("function", sorted(app.parent.name for app in (ROOT / "functions").glob("*/app.py")))
def test_a_handlers_cold_start_does_not_map_and_unmap_stack_chunks_over_and_over(function):
    """botocore imported at the top of the stack (see lean_imports, "Import depth"): loading a handler
    in a fresh interpreter maps few 16 KB stack chunks. Deep under our modules it was up to 1,583."""
    app = ROOT / "functions" / function / "app.py"
    code = (f"import importlib.util, sys; sys.path.insert(0, {str(app.parent)!r}); "
            f"spec = importlib.util.spec_from_file_location('app', {str(app)!r}); "
            "spec.loader.exec_module(importlib.util.module_from_spec(spec))")
    out = subprocess.run(["strace", "-f", "-e", "trace=munmap", sys.executable, "-c", code], env=HANDLER_ENV,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    chunks = len(re.findall(r"munmap\(0x[0-9a-f]+, 16384\)", out.stderr))
    assert chunks <= 100, f"{function}: {chunks} stack chunks unmapped while loading"
