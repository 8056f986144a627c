// Cyrus databases: twoskip, skiplist, flat readers, their consistency checks, and readDb().
export * from './types.js';
export * from './compare.js';
export * from './twoskip.js';
export * from './skiplist.js';
export * from './flat.js';
export * from './detect.js';
export * from './twoskip-recover.js';
