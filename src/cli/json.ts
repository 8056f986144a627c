// JSON for machines: bigints (64-bit modseqs, sizes) become numbers when exact, else strings;
// Buffers become latin1 strings (every byte kept).
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    function (key, v) {
      const raw = (this as Record<string, unknown>)[key];
      if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
      if (Buffer.isBuffer(raw)) return raw.toString('latin1');
      return v;
    },
    indent,
  );
}
