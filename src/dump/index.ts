// dump: a mailbox as the dlist lines Cyrus 3.6.1's sync_client sends for it (APPLY MESSAGE with
// the message files, APPLY MAILBOX with every record). Spec cyrus-db-seen-dlist.md §9–§11.
export * from './annotations.js';
export * from './conversations.js';
export * from './mailbox.js';
export * from './load.js';
export * from './write.js';
