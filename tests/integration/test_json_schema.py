"""The ?json document against its JSON Schema (draft 2020-12,
conf/schema/semguard-status.schema.json), in every state the other integration
tests produce: ok, warn, critical, reclaimed, kept, dry run, a set removed from
outside, and a server without SysV mutexes. Each document is validated twice:
against the schema as shipped (open to added fields, as the README's
stability rules say) and against a strict copy (no member the schema does not
name), so a field the server writes but the schema lacks fails here. One more
test checks that the README's tables and the schema name the same fields.

Run: python3 tests/integration/test_json_schema.py [test_name ...]
"""
import json
import os
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import sem_sets, set_sem_limits, create_set, hold_set, remove_set  # noqa: E402
import status_schema_support as sup  # noqa: E402

try:
    import jsonschema
except ImportError:       # scripts/setup.sh installs python3-jsonschema
    jsonschema = None


def validators():
    assert jsonschema is not None, "python3-jsonschema missing: run scripts/setup.sh"
    schema = sup.load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return (jsonschema.Draft202012Validator(schema),
            jsonschema.Draft202012Validator(sup.strict(schema)))


def document(server):
    r = server.get("/semguard-status?json")
    assert r.status == 200, r.status
    return json.loads(r.body)


def validate(doc, what):
    """Validates doc with both validators; returns it."""
    for v, kind in zip(validators(), ("schema", "strict schema")):
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        assert not errors, "%s: the ?json document fails the %s:\n%s\n%s" % (
            what, kind, "\n".join("  %s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
                                  for e in errors[:10]),
            json.dumps(doc, indent=1)[:3000])
    return doc


def plant(n):
    return [create_set(uid="nobody", gid="nogroup", value=1) for _ in range(n)]


# --------------------------------------------------------------------------


def test_readme_and_schema_name_the_same_fields():
    readme = sup.readme_fields()
    schema = sup.schema_fields(sup.load_schema())
    assert set(readme) == set(schema), (sorted(readme), sorted(schema))
    diffs = []
    for section in sorted(schema):
        only_readme = readme[section] - schema[section]
        only_schema = schema[section] - readme[section]
        if only_readme or only_schema:
            diffs.append("%s: README only %s, schema only %s" % (
                section, sorted(only_readme), sorted(only_schema)))
    assert not diffs, "\n".join(diffs)
    # Every documented field is always present (README, Stability): required.
    req = sup.schema_required(sup.load_schema())
    for section, names in schema.items():
        key = {"Top level": "Top level"}.get(section)
        if key:
            assert req[key] == names, (section, req[key], names)
    for name, d in sup.load_schema()["$defs"].items():
        assert set(d["required"]) == set(d["properties"]), name


def test_schema_rejects_what_it_should():
    """The schema is not vacuous: broken documents fail it."""
    s = sup.status_server()
    s.start()
    doc = validate(document(s), "ok")
    v, strict = validators()
    bad = [
        ("wrong schema version", lambda d: d.update(schema="mod_semguard.status/2")),
        ("missing field", lambda d: d["kernel"]["usage"].pop("arrays")),
        ("string for integer", lambda d: d["sets"][0].update(semid="1")),
        ("unknown headroom state", lambda d: d["kernel"]["headroom"].update(state="fine")),
        ("unknown semaphore state", lambda d: d["sets"][0]["semaphores"][0].update(state="x")),
        ("bad mode", lambda d: d["sets"][0].update(mode="600")),
        ("negative pid", lambda d: d["server"].update(parent_pid=-1)),
    ]
    for what, change in bad:
        d = json.loads(json.dumps(doc))
        change(d)
        assert not v.is_valid(d), "the schema accepts a document with a %s" % what
    d = json.loads(json.dumps(doc))
    d["server"]["future_field"] = 1
    assert v.is_valid(d), "the schema must accept added fields (README: Stability)"
    assert not strict.is_valid(d), "the strict copy must refuse unknown fields"


