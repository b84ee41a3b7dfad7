// Root writing into someone else's home acts as that someone: with the effective uid and gids of the
// home's owner, the kernel itself refuses whatever a link the owner planted would lead to (a root-owned
// file, a folder only root can write), and the files perimeter creates belong to the owner.
import { statSync } from "node:fs";

/** Runs `fn` as the owner of `home` when this process is root and the home is not root's; else as is. */
export function asHomeOwner<T>(home: string, fn: () => T): T {
  const owner = statSync(home, { throwIfNoEntry: false });
  if (process.geteuid?.() !== 0 || owner === undefined || owner.uid === 0) return fn();
  const groups = process.getgroups!();
  const egid = process.getegid!();
  // The gids first: once the uid is dropped they can no longer be changed.
  process.setgroups!([owner.gid]);
  process.setegid!(owner.gid);
  process.seteuid!(owner.uid);
  try {
    return fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(egid);
    process.setgroups!(groups);
  }
}
