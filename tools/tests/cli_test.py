#!/usr/bin/env python3
"""End-to-end tests of the `stash` store commands: run the built binary on
real stores (filled by stash_test_writer) and check stdout, stderr, exit
codes, and that reading never changes a store.

    cli_test.py --stash BIN --writer BIN --work DIR SUITE

SUITE is one of: durable, sqlite, sqlite_to_durable, json, bad_input,
backup_under_writer, postgres_round_trip, postgres_backup_under_writer (these
two need STASH_TEST_POSTGRES_URL; they exit 77, reported by ctest as skipped,
without it).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

ARGS = None
SKIP = 77


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def stash(*args, expect=0, stdin=None):
    """Runs `stash ARGS`; checks the exit code; returns (stdout, stderr)."""
    proc = subprocess.run([ARGS.stash, *args], capture_output=True, timeout=120, input=stdin)
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    if proc.returncode != expect:
        raise Failure(f"`stash {' '.join(args)}` exited {proc.returncode}, expected {expect}\n"
                      f"stdout:\n{out}\nstderr:\n{err}")
    return out, err


def fails_with_one_line(*args, mentions=(), expect=2):
    out, err = stash(*args, expect=expect)
    lines = err.strip().splitlines()
    check(len(lines) == 1, f"`stash {' '.join(args)}`: expected one line on stderr, got:\n{err}")
    for fact in mentions:
        check(fact in err, f"`stash {' '.join(args)}`: stderr does not mention {fact!r}: {err}")
    check(out == "", f"`stash {' '.join(args)}`: wrote to stdout on failure: {out}")
    return err


def writer(*args):
    subprocess.run([ARGS.writer, *args], check=True, timeout=120)


def path(name):
    return os.path.join(ARGS.work, name)


def tree_digest(root):
    """A digest of every file under root (or of root, a file)."""
    h = hashlib.sha256()
    if os.path.isfile(root):
        with open(root, "rb") as f:
            h.update(f.read())
        return h.hexdigest()
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            full = os.path.join(dirpath, name)
            h.update(full.encode())
            with open(full, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


# What stash_test_writer fill writes, as `stash dump` prints it.
FILLED_DUMP = """\
collection "" since {0} upper {1}
  "" "" 0 1
collection "bytes\\x00name" since {0} upper {2}
  "\\x00\\xff\\"\\\\" "\\x0a\\x09" 5 -3
  "plain" "" 0 1
collection "extremes" since {0} upper {9223372036854775807}
  "max" "v" 9223372036854775807 9223372036854775807
  "min" "v" 0 -9223372036854775808
collection "fresh" since {0} upper {0}
collection "orders" since {3} upper {5}
  "widgets" "1" 3 2
  "widgets" "2" 3 1
  "wombats" "2" 3 2
  "wombats" "2" 4 -2
  "zebras" "9" 7 1
collection "sealed all" since {4} upper {}
  "k" "v" 10 1
