// Writes the CLI's output straight to its file descriptors. `process.stdout` would first build a
// stream object, loading Node's net, tty and stream modules (about 3 ms of a 25 ms run, README
// "Performance"), only to write synchronously as this does.
import { writeSync } from "node:fs";

/** Where the CLI's output goes: standard output (1) or standard error (2). */
export type Write = (fd: 1 | 2, text: string) => void;

const pause = new Int32Array(new SharedArrayBuffer(4));

/** All of `text`, or as much as a reader that went away (EPIPE, as in `perimeter show | head`) took. */
export const writeAll: Write = (fd, text) => {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return;
      // A non-blocking pipe whose reader is behind: wait a millisecond and go on.
      if (code === "EAGAIN") Atomics.wait(pause, 0, 0, 1);
      else throw error;
    }
  }
};