def test_ok_and_no_sysv_states():
    s = sup.status_server()
    s.start()
    doc = validate(document(s), "ok")
    assert doc["kernel"]["headroom"]["state"] == "ok", doc["kernel"]["headroom"]
    assert len(doc["sets"]) == 3 and all(x["present"] for x in doc["sets"]), doc["sets"]
    assert doc["startup"]["reclaimed"] == [] and doc["startup"]["kept"] == []
    s.stop()
    # Debian's APR default (pthread): no SysV mutex, no set.
    p = sup.status_server(mutex=None, ssl=False, rewrite_map=False)
    p.start()
    doc = validate(document(p), "no sysv")
    assert doc["sysv_in_use"] is False and doc["sets"] == [], (doc["sysv_in_use"], doc["sets"])


def test_warn_and_critical_states():
    set_sem_limits(250, 32000, 32, 16)
    s = sup.status_server()
    s.start()
    foreign = plant(16 - 3 - 2)              # 14 of 16 arrays: 87%
    doc = validate(document(s), "warn")
    assert doc["kernel"]["headroom"]["state"] == "warn", doc["kernel"]
    assert doc["kernel"]["usage"]["arrays"] == len(sem_sets()) == 14, doc["kernel"]["usage"]
    foreign += plant(2)                      # 16 of 16
    doc = validate(document(s), "critical")
    assert doc["kernel"]["headroom"]["state"] == "critical", doc["kernel"]
    assert doc["kernel"]["usage"]["arrays_free"] == 0, doc["kernel"]["usage"]
    for sid in foreign:
        remove_set(sid)


def test_reclaimed_state():
    s = sup.status_server()
    s.start()
    old = sorted(x["semid"] for x in sem_sets())
    parent = s.last_parent
    s.kill9()
    s.start()
    doc = validate(document(s), "reclaimed")
    got = sorted(x["semid"] for x in doc["startup"]["reclaimed"])
    assert got == old, (got, old, doc["startup"])
    assert {x["old_parent_pid"] for x in doc["startup"]["reclaimed"]} == {parent}
    assert doc["startup"]["reclaimed_total"] == 3 and doc["startup"]["post_mortem"], doc["startup"]
    s.assert_log_clean(allowed=harness.CRASH_NOISE)


def test_dryrun_state():
    s = sup.status_server(extra="SemGuardReclaim DryRun")
    s.start()
    s.kill9()
    s.start()
    doc = validate(document(s), "dryrun")
    assert doc["startup"]["mode"] == "dryrun" and len(doc["startup"]["would_reclaim"]) == 3, \
        doc["startup"]


def test_kept_state():
    """A set of the crashed run that another process holds cannot be proven
    stale: it is kept (SG0203) and listed under startup.kept."""
    s = sup.status_server()
    s.start()
    sets = {x["semid"]: x for x in document(s)["sets"]}
    victim = next(sid for sid, x in sets.items() if x["type"] == "rewrite-map")
    s.kill9()
    holder = hold_set(victim)
    s.start()
    doc = validate(document(s), "kept")
    kept = [x["semid"] for x in doc["startup"]["kept"]]
    assert kept == [victim], (victim, doc["startup"])
    assert doc["startup"]["kept"][0]["reason"], doc["startup"]
    assert doc["startup"]["kept_total"] == 1 and len(doc["startup"]["reclaimed"]) == 2, doc["startup"]
    holder.kill()


def test_missing_set_state():
    """A set removed from outside stays on the page with present false."""
    s = sup.status_server()
    s.start()
    doc = document(s)
    victim = next(x["semid"] for x in doc["sets"] if x["type"] == "rewrite-map")
    remove_set(victim)
    doc = validate(document(s), "missing set")
    gone = [x for x in doc["sets"] if x["semid"] == victim]
    assert gone and gone[0]["present"] is False and gone[0]["semaphores"] == [], doc["sets"]


if __name__ == "__main__":
    harness.run()
