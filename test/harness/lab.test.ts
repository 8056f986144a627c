// Not a test: a populated master + replica to poke at by hand. Skipped unless CYRUS_FSCK_LAB is
// set to the number of seconds to keep the pair running, e.g. as root:
//   CYRUS_FSCK_LAB=600 npx vitest run test/harness/lab.test.ts
// It prints the folders, ports, logins and example commands, then waits; Ctrl-C stops it and
// the harness kills both instances.
import { it } from 'vitest';
import { interopUnavailable } from './env.js';
import { ADMIN, CyrusInstance, PASSWORD } from './instance.js';
import { populate } from './populate.js';
import { syncAll } from './tools.js';

const seconds = Number(process.env.CYRUS_FSCK_LAB ?? 0);

it.skipIf(!seconds)('keeps a populated Cyrus master + replica running for CYRUS_FSCK_LAB seconds', async () => {
  const why = interopUnavailable();
  if (why) throw new Error(why);
  const { master, replica } = await CyrusInstance.startPair({ name: 'lab' });
  try {
    const pop = await populate(master, { seed: Number(process.env.CYRUS_FSCK_SEED ?? 1) });
    await syncAll(master);
    const bin = '/usr/lib/cyrus/bin';
    console.log(
      [
        `master : ${master.dir}  imap 127.0.0.1:${master.ports.imap}  lmtp ${master.ports.lmtp}`,
        `replica: ${replica.dir}  imap 127.0.0.1:${replica.ports.imap}  sync_server ${replica.ports.sync}`,
        `logins : ${ADMIN} (admin), ${pop.users.join(', ')}; password ${PASSWORD}`,
        `mailboxes: ${pop.mailboxes.join(' ')}`,
        `syslog : tail -f ${master.syslogPath}`,
        `tools  : runuser -u cyrus -- env LD_PRELOAD=${master.shim} CYRUS_FSCK_SYSLOG=${master.syslogPath} ${bin}/mbexamine -C ${master.conf} user.alice`,
        `sync   : runuser -u cyrus -- ${bin}/sync_client -C ${master.conf} -v -u alice`,
        `imap   : ${bin}/imtest -a ${ADMIN} -u alice -w ${PASSWORD} -m PLAIN -p ${master.ports.imap} 127.0.0.1`,
        `fsck   : node bin/cyrus-fsck.js check -C ${master.conf}`,
        `running for ${seconds} s (Ctrl-C stops both instances)`,
      ].join('\n'),
    );
    await new Promise((r) => setTimeout(r, seconds * 1000));
  } finally {
    await master.stop();
    await replica.stop();
  }
}, (seconds + 300) * 1000);
