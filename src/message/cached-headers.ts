// Which header lines go into the HEADERS cache item (imap/mailbox_header_cache.gperf and
// mailbox.c is_cached_header). A table entry's number is the first cache version that caches the
// header; null means never. Names not in the table are cached unless they start with "x-".

const NEVER = null;
const TABLE: ReadonlyMap<string, number | null> = new Map<string, number | null>([
  ['priority', 0],
  ['references', 0],
  ['resent-from', 0],
  ['newsgroups', 0],
  ['followup-to', 0],
  ['x-mailer', 1],
  ['x-trace', 1],
  ['x-ref', 2],
  ['x-priority', 2],
  ['x-msmail-priority', 2],
  ['x-msoesrec', 2],
  ['x-spam-score', 3],
  ['x-resolved-to', 3],
  ['x-delivered-to', 3],
  ['x-mail-from', 3],
  ['x-truedomain-domain', 3],
  ['x-me-message-id', 4],
  ['x-cyrus-session-id', 4],
  ['x-universally-unique-identifier', 6],
  ['x-uniform-type-identifier', 6],
  ['x-apple-base-url', 6],
  ['x-apple-mail-remote-attachments', 6],
  ['reply-to', 7],
  ['sender', 7],
  ...[
    'bcc',
    'cc',
    'date',
    'delivery-date',
    'envelope-to',
    'from',
    'in-reply-to',
    'mime-version',
    'received',
    'return-path',
    'subject',
    'to',
    'dkim-signature',
    'domainkey-signature',
    'domainkey-x509',
    'message-id',
    'arc-seal',
    'arc-message-signature',
    'arc-authentication-results',
    'authentication-results',
    'received-spf',
    'archived-at',
    'listbox-message-date',
    'topicbox-message-uuid',
    'topicbox-policy-reasoning',
  ].map((n): [string, null] => [n, NEVER]),
]);

/** Headers Cyrus 3.0's list (imap/mailbox.c mailbox_cache_headers) did not name, so cached
 *  like any other; 3.2 moved the list to mailbox_header_cache.gperf and added them as never. */
const CACHED_BY_30: ReadonlySet<string> = new Set([
  'message-id',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
  'authentication-results',
  'received-spf',
  'archived-at',
  'listbox-message-date',
  'topicbox-message-uuid',
  'topicbox-policy-reasoning',
]);

/**
 * The minimum cache version at which a header (lowercased name, < 32 bytes) is cached, or null
 * if it is never cached. A header whose number is above the version being written is not cached
 * in that version (reply-to/sender before 7, the Apple headers before 6, …).
 */
export function cachedHeaderMinVersion(lcName: string, list30 = false): number | null {
  if (lcName.length >= 32) return NEVER;
  const v = list30 && CACHED_BY_30.has(lcName) ? 1 : TABLE.get(lcName);
  if (v !== undefined) return v;
  if (lcName.startsWith('x-')) return NEVER;
  return 1;
}
