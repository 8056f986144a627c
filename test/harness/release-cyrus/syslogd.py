#!/usr/bin/env python3
# A minimal syslog receiver for a Cyrus running in a chroot: binds <chroot>/dev/log (a unix
# datagram socket, where glibc's syslog() sends) and appends each message as one line to a file.
# The chroot has no syslog daemon, and without one Cyrus's error detail (reconstruct, lmtpd)
# would vanish. Usage: syslogd.py <socket path> <log file>; stops on SIGTERM.
import os, signal, socket, sys, time

sock_path, log_path = sys.argv[1], sys.argv[2]
try:
    os.unlink(sock_path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(log_path, 'ab', buffering=0) as out:
    while True:
        data = s.recv(65536)
        # "<PRI>Mmm dd hh:mm:ss ident[pid]: msg" -> "<unix time> <PRI>ident[pid]: msg"
        out.write(b'%d %s\n' % (int(time.time()), data.rstrip(b'\n\0')))
