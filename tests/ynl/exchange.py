#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive the demuxguard family through the kernel's ynl library, by record
and replay (the test VM has no Python).

  exchange.py YNL_DIR SPEC requests
      prints, one per line, "LABEL HEX": the requests of EXCHANGE below as
      ynl's YnlFamily encodes them from the spec (tests/ynl/dgrec sends them
      in the VM and prints the replies).
  exchange.py YNL_DIR SPEC replay CONSOLE_LOG VERSION
      runs the same operations through YnlFamily again, its socket replaced
      by one that hands back the replies the module gave in the VM (the
      DGYNL-RX lines of the console log), and checks what ynl decodes
      against the spec: one "TEST: ... [ OK ]" line per check, then
      "N passed, N failed"; exit status 1 on a failure.

YNL_DIR is the kernel's tools/net/ynl (its lib/ is imported as is).
Everything but the socket is ynl's own code: the encoding of requests
(attribute types and enum names from the spec), the parsing of replies,
nests, multi-attrs, enums and the extended ACK.
"""
import errno
import socket
import struct
import sys

# The exchange, in order: the VM runs it after setting up a veth pair
# yn0/yn1, the rule "yn" = veto and yn0 explicitly in monitor.
EXCHANGE = [
    ('status', 'do', 'get-status', {}),
    ('rules', 'dump', 'get-rule', {}),
    ('devs', 'dump', 'get-dev', {}),
    ('dev-yn1', 'do', 'get-dev', {'ifname': 'yn1'}),
    ('stats-yn0', 'do', 'get-stats', {'ifname': 'yn0'}),
    ('set-yn1-off', 'do', 'set-dev', {'ifname': 'yn1', 'mode': 'off'}),
    ('dev-yn1-after', 'do', 'get-dev', {'ifname': 'yn1'}),
    ('set-nodev', 'do', 'set-dev', {'ifname': 'nosuchdev0', 'mode': 'veto'}),
    ('stats-all', 'dump', 'get-stats', {}),
]
COUNTERS = ['demux-calls', 'sk-hits', 'dst-hits', 'iif-mismatch',
            'fwd-sk-drops', 'vetoed']
NLMSG_ERROR = 2
HDR = struct.Struct('=IHHII')


def with_seq(buf, seq):
    """buf with every netlink message's sequence number set to seq."""
    out = bytearray(buf)
    off = 0
    while off + HDR.size <= len(out):
        length, typ, flags, _, pid = HDR.unpack_from(out, off)
        if length < HDR.size:
            break
        HDR.pack_into(out, off, length, typ, flags, seq, pid)
        off += (length + 3) & ~3
    return bytes(out)


class FakeSocket:
    """Stands in for ynl's netlink socket: records what ynl sends and
    answers from `replies` (recorded buffers) or, when there are none, with
    a bare ACK so that ynl returns."""
    sent = []
    replies = []

    def __init__(self, *args, **kwargs):
        pass

    def setsockopt(self, *args):
        pass

    def bind(self, *args):
        pass

    def send(self, data, flags=0):
        FakeSocket.sent.append(bytes(data))
        self.seq = HDR.unpack_from(data, 0)[3]
        return len(data)

    def recv(self, size):
        if FakeSocket.replies:
            return with_seq(FakeSocket.replies.pop(0), self.seq)
        req = FakeSocket.sent[-1]
        return HDR.pack(HDR.size + 4 + HDR.size, NLMSG_ERROR, 0x100, self.seq, 0) + \
            struct.pack('=i', 0) + req[:HDR.size]


def family(ynl_dir, spec, family_id):
    sys.path.insert(0, ynl_dir)
    import lib.ynl as ynl_mod
    from lib import YnlFamily
    ynl_mod.genl_family_name_to_id = {'demuxguard': {'id': family_id, 'mcast': {}}}
    ynl_mod.socket.socket = FakeSocket
    # The schema is looked up beside the spec's directory, as in the
    # kernel tree; ours is in the kernel tree the library comes from.
    import os
    schema = os.path.join(ynl_dir, '..', '..', '..', 'Documentation', 'netlink',
                          'genetlink-legacy.yaml')
    return YnlFamily(spec, schema)


def run(fam, kind, op, vals):
    if kind == 'dump':
        return fam.dump(op, vals)
    return fam.do(op, vals)


def requests(ynl_dir, spec):
    fam = family(ynl_dir, spec, 0)
    for label, kind, op, vals in EXCHANGE:
        FakeSocket.sent.clear()
        run(fam, kind, op, vals)
        print(label, FakeSocket.sent[0].hex())


