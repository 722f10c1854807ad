"""Helpers for the tests of the machine-readable contracts (the ?json schema in
conf/schema/, the Grafana dashboard, the Prometheus rules): where those files
are, the README's field tables, and the metric names a running server exposes.
Imports harness; changes nothing of it."""
import copy
import json
import os
import re

import harness

SCHEMA_PATH = os.path.join("conf", "schema", "semguard-status.schema.json")
DASHBOARD_PATH = os.path.join("conf", "grafana", "semguard.json")
RULES_PATH = os.path.join("conf", "prometheus", "semguard.rules.yml")


def source_file(rel):
    return os.path.join(harness.source_dir(), rel)


def status_server(**kw):
    return harness.Server(semguard_status=True, **kw)


def load_schema():
    with open(source_file(SCHEMA_PATH)) as f:
        return json.load(f)


def strict(schema):
    """The schema with additionalProperties false on every object: a member the
    server writes but the schema does not name fails validation."""
    out = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(out)
    return out


def schema_fields(schema):
    """{section: set(field names)}, sections named as in the README
    ("Top level", "server", "kernel.limits", "sets[].semaphores", ...)."""
    defs = schema["$defs"]
    names = {
        "Top level": schema,
        "server": defs["server"], "kernel": defs["kernel"],
        "kernel.limits": defs["kernel_limits"], "kernel.usage": defs["kernel_usage"],
        "kernel.projected": defs["kernel_projected"], "kernel.headroom": defs["kernel_headroom"],
        "mutexes": defs["mutex"], "sets": defs["set"], "sets[].semaphores": defs["semaphore"],
        "startup": defs["startup"],
        "startup.reclaimed[] and startup.would_reclaim[]": defs["reclaimed_set"],
        "startup.kept[]": defs["kept_set"],
        "owners": defs["owner"], "removeipc": defs["removeipc"],
    }
    return {k: set(v["properties"]) for k, v in names.items()}


def schema_required(schema):
    defs = schema["$defs"]
    out = {"Top level": set(schema["required"])}
    for k, v in defs.items():
        out[k] = set(v.get("required", ()))
    return out


def readme_fields():
    """{section: set(field names)} from the README's ?json tables (between
    '### Top level' and '### Example')."""
    with open(source_file("README.md")) as f:
        text = f.read()
    start = text.index("### Top level")
    end = text.index("### Example", start)
    sections, cur = {}, None
    for line in text[start:end].splitlines():
        m = re.match(r"^#{3,4} (.*)$", line)
        if m:
            cur = m.group(1).strip()
            sections[cur] = set()
            continue
        m = re.match(r"^\| `([a-z_]+)` \| ", line)
        if m and cur is not None:
            sections[cur].add(m.group(1))
    return sections


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? ", re.M)
_META = re.compile(r"^# (?:HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ", re.M)


def exposed_metric_names(text):
    """Every metric name in a Prometheus text exposition: families from # HELP /
    # TYPE and every sample's name."""
    return set(_META.findall(text)) | {m.group(1) for m in _SAMPLE.finditer(text)}


def metric_names_in(expr):
    """The semguard_* metric names a PromQL expression refers to."""
    return set(re.findall(r"\bsemguard_[a-zA-Z0-9_]+", expr))