collection "\\xc3\\xa9t\\xc3\\xa9" since {} upper {}
"""


def check_filled_store(url, original):
    """Every read command on a filled store; none changes it."""
    before = tree_digest(original) if original else None
    out, _ = stash("dump", url)
    check(out == FILLED_DUMP, f"dump {url}:\n{out}\nexpected:\n{FILLED_DUMP}")
    out, _ = stash("ls", url)
    lines = out.splitlines()
    check(lines[0].split() == ["COLLECTION", "SINCE", "UPPER", "ROWS", "BYTES"], out)
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    check(rows['"orders"'] == ["{3}", "{5}", "5", "39"], out)
    check(rows['"fresh"'] == ["{0}", "{0}", "0", "0"], out)
    check(rows['"\\xc3\\xa9t\\xc3\\xa9"'] == ["{}", "{}", "0", "0"], out)
    out, _ = stash("dump", url, "orders", "--as-of", "4")
    check(out == 'collection "orders" as of 4 (since {3} upper {5})\n'
                 '  "widgets" "1" 2\n  "widgets" "2" 1\n', out)
    out, _ = stash("dump", url, "orders", "--as-of", "3")
    check('"wombats" "2" 2' in out, out)
    out, _ = stash("dump", url, "orders", "--as-of", "4", "--bytes", "hex")
    check('  77696467657473 31 2' in out, out)
    # As of the peek timestamp, dump is what peek returns: checked through
    # the one collection whose contents are known.
    fails_with_one_line("dump", url, "orders", "--as-of", "5", mentions=["upper {5}"])
    fails_with_one_line("dump", url, "orders", "--as-of", "2", mentions=["since {3}"])
    fails_with_one_line("dump", url, "--as-of", "0", mentions=["cannot be read as of 0"])
    fails_with_one_line("dump", url, "no such", mentions=["no such"])
    out, _ = stash("verify", url)
    check(out.strip().endswith("0 problems"), out)
    if original:
        check(tree_digest(original) == before, f"reading {url} changed {original}")


def store_round_trip(source_url, source_path, target_url):
    """export -> import -> identical dump; then the refusals."""
    export = path("export.stash")
    stash("export", source_url, export)
    stash("import", target_url, export)
    check(stash("dump", target_url)[0] == stash("dump", source_url)[0],
          f"{target_url} differs from {source_url} after export/import")
    fails_with_one_line("import", target_url, export, mentions=["not empty", "--into-non-empty"])
    fails_with_one_line("import", target_url, export, "--into-non-empty",
                        mentions=["frontier_violation"])
    check(stash("dump", target_url)[0] == FILLED_DUMP, "a refused import changed the store")
    if source_path:
        check_filled_store(source_url, source_path)


def backup_round_trip(url, dest, dest_url):
    stash("backup", url, dest)
    check(stash("verify", dest_url)[0].strip().endswith("0 problems"), "backup does not verify")
    check(stash("dump", dest_url)[0] == FILLED_DUMP, "backup differs")
    fails_with_one_line("backup", url, dest, mentions=["exists"])


def suite_durable():
    store = path("store")
    writer("fill", f"memory:{store}")
    check_filled_store(f"memory:{store}", store)
    store_round_trip(f"memory:{store}", store, f"memory:{path('copy')}")
    backup_round_trip(f"memory:{store}", path("backup"), f"memory:{path('backup')}")


def suite_sqlite():
    db = path("s.stash")
    writer("fill", f"sqlite:{db}")
    check_filled_store(f"sqlite:{db}", db)
    store_round_trip(f"sqlite:{db}", db, f"sqlite:{path('copy.stash')}")
    backup_round_trip(f"sqlite:{db}", path("backup.stash"), f"sqlite:{path('backup.stash')}")
    out, _ = stash("verify", f"sqlite:{db}")
    for check_name in ("sqlite quick_check", "sqlite integrity_check", "INV-2 since <= upper"):
        check(f"ok       {check_name}" in out, out)


def suite_sqlite_to_durable():
    db = path("s.stash")
    writer("fill", f"sqlite:{db}")
    store_round_trip(f"sqlite:{db}", db, f"memory:{path('durable')}")
    export2 = path("again.stash")
    stash("export", f"memory:{path('durable')}", export2)
    stash("import", f"sqlite:{path('back.stash')}", export2)
    check(stash("dump", f"sqlite:{path('back.stash')}")[0] == FILLED_DUMP, "sqlite -> durable -> sqlite")


def suite_json():
    db = path("s.stash")
    writer("fill", f"sqlite:{db}")
    lines = [json.loads(l) for l in stash("ls", f"sqlite:{db}", "--format", "json")[0].splitlines()]
    check([l["collection"] for l in lines] ==
          ["", "bytes\0name", "extremes", "fresh", "orders", "sealed all", "\u00e9t\u00e9"], lines)
    orders = next(l for l in lines if l["collection"] == "orders")
    check(orders == {"collection": "orders", "since": 3, "upper": 5, "rows": 5, "bytes": 39}, orders)
    check(lines[-1]["since"] is None and lines[-1]["upper"] is None, lines[-1])
    rows = [json.loads(l) for l in stash("dump", f"sqlite:{db}", "--format", "json")[0].splitlines()]
    odd = [r for r in rows if r["collection"] == "bytes\0name"]
    check(odd[0] == {"collection": "bytes\0name", "key": "00ff225c", "value": "0a09",
                     "time": 5, "diff": -3}, odd)
    extremes = [r for r in rows if r["collection"] == "extremes"]
    check(extremes[0]["diff"] == 2**63 - 1 and extremes[1]["diff"] == -2**63, extremes)
    peek = [json.loads(l) for l in
            stash("dump", f"sqlite:{db}", "orders", "--as-of", "4", "--format", "json")[0].splitlines()]
    check(peek == [{"collection": "orders", "as_of": 4, "key": "77696467657473", "value": "31", "diff": 2},
                   {"collection": "orders", "as_of": 4, "key": "77696467657473", "value": "32", "diff": 1}],
          peek)
    report = json.loads(stash("verify", f"sqlite:{db}", "--format", "json")[0])
    check(report["healthy"] and report["problems"] == [] and "sqlite integrity_check" in report["checks"],
          report)
    report = json.loads(stash("check", "memory:", "--seed", "3", "--cases", "40", "--depth", "1",
                              "--quiet", "--format", "json")[0])
    check(report["passed"] and report["seed"] == 3 and len(report["checks"]) > 10, report)
    check(all(c["outcome"] in ("passed", "not_applicable") for c in report["checks"]), report)
    check(any(c["name"].startswith("collections:") for c in report["checks"]), report)
    version, _ = stash("--version")
    check(version.startswith("stash "), version)
    for command in ("ls", "dump", "verify", "export", "import", "backup", "check"):
        out, _ = stash(command, "--help")
        check(out.startswith("") and "URL" in out and "--help" in out, f"{command} --help:\n{out}")
    out, _ = stash("--help")
    check("Exit codes" in out and "verify" in out, out)


def corrupt(file, offset, data):
    with open(file, "r+b") as f:
        f.seek(offset)
        f.write(data)


def suite_bad_input():
    missing_db = path("missing.stash")
    fails_with_one_line("ls", f"sqlite:{missing_db}", mentions=[missing_db])
    check(not os.path.exists(missing_db), "ls created the file it could not find")
    missing_dir = path("missing-dir")
    fails_with_one_line("dump", f"memory:{missing_dir}", mentions=[missing_dir])
    check(not os.path.exists(missing_dir), "dump created the directory it could not find")
    fails_with_one_line("verify", f"memory:{missing_dir}", mentions=[missing_dir])
    fails_with_one_line("ls", "nosuch:x", mentions=["nosuch"])
    fails_with_one_line("ls", "no-colon", mentions=["no-colon"])
    # Foreign files: text, and an SQLite database that is not a stash.
    text_file = path("notes.txt")
    with open(text_file, "w") as f:
        f.write("not a database\n" * 100)
    fails_with_one_line("ls", f"sqlite:{text_file}")
    import sqlite3
    other = path("other.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    before = tree_digest(other)
    fails_with_one_line("ls", f"sqlite:{other}", mentions=["application id"])
    fails_with_one_line("import", f"sqlite:{other}", text_file, mentions=["not a stash export"])
    check(tree_digest(other) == before, "a refused command changed a foreign database")
    # An unreachable server: one line, in bounded time.
    start = time.monotonic()
    fails_with_one_line("ls", "postgres:host=/nonexistent-socket-dir port=1 dbname=x connect_timeout=2")
    check(time.monotonic() - start < 30, "an unreachable server took too long")
    # A corrupt SQLite stash: verify names the problem (exit 1), ls refuses.
    db = path("s.stash")
    writer("fill", f"sqlite:{db}")
    check(not os.path.exists(db + "-wal"), "the writer left a WAL behind")
    corrupt(db, 4096, b"\xde\xad\xbe\xef" * 1024)  # all of page 2
    out, _ = stash("verify", f"sqlite:{db}", expect=1)
    check("PROBLEM" in out, out)
    fails_with_one_line("ls", f"sqlite:{db}", mentions=["corruption"])
    # A corrupt durable store: a flipped byte in SNAPSHOT.
    store = path("store")
    writer("fill", f"memory:{store}")
    snapshot = os.path.join(store, "SNAPSHOT")
    middle = os.path.getsize(snapshot) // 2
    with open(snapshot, "rb") as f:
        f.seek(middle)
        flipped = bytes([f.read(1)[0] ^ 0xFF])
    corrupt(snapshot, middle, flipped)
    before = tree_digest(store)
    out, _ = stash("verify", f"memory:{store}", expect=1)
    check("PROBLEM  durable SNAPSHOT and LOG" in out and snapshot in out, out)
    fails_with_one_line("dump", f"memory:{store}", mentions=["corruption"])
    check(tree_digest(store) == before, "reading a corrupt store changed it")
    # Export files: missing, truncated, tampered, from the future.
    good = path("good")
    writer("fill", f"memory:{good}")
    export = path("export.stash")
    stash("export", f"memory:{good}", export)
    with open(export, "rb") as f:
        data = f.read()
    target = path("target.stash")
    fails_with_one_line("import", f"sqlite:{target}", path("no-such-export"), mentions=["no-such-export"])
    cases = {
        "truncated": (data[: len(data) // 2], "truncated"),
        "no end line": (data[: data.rindex(b"\n", 0, len(data) - 1) + 1], "truncated"),
        "tampered": (data.replace(b'"diff":-3', b'"diff":-4'), "checksum mismatch"),
        "empty": (b"", "not a stash export"),
        "newer version": (data.replace(b'"version":1', b'"version":2', 1), "version 2"),
    }
    for name, (content, fact) in cases.items():
        bad = path(f"bad-{name.replace(' ', '-')}.stash")
        with open(bad, "wb") as f:
            f.write(content)
        fails_with_one_line("import", f"sqlite:{target}", bad, mentions=[fact])
        check(not os.path.exists(target), f"a refused import ({name}) left {target}")
    # Nothing written where an export cannot go.
    fails_with_one_line("export", f"memory:{good}", path("no-dir/export.stash"))
    check(not os.path.exists(path("no-dir")), "export created a directory")
    fails_with_one_line("backup", "memory:", path("b"), mentions=["in-memory"])
    check(not os.path.exists(path("b")), "a refused backup wrote something")
    fails_with_one_line("backup", f"sqlite:{missing_db}", path("b"))
    check(not os.path.exists(path("b")), "a refused backup wrote something")


def suite_backup_under_writer():
    for url, dest, dest_url in (
        (f"sqlite:{path('live.stash')}", path("backup.stash"), f"sqlite:{path('backup.stash')}"),
        (f"memory:{path('live')}", path("backup-dir"), f"memory:{path('backup-dir')}"),
    ):
        stop = path("stop")
        if os.path.exists(stop):
            os.remove(stop)
        proc = subprocess.Popen([ARGS.writer, "run", url, stop], stdout=subprocess.PIPE, text=True)
        try:
            for _ in range(5):  # wait until the writer has written 100 steps
                check(proc.stdout.readline().startswith("step"), "the writer stopped early")
            stash("backup", url, dest)
            # Reads of the live store work too, and the writer goes on.
            stash("ls", url)
            check(proc.stdout.readline().startswith("step"), "the writer stopped during the backup")
        finally:
            open(stop, "w").close()
            proc.wait(timeout=60)
        check(proc.returncode == 0, f"the writer failed: {proc.returncode}")
        out, _ = stash("verify", dest_url)
        check(out.strip().endswith("0 problems"), out)
        lines = [json.loads(l) for l in stash("ls", dest_url, "--format", "json")[0].splitlines()]
        a, b = lines
        check(a["upper"] >= 100, f"the backup is older than the writer's first 100 steps: {a}")
        check({**a, "collection": "b"} == b, f"the backup is not one consistent cut: {a} vs {b}")
        rows = [json.loads(l) for l in stash("dump", dest_url, "--format", "json")[0].splitlines()]
        rows_a = [{**r, "collection": None} for r in rows if r["collection"] == "a"]
        rows_b = [{**r, "collection": None} for r in rows if r["collection"] == "b"]
        check(rows_a == rows_b and rows_a, "a and b differ in the backup")


def check_one_cut(url, at_least):
    """The store at url, filled by `stash_test_writer run`, is one cut: a and b equal."""
    lines = [json.loads(l) for l in stash("ls", url, "--format", "json")[0].splitlines()]
    a, b = lines
    check(a["upper"] >= at_least, f"the copy is older than the writer's first {at_least} steps: {a}")
    check({**a, "collection": "b"} == b, f"the copy is not one consistent cut: {a} vs {b}")
    rows = [json.loads(l) for l in stash("dump", url, "--format", "json")[0].splitlines()]
    rows_a = [{**r, "collection": None} for r in rows if r["collection"] == "a"]
    rows_b = [{**r, "collection": None} for r in rows if r["collection"] == "b"]
    check(rows_a == rows_b and rows_a, "a and b differ in the copy")
    return a["upper"]


def suite_postgres_backup_under_writer():
    """`stash backup` and `stash export` of PostgreSQL while stash_test_writer
    appends to a and b atomically: every copy has a and b equal (read_all:
    one snapshot across collections)."""
    server = os.environ.get("STASH_TEST_POSTGRES_URL")
    if not server:
        print("postgres backup under writer not run: STASH_TEST_POSTGRES_URL is not set "
              "(bash ci/with-postgres ctest -L postgres)")
        return SKIP
    database = f"stash_cli_backup_{os.getpid()}"
    subprocess.run(["psql", server, "-q", "-c", f"CREATE DATABASE {database}"], check=True, timeout=60)
    stop = path("stop")
    proc = None
    try:
        pg = f"postgres:{server} dbname={database}"
        proc = subprocess.Popen([ARGS.writer, "run", pg, stop], stdout=subprocess.PIPE, text=True)
        for _ in range(5):  # wait until the writer has written 100 steps
            check(proc.stdout.readline().startswith("step"), "the writer stopped early")
        uppers = []
        for i in range(6):
            copy = path(f"pg-copy-{i}.stash")
            stash("backup" if i % 2 == 0 else "export", pg, copy)
            restored = f"sqlite:{path(f'restored-{i}.stash')}"
            stash("import", restored, copy)
            uppers.append(check_one_cut(restored, 100))
            # The writer goes on between copies.
            check(proc.stdout.readline().startswith("step"), "the writer stopped during a copy")
        check(uppers == sorted(uppers) and uppers[0] < uppers[-1],
              f"the copies did not follow the writer: uppers {uppers}")
        print(f"6 copies under the writer, uppers {uppers}: each one cut")
    finally:
        open(stop, "w").close()
        if proc:
            proc.wait(timeout=60)
        subprocess.run(["psql", server, "-q", "-c", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"],
                       timeout=60)
    check(proc.returncode == 0, f"the writer failed: {proc.returncode}")


def suite_postgres_round_trip():
    server = os.environ.get("STASH_TEST_POSTGRES_URL")
    if not server:
        print("postgres round trip not run: STASH_TEST_POSTGRES_URL is not set "
              "(bash ci/with-postgres ctest -L postgres)")
        return SKIP
    database = f"stash_cli_{os.getpid()}"
    subprocess.run(["psql", server, "-q", "-c", f"CREATE DATABASE {database}"], check=True, timeout=60)
    try:
        pg = f"postgres:{server} dbname={database}"
        db = path("s.stash")
        writer("fill", f"sqlite:{db}")
        export = path("export.stash")
        stash("export", f"sqlite:{db}", export)
        stash("import", pg, export)
        check(stash("dump", pg)[0] == stash("dump", f"sqlite:{db}")[0] == FILLED_DUMP,
              "SQLite -> export -> PostgreSQL import -> dump differs")
        check(stash("dump", pg, "--format", "json")[0] ==
              stash("dump", f"sqlite:{db}", "--format", "json")[0], "json dumps differ")
        check_filled_store(pg, None)
        fails_with_one_line("import", pg, export, mentions=["not empty"])
        stash("backup", pg, path("pg-backup.stash"))
        stash("import", f"sqlite:{path('from-pg.stash')}", path("pg-backup.stash"))
        check(stash("dump", f"sqlite:{path('from-pg.stash')}")[0] == FILLED_DUMP, "pg backup differs")
        fails_with_one_line("ls", f"postgres:{server} dbname=no_such_database_here")
        out, _ = stash("verify", pg)
        check("ok       one fence row" in out and "ok       INV-2 since <= upper" in out, out)
        # Damage the stored rows behind the backend's back: verify names it.
        subprocess.run(["psql", f"{server} dbname={database}", "-q", "-c",
                        "UPDATE stash.collections SET since = 9 WHERE name = 'orders'::bytea"],
                       check=True, timeout=60)
        out, _ = stash("verify", pg, expect=1)
        check("PROBLEM  INV-2 since <= upper: collection id" in out, out)
    finally:
        subprocess.run(["psql", server, "-q", "-c", f"DROP DATABASE IF EXISTS {database}"], timeout=60)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--stash", required=True)
    parser.add_argument("--writer", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("suite")
    ARGS = parser.parse_args()
    shutil.rmtree(ARGS.work, ignore_errors=True)
    os.makedirs(ARGS.work)
    suite = globals().get("suite_" + ARGS.suite)
    if suite is None:
        print(f"unknown suite {ARGS.suite}", file=sys.stderr)
        return 2
    try:
        result = suite()
    except Failure as e:
        print(f"FAILED {ARGS.suite}: {e}", file=sys.stderr)
        return 1
    if result == SKIP:
        return SKIP
    print(f"passed {ARGS.suite}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
