// Perimeter's own keys in a shared TOML file are changed line by line, so the user's comments and
// layout survive a render (src/sink/toml-edit.ts); anything it cannot edit safely is re-serialized.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { loadProfile } from "../../src/profile/load.js";
import { toolById } from "../../src/tools/index.js";
import { describe, expect, it } from "vitest";
import { serialize } from "../../src/sink/formats.js";
import { mergeOwnedEntries, mergeOwnedKeys } from "../../src/sink/merge.js";
import { editOwnedTomlKeys } from "../../src/sink/toml-edit.js";
import { runCli, tempDir, writeFiles } from "./helpers.js";

const OWNED = [["approval_policy"], ["sandbox_mode"]] as const;
const OURS = { approval_policy: "on-request", sandbox_mode: "workspace-write" };
const edit = (before: string, ours: Record<string, unknown> = OURS) => editOwnedTomlKeys(before, mergeOwnedKeys(parse(before), ours, OWNED), OWNED);

const USER_FILE = `# my Codex settings
model = "x"   # the model I like
approval_policy = "untrusted"

# MCP servers
[mcp_servers.y]
command = "y-server"
args = ["--port", "1"]
`;

describe("editing perimeter's keys in a shared TOML file", () => {
  it("replaces an owned key's line in place and adds a missing one at the end of the root table", () => {
    expect(edit(USER_FILE)).toBe(`# my Codex settings
model = "x"   # the model I like
approval_policy = "on-request"
sandbox_mode = "workspace-write"

# MCP servers
[mcp_servers.y]
command = "y-server"
args = ["--port", "1"]
`);
  });

  it("removes an owned key that perimeter no longer sets, and handles a file without tables", () => {
    expect(edit('model = "x"\napproval_policy = "never"\nsandbox_mode = "danger-full-access"\n', { approval_policy: "on-request" })).toBe(
      'model = "x"\napproval_policy = "on-request"\n',
    );
    expect(edit('model = "x"\n')).toBe('model = "x"\napproval_policy = "on-request"\nsandbox_mode = "workspace-write"\n');
  });

  it("keeps the comment at the end of a line it rewrites, even after a value holding a #", () => {
    expect(edit('approval_policy = "untrusted"   # I chose this\nmodel = "x"\n')).toBe(
      'approval_policy = "on-request"   # I chose this\nmodel = "x"\nsandbox_mode = "workspace-write"\n',
    );
    expect(edit('approval_policy = "un#trusted" # mine\n')).toBe('approval_policy = "on-request" # mine\nsandbox_mode = "workspace-write"\n');
  });

  it("keeps CRLF line ends on the lines it writes", () => {
    const before = USER_FILE.replace(/\n/g, "\r\n");
    expect(edit(before)).toBe(edit(USER_FILE)!.replace(/\n/g, "\r\n"));
  });

  it("never edits a same-named key inside a table", () => {
    const before = 'model = "x"\n\n[profiles.fast]\napproval_policy = "never"\n';
    const after = edit(before)!;
    expect(parse(after)).toEqual({ model: "x", approval_policy: "on-request", sandbox_mode: "workspace-write", profiles: { fast: { approval_policy: "never" } } });
  });

  it("gives up, for a whole re-serialization, when lines cannot be edited safely", () => {
    // A multi-line string value: replacing its first line would leave the rest behind.
    expect(edit('approval_policy = """\nnever"""\nmodel = "x"\n')).toBeUndefined();
    // A table written as dotted keys at the top level is not found as a section.
    expect(editOwnedTomlKeys('t.k = 2\n', { t: { k: 1 } }, [["t", "k"]])).toBeUndefined();
    expect(editOwnedTomlKeys('t = { k = 2 }\n', { t: { k: 1 } }, [["t", "k"]])).toBeUndefined();
  });

  it("edits an owned key inside a [table] on its line, and adds the table when it is missing", () => {
    const before = '[shell_environment_policy]\ninherit = "core" # mine\nexclude = ["OLD"]   # theirs\n\n[mcp_servers.y]\ncommand = "y"\n';
    const owned = [["shell_environment_policy", "exclude"]] as const;
    const merged = mergeOwnedKeys(parse(before), { shell_environment_policy: { exclude: ["A_*"] } }, owned);
    expect(editOwnedTomlKeys(before, merged, owned)).toBe(before.replace('exclude = ["OLD"]', 'exclude = [ "A_*" ]'));
    expect(editOwnedTomlKeys('model = "x"\n', { model: "x", shell_environment_policy: { exclude: ["A_*"] } }, owned)).toBe(
      'model = "x"\n\n[shell_environment_policy]\nexclude = [ "A_*" ]\n',
    );
  });

  it("writes an owned table whole at the end, its old sections (and sub-tables) gone, the user's neighbours kept", () => {
    const before = '# mine\nmodel = "x"\n\n[permissions.perimeter]\nextends = ":read-only"\n[permissions.perimeter.filesystem]\n"x" = "read"\n\n# my own profile\n[permissions.mine]\nextends = ":workspace"\n';
    const owned = [["permissions", "perimeter"]] as const;
    const ours = { permissions: { perimeter: { extends: ":workspace", filesystem: { "~/.a*": "none" } } } };
    const after = editOwnedTomlKeys(before, mergeOwnedKeys(parse(before), ours, owned), owned)!;
    expect(after).toContain("# mine\n");
    expect(after).toContain("# my own profile\n[permissions.mine]");
    expect(parse(after)).toEqual({ model: "x", permissions: { mine: { extends: ":workspace" }, perimeter: ours.permissions.perimeter } });
    // Removing it again leaves only the user's.
    expect(parse(editOwnedTomlKeys(after, mergeOwnedKeys(parse(after), {}, owned), owned)!)).toEqual({ model: "x", permissions: { mine: { extends: ":workspace" } } });
  });

  it("replaces an array of tables it owns ([[hooks.PreToolUse]] and its sub-tables) and keeps the rest", () => {
    const before = `# mine\nmodel = "x"\n\n[[hooks.PreToolUse]]\nmatcher = "old"\n\n[[hooks.PreToolUse.hooks]]\ntype = "command"\ncommand = "old"\n\n[mcp_servers.a]\ncommand = "a" # keep\n`;
    const ours = { hooks: { PreToolUse: [{ matcher: ".*", hooks: [{ type: "command", command: "new" }] }] } };
    const owned = [["hooks", "PreToolUse"]] as const;
    const merged = mergeOwnedKeys(parse(before), ours, owned);
    const edited = editOwnedTomlKeys(before, merged, owned)!;
    expect(edited).toContain("# mine");
    expect(edited).toContain('command = "a" # keep');
    expect(edited).not.toContain("old");
    expect(parse(edited)).toEqual(merged);
  });

  it("perimeter render keeps the user's comments in ~/.codex/config.toml (control: a whole re-serialization drops them)", async () => {
    const home = tempDir();
    writeFiles(home, { ".codex/config.toml": USER_FILE });
    expect((await runCli(["render", "--home", home, "--tools", "codex"])).code).toBe(0);
    const written = readFileSync(join(home, ".codex/config.toml"), "utf8");
    for (const comment of ["# my Codex settings", "# the model I like", "# MCP servers"]) expect(written).toContain(comment);
    // What the render owns: the two policy keys and the guard hook's [[hooks.PreToolUse]] tables.
    const rendered = toolById("codex").render(loadProfile("interactive"), "host").files[0]!.body;
    if (rendered.format !== "toml" || rendered.ownedKeys === undefined) throw new Error("codex config.toml is not a shared TOML file");
    expect(parse(written)).toEqual(mergeOwnedEntries(mergeOwnedKeys(parse(USER_FILE), rendered.value, rendered.ownedKeys), rendered.value, rendered.ownedEntries ?? []));
    expect(written).toContain("[[hooks.PreToolUse]]");
    const reserialized = serialize({ format: "toml", value: parse(written), ownedKeys: OWNED }, false);
    expect(reserialized).not.toContain("# my Codex settings");
  });
});
