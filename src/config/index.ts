// imapd.conf and the paths Cyrus derives from it.
export * from './imapd-conf.js';
export * from './paths.js';
export * from './load.js';
