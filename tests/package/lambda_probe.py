"""Run inside a bare interpreter (``python3.13 -I -S lambda_probe.py SPEC``) as Lambda would run the package.

SPEC is a JSON object: ``paths`` (the unzipped function code, the layer's ``python`` folder and a boto3
folder, standing for /var/task, /opt/python and the runtime's boto3), ``handlers`` (every function's
``module.attribute``) and ``events`` (API Gateway proxy events to send to ``app.app``). Prints one
JSON object: the modules ``import app`` loaded, each handler found, each event's status and body, and
any module loaded from outside the given folders and the standard library.

Only the standard library may be imported here before the package's own code.
"""

import importlib
import json
import sys
import sysconfig
import time
import types


def main() -> None:
    spec = json.loads(sys.argv[1])
    sys.path[:0] = spec["paths"]
    started = time.process_time()
    import app

    import_cpu_ms = round((time.process_time() - started) * 1000, 1)
    loaded_by_import = sorted({name.split(".")[0] for name in sys.modules})
    handlers = {}
    for handler in spec["handlers"]:
        module, _, attribute = handler.rpartition(".")
        handlers[handler] = callable(getattr(importlib.import_module(module), attribute, None))
    context = types.SimpleNamespace(function_name="spsr-prod-api", aws_request_id="probe", memory_limit_in_mb=1024,
                                    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
                                    get_remaining_time_in_millis=lambda: 30_000)
    answers = []
    for event in spec["events"]:
        response = app.app(event, context)
        answers.append({"status": response["statusCode"], "body": json.loads(response["body"])})
    allowed = [*spec["paths"], sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]]
    outside = sorted(name for name, module in list(sys.modules.items()) if name != "__main__"
                     if getattr(module, "__file__", None) and not module.__file__.startswith(tuple(allowed)))
    print(json.dumps({"python": sys.version.split()[0], "import_cpu_ms": import_cpu_ms,
                      "loaded_by_import": loaded_by_import, "handlers": handlers, "answers": answers,
                      "outside": outside, "flags": {"isolated": sys.flags.isolated, "no_site": sys.flags.no_site}}))


if __name__ == "__main__":
    main()
