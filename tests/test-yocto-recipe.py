#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check packaging/yocto/chaird_git.bb against the meson build.

- Every dependency() in the meson files maps to a Yocto recipe (table below;
  an unmapped name fails: add it here and to the recipe).
- A dependency that is always required, or looked up with required: false
  (install directories from systemd.pc / udev.pc), is in DEPENDS; one gated by
  a feature option (required: get_option('X')) is in PACKAGECONFIG[X] with
  -DX=enabled/-DX=disabled.
- Nothing in DEPENDS or PACKAGECONFIG that meson does not use (native build
  tools listed below excepted).
- LIC_FILES_CHKSUM matches the file it names, PV starts with the meson project
  version, the useradd accounts are those of systemd/chaird.sysusers, and
  SYSTEMD_SERVICE names a unit the tree has.
"""
import hashlib
import os
import re
import sys

SRC = os.environ.get("CHAIRD_SOURCE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPE = os.path.join(SRC, "packaging", "yocto", "chaird_git.bb")

# pkg-config / meson dependency name -> OpenEmbedded recipe (None: the C library).
RECIPE_OF = {
    "threads": None,
    "libcyaml": "libcyaml",
    "yaml-0.1": "libyaml",
    "json-c": "json-c",
    "libgpiod": "libgpiod",
    "libsystemd": "systemd",
    "systemd": "systemd",
    "udev": "systemd",
    "libmosquitto": "mosquitto",
    "cmocka": "cmocka",
}
# Build tools find_program() looks for behind a feature option -> native recipe.
NATIVE_TOOL_OF = {"scdoc": "scdoc-native"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def strip_comments(text):
    out = []
    for line in text.splitlines():
        # meson comments start with # outside strings; the files here never put # in strings
        # except in a few messages, so only cut at a # that is not inside quotes.
        q = False
        for i, c in enumerate(line):
            if c == "'":
                q = not q
            elif c == "#" and not q:
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def calls(text, func):
    """Yield the argument text of each func(...) call, nested parentheses and strings handled."""
    for m in re.finditer(r"\b" + re.escape(func) + r"\s*\(", text):
        i, depth, q = m.end(), 1, False
        while i < len(text) and depth:
            c = text[i]
            if c == "'":
                q = not q
            elif not q:
                depth += c == "("
                depth -= c == ")"
            i += 1
        yield text[m.end():i - 1]


def meson_files():
    for root, dirs, files in os.walk(SRC):
        rel = os.path.relpath(root, SRC)
        dirs[:] = [d for d in dirs if not d.startswith((".", "build", "obj-")) and d != "subprojects"
                   and not (rel == "." and d == "debian")]
        if "meson.build" in files:
            yield os.path.join(root, "meson.build")


def classify(args):
    """(name, kind, option): kind is 'required', 'probe' (required: false) or 'feature'."""
    m = re.match(r"\s*'([^']+)'", args)
    if not m:
        return None
    req = re.search(r"\brequired\s*:\s*(.+?)\s*(,\s*\w+\s*:|$)", args, re.S)
    if not req or req.group(1).strip() == "true":
        return m.group(1), "required", None
    val = req.group(1).strip()
    if val == "false":
        return m.group(1), "probe", None
    opt = re.match(r"get_option\(\s*'([^']+)'\s*\)", val)
    if opt:
        return m.group(1), "feature", opt.group(1)
    return m.group(1), "unknown:" + val, None


def bb_value(text, var):
    """Values assigned to var with =, ?=, ??=, += (continuation lines joined)."""
    text = text.replace("\\\n", " ")
    vals = []
    for m in re.finditer(r"^" + re.escape(var) + r"\s*(\?\?=|\?=|\+=|=)\s*\"([^\"]*)\"", text, re.M):
        vals.append(m.group(2))
    return vals


def main():
    recipe = open(RECIPE).read()

    # --- meson side
    deps = {}    # name -> (kind, option, where)
    tools = {}   # find_program name -> option, for the native tools we map
    project_version = None
    for path in meson_files():
        text = strip_comments(open(path).read())
        where = os.path.relpath(path, SRC)
        if where == "meson.build":
            v = re.search(r"\bversion\s*:\s*'([^']+)'", next(calls(text, "project"), ""))
            project_version = v.group(1) if v else None
        for args in calls(text, "dependency"):
            c = classify(args)
            if c:
                deps.setdefault(c[0], (c[1], c[2], where))
        for args in calls(text, "find_program"):
            c = classify(args)
            if c and c[0] in NATIVE_TOOL_OF and c[1] == "feature":
                tools[c[0]] = c[2]
    print("meson dependencies: " + ", ".join("%s (%s%s)" % (n, k, ":" + o if o else "")
                                              for n, (k, o, _) in sorted(deps.items())))
    if "libcyaml" not in deps or "libsystemd" not in deps:
        fail("parsing the meson files found too little: %s" % sorted(deps))

    # --- recipe side
    depends = set(" ".join(bb_value(recipe, "DEPENDS")).split())
    pkgconfig = {}
    for m in re.finditer(r"^PACKAGECONFIG\[([\w-]+)\]\s*=\s*\"([^\"]*)\"", recipe, re.M):
        fields = (m.group(2).split(",") + ["", "", "", ""])[:4]
        pkgconfig[m.group(1)] = {"on": fields[0].strip(), "off": fields[1].strip(),
                                 "deps": set(fields[2].split())}
    print("recipe DEPENDS: %s; PACKAGECONFIG: %s" % (
        " ".join(sorted(depends)), ", ".join("%s=%s" % (k, " ".join(sorted(v["deps"])))
                                             for k, v in sorted(pkgconfig.items()))))

    used = set()
    for name, (kind, opt, where) in sorted(deps.items()):
        if name not in RECIPE_OF:
            fail("%s: dependency('%s') has no Yocto recipe mapping (tests/test-yocto-recipe.py)" % (where, name))
            continue
        rec = RECIPE_OF[name]
        if rec is None:
            continue
        used.add(rec)
        if kind in ("required", "probe"):
            if rec not in depends:
                fail("%s: dependency('%s') is %s but recipe '%s' is not in DEPENDS" % (where, name, kind, rec))
        elif kind == "feature":
            pc = pkgconfig.get(opt)
            if not pc:
                fail("%s: dependency('%s') follows option '%s' but there is no PACKAGECONFIG[%s]" % (where, name, opt, opt))
            else:
                if rec not in pc["deps"]:
                    fail("PACKAGECONFIG[%s] lacks '%s' (for dependency('%s'))" % (opt, rec, name))
                if pc["on"] != "-D%s=enabled" % opt or pc["off"] != "-D%s=disabled" % opt:
                    fail("PACKAGECONFIG[%s] flags should be -D%s=enabled,-D%s=disabled" % (opt, opt, opt))
                if rec in depends and rec not in used_by_required(deps):
                    fail("'%s' is in DEPENDS but only needed for option '%s'" % (rec, opt))
        else:
            fail("%s: dependency('%s') has a required: the test cannot classify (%s)" % (where, name, kind))
    for tool, opt in tools.items():
        native = NATIVE_TOOL_OF[tool]
        used.add(native)
        if native not in pkgconfig.get(opt, {"deps": set()})["deps"]:
            fail("find_program('%s') follows option '%s' but PACKAGECONFIG[%s] lacks %s" % (tool, opt, opt, native))

    for rec in sorted(depends | set().union(*[v["deps"] for v in pkgconfig.values()])):
        if rec not in used:
            fail("recipe depends on '%s', which no meson dependency() or mapped tool needs" % rec)
    for opt in pkgconfig:
        if opt not in {o for k, o, _ in deps.values()} | set(tools.values()):
            fail("PACKAGECONFIG[%s] matches no meson feature option gating a dependency" % opt)

    # --- license checksum
    m = re.search(r'LIC_FILES_CHKSUM\s*=\s*"file://([^;"]+)((?:;[^;"]+)*)"', recipe)
    if not m:
        fail("no LIC_FILES_CHKSUM")
    else:
        params = dict(p.split("=", 1) for p in m.group(2).split(";") if "=" in p)
        lines = open(os.path.join(SRC, m.group(1)), "rb").read().splitlines(keepends=True)
        b = int(params.get("beginline", "1"))
        e = int(params.get("endline", str(len(lines))))
        md5 = hashlib.md5(b"".join(lines[b - 1:e])).hexdigest()
        if md5 != params.get("md5"):
            fail("LIC_FILES_CHKSUM md5 %s, but %s lines %d-%d give %s" % (params.get("md5"), m.group(1), b, e, md5))

    # --- version
    pv = (bb_value(recipe, "PV") or [""])[0]
    if not project_version or not pv.startswith(project_version + "+git"):
        fail("PV '%s' does not start with the meson project version '%s'+git" % (pv, project_version))

    # --- accounts: the same as systemd/chaird.sysusers
    sysusers = open(os.path.join(SRC, "systemd", "chaird.sysusers")).read()
    users = re.findall(r"^u\s+(\S+)", sysusers, re.M)
    groups = re.findall(r"^g\s+(\S+)", sysusers, re.M)
    members = re.findall(r"^m\s+(\S+)\s+(\S+)", sysusers, re.M)
    useradd = " ".join(bb_value(recipe, "USERADD_PARAM:${PN}"))
    groupadd = " ".join(bb_value(recipe, "GROUPADD_PARAM:${PN}"))
    for u in users:
        if not re.search(r"(^|\s)%s(\s|;|$)" % re.escape(u), useradd):
            fail("sysusers user '%s' is not created by USERADD_PARAM" % u)
    for g in groups:
        if not re.search(r"(^|\s)%s(\s|;|$)" % re.escape(g), groupadd):
            fail("sysusers group '%s' is not created by GROUPADD_PARAM" % g)
    for u, g in members:
        if not re.search(r"--groups\s+\S*\b%s\b" % re.escape(g), useradd):
            fail("sysusers puts %s in %s; USERADD_PARAM has no --groups %s" % (u, g, g))

    # --- unit
    for unit in " ".join(bb_value(recipe, "SYSTEMD_SERVICE:${PN}")).split() or ["(none)"]:
        if not (os.path.exists(os.path.join(SRC, "systemd", unit)) or
                os.path.exists(os.path.join(SRC, "systemd", unit + ".in"))):
            fail("SYSTEMD_SERVICE names %s, which systemd/ does not have" % unit)
    for cls in ("meson", "pkgconfig", "systemd", "useradd"):
        if not re.search(r"^inherit\b.*\b%s\b" % cls, recipe, re.M):
            fail("recipe does not inherit %s" % cls)

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("recipe matches the meson build")
    return 0


def used_by_required(deps):
    return {RECIPE_OF.get(n) for n, (k, _, _) in deps.items() if k in ("required", "probe")}


if __name__ == "__main__":
    sys.exit(main())