def replay(ynl_dir, spec, log, version):
    from_vm = {}
    family_id = None
    ifindex = {}
    with open(log, errors='replace') as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and w[0] == 'DGYNL-FAMILY':
                family_id = int(w[1])
            elif len(w) == 3 and w[0] == 'DGYNL-RX':
                from_vm.setdefault(w[1], []).append(bytes.fromhex(w[2]))
            elif len(w) == 3 and w[0] == 'DGYNL-IFINDEX':
                ifindex[w[1]] = int(w[2])
    npass = nfail = 0

    def check(name, ok, detail=''):
        nonlocal npass, nfail
        print('TEST: %-72s [%s]' % ('ynl: ' + name, ' OK ' if ok else 'FAIL'))
        if ok:
            npass += 1
        else:
            nfail += 1
            if detail:
                print('    #', detail)

    check('the VM recorded the exchange', family_id is not None and
          all(label in from_vm for label, *_ in EXCHANGE),
          f'family {family_id}, recorded {sorted(from_vm)}')
    if nfail:
        print(f'{npass} passed, {nfail} failed')
        return 1
    fam = family(ynl_dir, spec, family_id)
    got = {}
    for label, kind, op, vals in EXCHANGE:
        FakeSocket.replies = list(from_vm[label])
        try:
            got[label] = run(fam, kind, op, vals)
        except Exception as e:       # NlError for set-nodev, anything else is a failure
            got[label] = e
        check(f'{label}: ynl consumed exactly the recorded replies',
              not FakeSocket.replies, f'{len(FakeSocket.replies)} buffers left')

    st = got['status']
    check('get-status: version, hook nests (multi-attr), object counts',
          isinstance(st, dict) and st.get('version') == version and
          isinstance(st.get('hook'), list) and len(st['hook']) >= 1 and
          all(isinstance(h.get('name'), str) and h.get('attached') in (0, 1)
              for h in st['hook']) and
          isinstance(st.get('probe-missed'), int) and
          st.get('nr-rules') == 1 and st.get('nr-ifaces') == 2, repr(st))
    check('get-rule dump: the rule, its mode decoded to the enum name',
          got['rules'] == [{'rule-prefix': 'yn', 'mode': 'veto'}], repr(got['rules']))
    devs = got['devs']
    byname = {d.get('ifname'): d for d in devs} if isinstance(devs, list) else {}
    yn0, yn1 = byname.get('yn0', {}), byname.get('yn1', {})
    check('get-dev dump: yn0 explicit monitor, yn1 veto from rule "yn"',
          len(byname) == 2 and
          yn0.get('mode') == 'monitor' and yn0.get('source') == 'explicit' and
          yn1.get('mode') == 'veto' and yn1.get('source') == 'rule' and
          yn1.get('rule-prefix') == 'yn', repr(devs))
    check('get-dev dump: ifindex as the VM numbered the interfaces',
          bool(ifindex) and yn0.get('ifindex') == ifindex.get('yn0') and
          yn1.get('ifindex') == ifindex.get('yn1'), f'{devs!r} vs {ifindex}')
    check('get-dev do (by ifname): the same message as in the dump',
          got['dev-yn1'] == yn1, f"{got['dev-yn1']!r} vs {yn1!r}")
    s = got['stats-yn0']
    check('get-stats do: stats-ipv4/6 nests with every counter, u64',
          isinstance(s, dict) and s.get('ifname') == 'yn0' and
          all(isinstance(s.get(n), dict) and
              all(isinstance(s[n].get(c), int) for c in COUNTERS)
              for n in ('stats-ipv4', 'stats-ipv6')), repr(s))
    check('set-dev do (mode "off" encoded by ynl): acknowledged',
          got['set-yn1-off'] is None, repr(got['set-yn1-off']))
    a = got['dev-yn1-after']
    check('get-dev after set-dev: yn1 explicit off',
          isinstance(a, dict) and a.get('mode') == 'off' and a.get('source') == 'explicit',
          repr(a))
    e = got['set-nodev']
    nl_msg = getattr(e, 'nl_msg', None)
    ext = getattr(nl_msg, 'extack', None) or {}
    check('set-dev on a missing interface: -ENODEV, extack names .ifname',
          getattr(nl_msg, 'error', None) == -errno.ENODEV and ext.get('msg') and
          ext.get('bad-attr') == '.ifname', f'{e!r}')
    sa = got['stats-all']
    check('get-stats dump: both interfaces, with counters',
          isinstance(sa, list) and sorted(m.get('ifname') for m in sa) == ['yn0', 'yn1'] and
          all('stats-ipv4' in m and 'stats-ipv6' in m for m in sa), repr(sa))
    print(f'{npass} passed, {nfail} failed')
    return 1 if nfail else 0


def main():
    if len(sys.argv) == 4 and sys.argv[3] == 'requests':
        requests(sys.argv[1], sys.argv[2])
        return 0
    if len(sys.argv) == 6 and sys.argv[3] == 'replay':
        return replay(sys.argv[1], sys.argv[2], sys.argv[4], sys.argv[5])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
