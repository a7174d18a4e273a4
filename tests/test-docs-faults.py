#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The docs tell the truth about the faults (issue 17): the fault codes listed in
docs/mqtt.md (in lib/fault.c's order) and the rows of docs/safety.md's fault
table are exactly the codes of lib/fault.c, and each row's message is the one
chaird sends.

usage: test-docs-faults.py SOURCE_ROOT
"""

import re
import sys

from checks import check, verdict

top = sys.argv[1]
source = open(top + "/lib/fault.c").read()
table = re.findall(r'\[CHAIR_FAULT_\w+\] = \{ "([a-z_]+)", "([^"]*)" \}', source)
codes = [c for c, _ in table]
check(len(codes) >= 10, "lib/fault.c: %d codes read (%s)" % (len(codes), ", ".join(codes)))

mqtt = open(top + "/docs/mqtt.md").read()
m = re.search(r"Fault codes: (.*?)\(one table", mqtt, re.S)
listed = re.findall(r"`([a-z_]+)`", m.group(1)) if m else []
check(listed == codes, "docs/mqtt.md lists the fault codes of lib/fault.c in order (%s)" %
      (", ".join(listed) or "no list found"))

safety = open(top + "/docs/safety.md").read()
rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]*) \|", safety, re.M)
documented = {c: msg.strip() for c, msg in rows}
check(sorted(documented) == sorted(codes) and len(rows) == len(codes),
      "docs/safety.md has one fault-table row per code (%s)" % ", ".join(c for c, _ in rows))
for code, message in table:
    check(documented.get(code) == message,
          "docs/safety.md: %s's message is chaird's (%r)" % (code, documented.get(code)))

sys.exit(verdict())
