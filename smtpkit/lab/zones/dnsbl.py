"""Practice blocklists (RFC 5782 DNSBLs) under dnsbl.test: one way each for an answer to mean something.

Ask them with ``smtpkit dnsbl IP --list ZONE --only-lists --allow-private
--nameserver <lab DNS>`` (or ``smtpkit.lab`` options in Python):

* ``zen.dnsbl.test`` behaves like Spamhaus ZEN: `LISTED_IP` is listed twice
  (SBL-style 127.0.0.2 and XBL-style 127.0.0.4, with a TXT reason),
  `LISTED_IP6` once, `UNKNOWN_CODE_IP` with a code the list does not document
  (127.0.0.99: could not check), its RFC 5782 test entries are right (127.0.0.2 and
  ::ffff:7f00:2 listed, 127.0.0.1 not), every other address is not listed.
* ``refused.dnsbl.test`` answers every query with 127.255.255.254, Spamhaus's
  "you asked through a public resolver": could not check, never "listed".
* ``rewrite.dnsbl.test`` answers every name with 198.51.100.7, as a resolver
  that rewrites NXDOMAIN to its search page would: could not check.
* ``world.dnsbl.test`` lists everything, its never-listed test address
  127.0.0.1 included (a list shutting down): could not check.
* ``dead.dnsbl.test`` answers NXDOMAIN for everything, even its test entry
  127.0.0.2 (a misspelt or dead list): its "not listed" is worthless.
"""

from __future__ import annotations

from smtpkit.dnsbl import query_name
from smtpkit.lab.zoneset import Record

LISTED_IP = "192.0.2.99"
LISTED_IP6 = "2001:db8::99"
CLEAN_IP = "192.0.2.10"
UNKNOWN_CODE_IP = "192.0.2.77"
LIST_ZONE = "zen.dnsbl.test"
REFUSED_ZONE = "refused.dnsbl.test"
REWRITE_ZONE = "rewrite.dnsbl.test"
WORLD_ZONE = "world.dnsbl.test"
DEAD_ZONE = "dead.dnsbl.test"
#: Every practice list, for `smtpkit dnsbl IP --only-lists --list ...`.
LAB_LISTS = (LIST_ZONE, REFUSED_ZONE, REWRITE_ZONE, WORLD_ZONE, DEAD_ZONE)
REASON = f"Listed in the practice lab: {LISTED_IP} sent mail to a spam trap. See https://check.spamhaus.org/"

ZONES = {
    "dnsbl.test": (
        f"practice blocklists: {LISTED_IP} listed on {LIST_ZONE} (dnsbl.listed); {REFUSED_ZONE} answers "
        f"127.255.255.254 (dnsbl.query_refused); {REWRITE_ZONE} rewrites to 198.51.100.7 (dnsbl.resolver_rewrites); "
        f"{WORLD_ZONE} lists everything (dnsbl.lists_everything); {DEAD_ZONE} lacks its test entry "
        "(dnsbl.test_entry_missing)"
    ),
}


def records(ip: str = "127.0.0.1") -> list[Record]:
    out = [
        Record(query_name("127.0.0.2", LIST_ZONE), "A", "127.0.0.2"),
        Record(query_name("127.0.0.2", LIST_ZONE), "TXT", "RFC 5782 test entry: always listed"),
        Record(query_name("::ffff:7f00:2", LIST_ZONE), "A", "127.0.0.2"),
        Record(query_name(LISTED_IP, LIST_ZONE), "A", "127.0.0.2"),
        Record(query_name(LISTED_IP, LIST_ZONE), "A", "127.0.0.4"),
        Record(query_name(LISTED_IP, LIST_ZONE), "TXT", REASON),
        Record(query_name(LISTED_IP6, LIST_ZONE), "A", "127.0.0.2"),
        Record(query_name(UNKNOWN_CODE_IP, LIST_ZONE), "A", "127.0.0.99"),
        Record(query_name(LISTED_IP6, LIST_ZONE), "TXT", REASON.replace(LISTED_IP, LISTED_IP6)),
        Record(f"*.{REFUSED_ZONE}", "A", "127.255.255.254"),
        Record(f"*.{REWRITE_ZONE}", "A", "198.51.100.7"),
        Record(f"*.{WORLD_ZONE}", "A", "127.0.0.2"),
        # the dead list exists (NS/SOA) but lists nothing, not even its test entry
        Record(DEAD_ZONE, "TXT", "this list has shut down"),
    ]
    return out
