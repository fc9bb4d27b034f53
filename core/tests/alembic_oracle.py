"""Asks real Alembic what it does, for the differential test
(core/tests/differential.rs).

Reads requests on stdin, one per line, and answers each with one line on
stdout. A request is fields separated by '|':

    dir|PATH                          load the versions directory PATH
    facts                             heads, real heads, bases, labels, history
    upgrade|CURRENT|TARGET            plan an upgrade from CURRENT (ids, ',')
    downgrade|CURRENT|TARGET          plan a downgrade
    stamp|CURRENT|TARGETS|PURGE       plan a stamp (PURGE is 0 or 1)
    history|RANGE                     walk_revisions for 'start:end'
    text|WHAT|ARG|VERBOSE             what `alembic WHAT` prints (history,
                                      heads, branches, show), newlines as \\n

An answer is 'OK ' followed by the steps separated by ';', each step
'kind/revision/ops/heads' (ops: the sorted letters I, D, U of the
version-table changes; heads: the sorted rows after the step), or 'ERR '
followed by the message; 'CRASH ' marks an exception that is not one of
Alembic's own errors (an AssertionError, KeyError...).

The version-table changes come from Alembic's own HeadMaintainer, run
against a stand-in context that records the statements instead of
executing them.
"""

import re
import sys

from alembic import util
from alembic.runtime.migration import HeadMaintainer, StampStep
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from sqlalchemy import Column, MetaData, String, Table

VALUE = re.compile(r"'([^']*)'")


class RecordingImpl:
    def __init__(self):
        self.ops = []

    def _exec(self, construct):
        sql = str(construct.compile(compile_kwargs={"literal_binds": True}))
        self.ops.append(sql.split()[0][0])  # I(NSERT), D(ELETE), U(PDATE)
        return None


class RecordingContext:
    as_sql = True  # Alembic skips its rowcount checks offline
    version_table = "alembic_version"

    def __init__(self):
        self.impl = RecordingImpl()
        self._version = Table(
            "alembic_version",
            MetaData(),
            Column("version_num", String(32), primary_key=True),
        )


def ids(text):
    return tuple(x for x in text.split(",") if x)


def render(steps, heads):
    ctx = RecordingContext()
    maintainer = HeadMaintainer(ctx, heads)
    out = []
    for step in steps:
        before = len(ctx.impl.ops)
        maintainer.update_to_step(step)
        ops = "".join(sorted(ctx.impl.ops[before:]))
        rows = ",".join(sorted(maintainer.heads))
        if isinstance(step, StampStep):
            what = "stamp/%s>%s" % (",".join(step.from_), ",".join(step.to_))
        else:
            kind = "upgrade" if step.is_upgrade else "downgrade"
            what = "%s/%s" % (kind, step.revision.revision)
        out.append("%s/%s/%s" % (what, ops, rows))
    return "OK " + ";".join(out)


def facts(script):
    rmap = script.revision_map
    revs = list(script.walk_revisions())
    labels = ",".join(
        "%s:%s" % (r.revision, "+".join(sorted(r.branch_labels)))
        for r in sorted(revs, key=lambda r: r.revision)
        if r.branch_labels
    )
    return "OK heads=%s;real=%s;bases=%s;labels=%s;history=%s" % (
        ",".join(rmap.heads),
        ",".join(rmap._real_heads),
        ",".join(rmap.bases),
        labels,
        ",".join(r.revision for r in revs),
    )


def text(script, fields):
    """What Alembic's own commands print, newlines escaped."""
    import io

    from alembic import command as commands
    from alembic.config import Config

    out = io.StringIO()
    config = Config(stdout=out)
    config.set_main_option("script_location", script.dir)
    config.set_main_option("version_locations", script.dir)
    what, arg, verbose = fields[1], fields[2], fields[3] == "1"
    if what == "history":
        commands.history(config, arg or None, verbose=verbose)
    elif what == "heads":
        commands.heads(config, verbose=verbose)
    elif what == "branches":
        commands.branches(config, verbose=verbose)
    elif what == "show":
        commands.show(config, arg)
    elif what == "current":
        # What `alembic current` prints for a database whose rows are `arg`
        # (the command itself needs a connection; this is its display).
        rows = ids(arg)
        for rev in sorted(script.get_all_current(rows), key=lambda r: r.revision):
            out.write(rev.cmd_format(verbose) + "\n")
    return "OK " + out.getvalue().replace("\\", "\\\\").replace("\n", "\\n")


def answer(script, fields):
    command = fields[0]
    if command == "facts":
        return facts(script)
    if command == "text":
        return text(script, fields)
    if command == "history":
        start, end = fields[1].split(":")
        revs = script.walk_revisions(base=start or "base", head=end or "heads")
        return "OK " + ",".join(r.revision for r in revs)
    current = ids(fields[1])
    if command == "upgrade":
        return render(script._upgrade_revs(fields[2], current), current)
    if command == "downgrade":
        return render(script._downgrade_revs(fields[2], current), current)
    if command == "stamp":
        heads = () if fields[3] == "1" else current
        steps = script._stamp_revs(ids(fields[2]) or "base", heads)
        return render(steps, heads)
    raise ValueError("unknown request %r" % command)


def main():
    import warnings

    warnings.simplefilter("ignore")
    script = None
    for line in sys.stdin:
        fields = line.rstrip("\n").split("|")
        if fields[0] == "dir":
            script = ScriptDirectory(fields[1], version_locations=[fields[1]])
            print("OK", flush=True)
            continue
        try:
            reply = answer(script, fields)
        except (util.CommandError, RevisionError) as err:
            reply = "ERR " + str(err).replace("\n", " ")
        except Exception as err:  # Alembic crashes: AssertionError, KeyError
            reply = "CRASH %s: %s" % (type(err).__name__, err)
        print(reply, flush=True)


if __name__ == "__main__":
    main()
