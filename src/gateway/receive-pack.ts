// git smart HTTP push: the ref updates at the head of a git-receive-pack request body, read as
// pkt-lines until the first flush (the pack follows). Push certificates carry the commands inside
// the certificate; any pkt-line shaped "<old> <new> <ref>" before the flush counts.

export interface RefUpdate {
  oldId: string;
  newId: string;
  ref: string;
}

// As git's receive-pack reads it: hex in either case, the ref everything after the second space.
const COMMAND = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (.+)$/i;
/** The command list is small; a head this long without a flush is not a push we can read. */
const MAX_HEAD = 1 << 20;

export type HeadResult = { done: false } | { done: true; updates: RefUpdate[] } | { done: true; error: string };

export class ReceivePackHead {
  private buffered = Buffer.alloc(0);
  private readonly updates: RefUpdate[] = [];
  private inCert = false;

  feed(chunk: Buffer): HeadResult {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      if (this.buffered.length < 4) break;
      const length = Number.parseInt(this.buffered.subarray(0, 4).toString("latin1"), 16);
      if (!/^[0-9a-f]{4}$/i.test(this.buffered.subarray(0, 4).toString("latin1"))) return { done: true, error: "the push does not start with pkt-lines" };
      if (length === 0) return { done: true, updates: this.updates };
      if (length < 4) return { done: true, error: `unexpected pkt-line ${length.toString(16).padStart(4, "0")} in the command list` };
      if (this.buffered.length < length) break;
      const payload = this.buffered.subarray(4, length).toString("latin1").split("\0", 1)[0]!;
      this.buffered = this.buffered.subarray(length);
      const error = this.line(payload);
      if (error !== undefined) return { done: true, error };
    }
    if (this.buffered.length > MAX_HEAD) return { done: true, error: "the push's command list is too long to check" };
    return { done: false };
  }

  /**
   * One pkt-line. git reads a push certificate's text as a whole, line by line, so one pkt-line
   * there may hold several commands: every line of it counts. Outside a certificate a line is a
   * command, a "shallow" line or the certificate's start; anything else git refuses, and so do we.
   */
  private line(payload: string): string | undefined {
    const text = payload.replace(/\n$/, "");
    if (this.inCert) {
      if (payload === "push-cert-end\n") this.inCert = false;
      else for (const l of payload.split("\n")) this.command(l);
      return undefined;
    }
    if (text === "push-cert") this.inCert = true;
    else if (!text.startsWith("shallow ") && !this.command(text)) return `the command list has a line git would not read as a command: ${JSON.stringify(text.slice(0, 80))}`;
    return undefined;
  }

  private command(line: string): boolean {
    const command = COMMAND.exec(line);
    if (command) this.updates.push({ oldId: command[1]!.toLowerCase(), newId: command[2]!.toLowerCase(), ref: command[3]! });
    return command !== null;
  }
}

export const isZeroId = (id: string) => /^0+$/.test(id);
