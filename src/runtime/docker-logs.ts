/**
 * Container logs without a TTY come multiplexed: frames of an 8-byte header (stream type, 3 zero bytes, a
 * big-endian length) and a payload. These helpers split frames and re-assemble whole lines.
 */

/** Demultiplex a complete log buffer into its text (stdout and stderr interleaved as they were written). */
export function demuxBuffer(buf: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i];
    const size = buf.readUInt32BE(i + 4);
    if ((type !== 0 && type !== 1 && type !== 2) || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) {
      // not multiplexed (a TTY container): the whole buffer is text
      return buf.toString("utf8");
    }
    out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  return out;
}

/** An incremental demultiplexer for a followed log stream; calls `onLine` once per whole line. */
export class LogLineDemuxer {
  private pending = Buffer.alloc(0);
  private text = "";
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      this.text += this.pending.subarray(8, 8 + size).toString("utf8");
      this.pending = this.pending.subarray(8 + size);
    }
    this.emitLines();
  }

  end(): void {
    if (this.text) this.onLine(this.text);
    this.text = "";
  }

  private emitLines(): void {
    let nl = this.text.indexOf("\n");
    while (nl >= 0) {
      this.onLine(this.text.slice(0, nl));
      this.text = this.text.slice(nl + 1);
      nl = this.text.indexOf("\n");
    }
  }
}
