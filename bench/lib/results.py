"""The reported rows: one dict per row, in order; the report writes them."""

from .common import say, summary

RESULTS = []    # one dict per reported row, in order


def add_result(bench, what, target, values, passed, unit="ratio", extra=None):
    """One reported row: ``values`` are the per-pair figures (ratios or
    differences), ``passed`` the verdict computed from their median (None:
    informational, no target)."""
    row = {"bench": bench, "what": what, "target": target, "unit": unit,
           "pairs": len(values), "values": [round(v, 6) for v in values]}
    row.update({k: round(v, 6) for k, v in summary(values).items()})
    row["verdict"] = "info" if passed is None else ("PASS" if passed else "MISS")
    if extra:
        row["details"] = extra
    RESULTS.append(row)
    say("%-34s median %.4g (min %.4g, max %.4g) %s  [%s]"
        % (what, row["median"], row["min"], row["max"], unit, row["verdict"]))
    return row


def add_error(bench, what, target, error):
    RESULTS.append({"bench": bench, "what": what, "target": target, "verdict": "ERROR",
                    "error": str(error)[:2000]})
    say("%s: ERROR %s" % (what, error))


def guarded(bench, rows):
    """Decorator: an exception in one benchmark becomes ERROR rows (then the
    harness reports the failure) instead of losing the whole report."""
    def deco(fn):
        def wrapper():
            try:
                fn()
            except BaseException as e:
                for what, target in rows:
                    if not any(r["bench"] == bench and r["what"] == what for r in RESULTS):
                        add_error(bench, what, target, "%s: %s" % (type(e).__name__, e))
                raise
        wrapper.__name__ = fn.__name__
        wrapper._itest_timeout = getattr(fn, "_itest_timeout", 300.0)
        return wrapper
    return deco
