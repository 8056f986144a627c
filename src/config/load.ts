// Which imapd.conf a command reads, and reading it with errors that end the command with exit 8.
import { existsSync } from 'node:fs';
import { operationalError } from '../errors.js';
import { ConfigError, loadImapdConf, type ImapdConf } from './imapd-conf.js';

const DEFAULT_CONFIG = '/etc/imapd.conf';

/** -C, else /etc/imapd.conf, else $CYRUS_CONFIG (contract "Selecting mailboxes"). */
export function configPath(explicit?: string): string {
  if (explicit) return explicit;
  if (!existsSync(DEFAULT_CONFIG) && process.env.CYRUS_CONFIG) return process.env.CYRUS_CONFIG;
  return DEFAULT_CONFIG;
}

/** Loads imapd.conf; an unreadable or malformed file is an operational error naming file and line. */
export function loadConfig(path: string): ImapdConf {
  try {
    return loadImapdConf(path);
  } catch (e) {
    if (e instanceof ConfigError) throw operationalError(e.message);
    throw e;
  }
}
